import { PolicyRule, referencedResource } from '../policy-rule';

/**
 * azurerm_api_management_api_policy owns the API's whole policy document: one apply deletes whatever the
 * API's owners put in it. It is an explicit opt-in (apiPolicy.replaceWholePolicy), and every synth says
 * which API it overwrites, so it is never a surprise on a shared instance.
 */
export const apiPolicyReplacesWholePolicy: PolicyRule = {
  id: 'APIM4',
  description: "An API policy replaces the API's whole policy document; anything else in it is deleted at apply.",
  level: 'warning',
  resourceType: 'azurerm_api_management_api_policy',
  isCompliant: () => false,
  detail: (policy, stack) => {
    const instance = referencedResource(stack, policy.api_management_name, 'azurerm_api_management')?.name ?? policy.api_management_name;
    return `it overwrites the policy of API "${policy.api_name}" in API Management "${instance}"`;
  },
  fix: 'remove apiPolicy and have the API include the policy fragment (<include-fragment fragment-id="..." />), or suppress APIM4 with the reason this stack alone owns that API\'s policy',
};
