import { checkPolicies, describeFinding } from '../policies/check-policies';
import { enforcePolicies } from '../policies/enforce-policies';
import { POLICY_RULES } from '../policies';
import { validateEnvironment } from '../config/validate-environment';
import { baseEnvironment, synthEnvironment } from './support/stack-fixture';

const rule = (id: string) => {
  const found = POLICY_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
// A stack the rules can look things up in: variables, and vaults and certificates that references name.
const sensitive = {
  variable: { p: { sensitive: true }, q: {} },
  resource: {
    azurerm_key_vault: {
      Open: { public_network_access_enabled: true, network_acls: { default_action: 'Allow' } },
      Firewalled: { public_network_access_enabled: true, network_acls: { default_action: 'Deny', bypass: 'AzureServices' } },
      Shut: { public_network_access_enabled: true, network_acls: { default_action: 'Deny', bypass: 'None' } },
    },
    azurerm_key_vault_certificate: {
      Open: { key_vault_id: '${azurerm_key_vault.Open.id}', certificate_policy: { secret_properties: { content_type: 'application/x-pkcs12' } } },
      Firewalled: { key_vault_id: '${azurerm_key_vault.Firewalled.id}', certificate_policy: { secret_properties: { content_type: 'application/x-pkcs12' } } },
      Pem: { key_vault_id: '${azurerm_key_vault.Open.id}', certificate_policy: { secret_properties: { content_type: 'application/x-pem-file' } } },
      Shut: { key_vault_id: '${azurerm_key_vault.Shut.id}', certificate_policy: { secret_properties: { content_type: 'application/x-pkcs12' } } },
    },
  },
};

// For each rule, one block that complies and one that does not, as cdk-nag's tests do.
const CASES: [string, Record<string, unknown> | undefined, Record<string, unknown>][] = [
  ['AKV1', { rbac_authorization_enabled: true }, { rbac_authorization_enabled: false }],
  ['AKV2', { purge_protection_enabled: true }, {}],
  ['AKV3', { network_acls: { default_action: 'Deny' } }, { network_acls: { default_action: 'Allow' } }],
  ['CERT1', { certificate: { contents: '${filebase64(var.x_pfx_path)}' } }, { certificate: { contents: 'MIIJqQIBAzCCCW8GCSqGSIb3DQEHAaCCCWAEgglcMIIJWDCCBA8' } }],
  ['CERT2', { certificate: { contents: '${filebase64(var.x)}', password: '${var.p}' } }, { certificate: { contents: '${filebase64(var.x)}', password: '${var.q}' } }],
  ['CERT3', { certificate_policy: { key_properties: { exportable: true } } }, { certificate_policy: { key_properties: { exportable: false } } }],
  [
    'RBAC1',
    { role_definition_id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6', scope: '${azurerm_key_vault.KeyVault.id}/secrets/mtls' },
    { role_definition_id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6', scope: '${azurerm_key_vault.KeyVault.id}' },
  ],
  ['APIM1', { tls: { validate_certificate_chain: true, validate_certificate_name: true } }, { tls: { validate_certificate_chain: true, validate_certificate_name: false } }],
  [
    'APIM2',
    { key_vault_secret_id: '${azurerm_key_vault_certificate.Open.versionless_secret_id}', key_vault_identity_client_id: '${azurerm_user_assigned_identity.Id.client_id}' },
    { key_vault_secret_id: '${azurerm_key_vault_certificate.Firewalled.versionless_secret_id}', key_vault_identity_client_id: '${azurerm_user_assigned_identity.Id.client_id}' },
  ],
  ['APIM3', { key_vault_secret_id: '${azurerm_key_vault_certificate.Open.versionless_secret_id}' }, { key_vault_secret_id: '${azurerm_key_vault_certificate.Pem.versionless_secret_id}' }],
  ['APIM5', { key_vault_secret_id: '${azurerm_key_vault_certificate.Firewalled.versionless_secret_id}' }, { key_vault_secret_id: '${azurerm_key_vault_certificate.Shut.versionless_secret_id}' }],
  // A warning about the block's mere presence: the compliant case is a stack without one.
  ['APIM4', undefined, { api_name: 'orders', api_management_name: 'apim-x' }],
];
describe.each(CASES)('rule %s', (id, compliant, nonCompliant) => {
  it('accepts a compliant block (or, for a rule about a block\'s mere presence, a stack without one)', () => {
    if (compliant) {
      expect(rule(id).isCompliant(compliant, sensitive)).toBe(true);
    } else {
      expect(checkPolicies(synthEnvironment().tf as never).filter((f) => f.rule.id === id)).toEqual([]);
    }
  });
  it('flags a non-compliant one', () => {
    expect(rule(id).isCompliant(nonCompliant, sensitive)).toBe(false);
  });
});

describe('policy checks on synthesized stacks', () => {
  it('find nothing to say about a stack built from the constructs with their defaults', () => {
    expect(checkPolicies(synthEnvironment().tf as never)).toEqual([]);
  });

  it('has a compliant and a non-compliant case above for every rule', () => {
    expect(CASES.map(([id]) => id).sort()).toEqual(POLICY_RULES.map((r) => r.id).sort());
  });

  it('stop synth on an error-level rule, naming the environment, the rule, the resource and the fix', () => {
    const { stack, tf } = synthEnvironment({ keyVault: { name: 'kv-unit', purgeProtectionEnabled: false } });
    expect(() => enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)).toThrow(
      /^environments\/unit\.ts: AKV2 \(error\) azurerm_key_vault\.KeyVault: A Key Vault has purge protection.* Fix: leave keyVault\.purgeProtectionEnabled at its default \(true\), or suppress AKV2 with a reason in policySuppressions\.$/,
    );
  });

  it('let a suppression with a reason through, and still show it', () => {
    const { stack, tf } = synthEnvironment({
      keyVault: { name: 'kv-unit', purgeProtectionEnabled: false },
      policySuppressions: [{ rule: 'AKV2', address: 'azurerm_key_vault.KeyVault', reason: 'throw-away vault for load tests, recreated daily' }],
    });
    expect(enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)).toEqual([expect.stringContaining('AKV2 (suppressed) azurerm_key_vault.KeyVault: A Key Vault has purge protection')]);
    expect(enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)[0]).toContain('Suppressed: throw-away vault for load tests, recreated daily');
  });

  it('return warnings without stopping synth', () => {
    const { stack, tf } = synthEnvironment({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } } });
    const lines = enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions);
    expect(lines).toEqual([expect.stringContaining('AKV3 (warning) azurerm_key_vault.KeyVault')]);
    expect(describeFinding(checkPolicies(tf)[0])).toBe(lines[0].replace('environments/unit.ts: ', ''));
  });

  it('stop synth when a user-assigned identity would read a vault with its firewall on (APIM2)', () => {
    const { stack, tf } = synthEnvironment({ apiManagement: { ...baseEnvironment.apiManagement, identity: { type: 'UserAssigned', name: 'id-unit' } } });
    expect(() => enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)).toThrow(
      /^environments\/unit\.ts: APIM2 \(error\) azurerm_api_management_certificate\.Certificate-mtls-backend_ApiManagementCertificate: .*a user-assigned identity is refused by the Key Vault firewall\. Fix: read the vault with the system-assigned identity/,
    );
    const open = synthEnvironment({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } }, apiManagement: { ...baseEnvironment.apiManagement, identity: { type: 'UserAssigned', name: 'id-unit' } } });
    expect(checkPolicies(open.tf as never).map((f) => f.rule.id)).toEqual(['AKV3']);
  });

  it('stop synth when an APIM certificate would point at a PEM-stored secret (APIM3)', () => {
    const { stack, tf } = synthEnvironment();
    tf.resource!.azurerm_key_vault_certificate['Certificate-mtls-backend_KeyVaultCertificate'].certificate_policy.secret_properties.content_type = 'application/x-pem-file';
    expect(() => enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)).toThrow(/APIM3 \(error\) azurerm_api_management_certificate\.Certificate-mtls-backend_ApiManagementCertificate: An APIM certificate refers to a Key Vault certificate of this stack stored as application\/x-pkcs12/);
  });

  it('warn at every synth that an API policy overwrites the named API\'s whole policy (APIM4)', () => {
    const { stack, tf } = synthEnvironment({ certificates: [{ name: 'mtls-backend', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } }] });
    expect(enforcePolicies('environments/unit.ts', tf, stack.config.policySuppressions)).toEqual([
      expect.stringMatching(/^environments\/unit\.ts: APIM4 \(warning\) azurerm_api_management_api_policy\.Certificate-mtls-backend_ApiPolicy: .* Here it overwrites the policy of API "orders" in API Management "apim-unit"\. Fix: remove apiPolicy/),
    ]);
  });

  it('refuse a suppression without a reason, or of an unknown rule', () => {
    const problems = validateEnvironment({
      file: 'environments/unit.ts',
      config: { ...baseEnvironment, policySuppressions: [{ rule: 'AKV9', reason: 'because' }] },
    }).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringContaining('policySuppressions[0].rule = "AKV9": is not a policy rule (there are: AKV1, AKV2, AKV3, CERT1, CERT2, CERT3, RBAC1, APIM1, APIM2, APIM3, APIM4, APIM5)'),
      expect.stringContaining('policySuppressions[0].reason = "because": must say why the rule is broken here'),
    ]);
  });
});
