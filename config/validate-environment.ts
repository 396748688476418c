import * as v from 'valibot';
import { AzureNameKind, checkAzureName } from '../constructs/azure-names';
import { AZURE_REGIONS } from '../constructs/azure-regions';
import { networkForm, parseIpv4Range } from '../constructs/ipv4-range';
import { defaultFragmentName } from '../constructs/certificate-names';
import { ConfigurationError } from '../constructs/configuration-error';
import { ValueRule, ValueRules } from '../constructs/value-rules';
import { POLICY_RULES } from '../policies';
import { EC_KEY_FIX, EC_KEY_RISK } from '../rotation/ec-key-risk';
import { hasUnprintable } from '../text/printable';
import { environmentSchema, MESSAGE_SEPARATOR, vaultFirewallOn, type EnvironmentConfig } from './environment-config';

/** An environment and the file it came from, which every message names. */
export interface EnvironmentSource {
  readonly file: string;
  readonly config: EnvironmentConfig;
}

const ENVIRONMENT_NAME: ValueRule = {
  rule: 'must be 1-32 lowercase letters, digits and hyphens, starting with a letter (it names the stack directory and the state key)',
  fix: 'use a short name such as "dev", "test" or "prod"',
  test: (v) => /^[a-z][a-z0-9-]{0,31}$/.test(v),
};
const LOCATION: ValueRule = {
  rule: 'must be an Azure region name as `az account list-locations` gives it (constructs/azure-regions.ts)',
  fix: 'write it as "westeurope"; a region missing from the table is one line in constructs/azure-regions.ts',
  test: (v) => AZURE_REGIONS.includes(v),
};

// A role assignment usually takes one to two minutes to reach Key Vault's data plane; Microsoft documents
// up to ten. Below 30 s the first import nearly always fails with ForbiddenByRbac, and beyond 15 minutes
// a first apply waits for longer than any propagation Microsoft describes (per certificate, twice).
const RBAC_WAIT_MIN_SECONDS = 30;
const RBAC_WAIT_WARN_SECONDS = 60;
const RBAC_WAIT_MAX_SECONDS = 15 * 60;

/** "2m30s" → 150; undefined when it is not a time_sleep duration. */
function durationSeconds(duration: string): number | undefined {
  if (!ValueRules.timeDuration.test(duration)) return undefined;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return [...duration.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

// Azure's tag rules for the resources this stack creates (resource groups, Key Vault, APIM, identities):
// at most 50 tags, names up to 512 characters without < > % & \ ? /, values up to 256 characters.
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

/** Settings only a resource this stack creates can take: given for an existing one they would be ignored. */
const CREATE_ONLY = {
  // privateEndpoint has a message of its own below.
  keyVault: ['skuName', 'purgeProtectionEnabled', 'softDeleteRetentionDays', 'publicNetworkAccessEnabled', 'networkAcls'],
  apiManagement: ['publisherName', 'publisherEmail', 'skuName'],
} as const;

/**
 * The schema's verdict, one ConfigurationError per problem. The rule and fix come from the schema's
 * messages; a missing key is "is required"; an unknown key names the closest known one.
 */
function shapeProblems(file: string, config: unknown): ConfigurationError[] {
  const parsed = v.safeParse(environmentSchema, config, { abortEarly: false });
  if (parsed.success) return [];
  return parsed.issues.map((issue) => {
    const keys = (issue.path ?? []).map((p) => p.key as string | number);
    const field = keys.reduce<string>((at, key) => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key), '') || '(the environment)';
    const value = keys.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string | number, unknown>)[key] : undefined), config);
    const [rule, fix] = issue.message.includes(MESSAGE_SEPARATOR) ? issue.message.split(MESSAGE_SEPARATOR) : [issue.message, 'correct it'];
    if (value === undefined && issue.expected !== 'never') return new ConfigurationError({ source: file, field, value, rule: 'is required', fix: 'set it' });
    return new ConfigurationError({ source: file, field, value, rule, fix });
  });
}

/**
 * Every problem in one environment, each a ConfigurationError naming the file, the field, the value,
 * the rule and the fix. Collects rather than stops at the first, so one run lists them all.
 */
export function validateEnvironment({ file, config }: EnvironmentSource): ConfigurationError[] {
  const problems: ConfigurationError[] = [];
  const report = (field: string, value: unknown, rule: string, fix: string) =>
    problems.push(new ConfigurationError({ source: file, field, value, rule, fix }));
  const name = (field: string, kind: AzureNameKind, value: string | undefined) => {
    if (typeof value !== 'string') {
      report(field, value, 'is required', 'set it');
    } else {
      const p = checkAzureName(kind, value);
      if (p) report(field, value, p.rule, p.fix);
    }
  };
  const check = <T extends string | number>(field: string, value: T | undefined, rule: ValueRule<T>) => {
    if (value !== undefined && !rule.test(value)) report(field, value, rule.rule, rule.fix);
  };
  const required = (field: string, value: string | undefined, fix: string) => {
    if (value === undefined || value.trim() === '') report(field, value, 'is required', fix);
  };

  // The shape first: with a wrong type or an unknown key, the rules below would only add noise.
  const shape = shapeProblems(file, config);
  if (shape.length) return shape;
  checkFreeText(config, '', report);
  check('name', config.name, ENVIRONMENT_NAME);
  const fileStem = /^environments\/([^/]+)\.ts$/.exec(file)?.[1];
  if (fileStem !== undefined && fileStem !== config.name && ENVIRONMENT_NAME.test(config.name)) {
    report('name', config.name, `must be the name of its file (${file} holds environment "${fileStem}")`, `rename the file to environments/${config.name}.ts, or set name: "${fileStem}"`);
  }
  check('subscriptionId', config.subscriptionId, ValueRules.guid);
  check('tenantId', config.tenantId, ValueRules.guid);
  check('location', config.location, LOCATION);
  name('resourceGroup.name', 'resourceGroup', config.resourceGroup?.name);

  const kv = config.keyVault;
  name('keyVault.name', 'keyVault', kv?.name);
  if (kv.existing) {
    for (const setting of CREATE_ONLY.keyVault.filter((k) => kv[k] !== undefined)) {
      report(`keyVault.${setting}`, kv[setting], 'cannot be applied to an existing vault: this stack only reads it', `remove it, and change the vault itself if it needs changing (its owners' configuration)`);
    }
  }
  if (kv?.resourceGroupName !== undefined) name('keyVault.resourceGroupName', 'resourceGroup', kv.resourceGroupName);
  check('keyVault.softDeleteRetentionDays', kv?.softDeleteRetentionDays, ValueRules.softDeleteRetentionDays);
  kv?.networkAcls?.ipRules?.forEach((ip, i) => {
    const field = `keyVault.networkAcls.ipRules[${i}]`;
    check(field, ip, ValueRules.ipRule);
    const range = parseIpv4Range(ip);
    if (range && ValueRules.ipRule.test(ip) && !ValueRules.ipRuleNetworkAddress.test(ip)) {
      report(field, ip, ValueRules.ipRuleNetworkAddress.rule, `write "${networkForm(range)}", the network address of that range`);
    }
  });
  if (!kv.existing && vaultFirewallOn(kv) && kv.networkAcls?.bypass === 'None') {
    report('keyVault.networkAcls.bypass', 'None',
      'must be "AzureServices" while the firewall is on: API Management reads certificates through trusted-service connectivity, which "None" shuts out (API Management docs, "Requirements for Key Vault firewall")',
      'remove bypass (the default is "AzureServices"), or turn the firewall off');
  }
  if (kv?.privateEndpoint) {
    if (kv.existing) {
      report('keyVault.privateEndpoint', kv.privateEndpoint, 'is only for a vault this stack creates: it cannot add an endpoint to a vault it does not manage',
        "remove it and have the vault's owners add the endpoint, or let this stack create the vault");
    }
    check('keyVault.privateEndpoint.subnetId', kv.privateEndpoint.subnetId, ValueRules.subnetId);
    check('keyVault.privateEndpoint.privateDnsZoneId', kv.privateEndpoint.privateDnsZoneId, ValueRules.vaultPrivateDnsZoneId);
  }

  const apim = config.apiManagement;
  name('apiManagement.name', 'apiManagement', apim?.name);
  if (apim.existing) {
    for (const setting of CREATE_ONLY.apiManagement.filter((k) => apim[k] !== undefined)) {
      report(`apiManagement.${setting}`, apim[setting], 'cannot be applied to an existing API Management instance: this stack only adds certificates to it', 'remove it');
    }
  }
  if (apim?.resourceGroupName !== undefined) name('apiManagement.resourceGroupName', 'resourceGroup', apim.resourceGroupName);
  if (apim && !apim.existing) {
    required('apiManagement.publisherName', apim.publisherName, 'set the organisation name shown in the developer portal (needed to create the instance)');
    required('apiManagement.publisherEmail', apim.publisherEmail, "set the address that receives Azure's notifications (needed to create the instance)");
    check('apiManagement.publisherEmail', apim.publisherEmail, ValueRules.email);
    check('apiManagement.skuName', apim.skuName, ValueRules.apimSku);
  }
  if (apim?.identity?.type === 'UserAssigned') {
    name('apiManagement.identity.name', 'userAssignedIdentity', apim.identity.name);
    // An existing vault's firewall is only known at plan time: its data source carries a postcondition.
    if (!kv.existing && vaultFirewallOn(kv)) {
      const setting = kv.publicNetworkAccessEnabled === false ? 'keyVault.publicNetworkAccessEnabled is false' : `keyVault.networkAcls.defaultAction is "Deny"${kv.networkAcls ? '' : ' (the default)'}`;
      report('apiManagement.identity.type', 'UserAssigned',
        `cannot read a vault with its firewall on (${setting}): Microsoft lets no user-assigned identity through a Key Vault firewall; API Management must use its system-assigned identity (API Management docs, "Requirements for Key Vault firewall")`,
        'use identity { type: "SystemAssigned" }, or turn the firewall off (networkAcls.defaultAction "Allow" with public access on), or give APIM a private network path to the vault');
    }
    if (apim.existing && !apim.identity.existing) {
      report('apiManagement.identity.existing', apim.identity.existing,
        'must be true when APIM exists already: this stack cannot attach a new identity to an instance it does not manage',
        'attach the identity to the instance first and set identity.existing: true, or use its system-assigned identity');
    }
  }

  // Nobody could import a certificate: the data plane is shut to every deployer (created vaults only: an
  // existing vault's rules are asked of Azure at plan time).
  const pipelines = config.pipeline;
  if (!kv.existing && vaultFirewallOn(kv) && !(kv.networkAcls?.ipRules?.length) && !kv.privateEndpoint && pipelines?.azureDevOps?.agentNetworkAccess === false && pipelines?.github?.agentNetworkAccess === false) {
    report('keyVault.networkAcls', kv.networkAcls ?? '(the default: deny)',
      "leaves the vault's data plane reachable by nobody: its firewall is on, it has no IP rule and no private endpoint, and both pipelines are told not to open it to their agents (agentNetworkAccess: false)",
      "add your agents' egress range to keyVault.networkAcls.ipRules, add a keyVault.privateEndpoint your agents resolve, or let a pipeline open the firewall to its agent (agentNetworkAccess: true)");
  }

  const expiry = config.expiryWarnings;
  if (expiry) {
    check('expiryWarnings.daysBeforeExpiry', expiry.daysBeforeExpiry, ValueRules.expiryNotificationDays);
    expiry.contacts?.forEach((c, i) => check(`expiryWarnings.contacts[${i}].email`, c.email, ValueRules.email));
    check('expiryWarnings.eventGridWebhookUrl', expiry.eventGridWebhookUrl, ValueRules.httpsUrl);
    if (expiry.contacts?.length && kv.existing && !expiry.manageExistingVaultContacts) {
      report('expiryWarnings.contacts', expiry.contacts.map((c) => c.email),
        "would replace the certificate contacts of an existing vault, which may be someone else's list",
        'set expiryWarnings.manageExistingVaultContacts: true if this stack is meant to own them, or remove contacts');
    }
  }

  const seenDeployers = new Set<string>();
  (config.deployers ?? []).forEach((d, i) => {
    check(`deployers[${i}].objectId`, d.objectId, ValueRules.guid);
    check(`deployers[${i}].type`, d.type, ValueRules.principalType);
    const key = d.objectId?.toLowerCase();
    if (seenDeployers.has(key)) report(`deployers[${i}].objectId`, d.objectId, 'is listed twice', 'remove the duplicate entry');
    seenDeployers.add(key);
  });
  check('rbacPropagationWait', config.rbacPropagationWait, ValueRules.timeDuration);
  const waitSeconds = config.rbacPropagationWait === undefined ? undefined : durationSeconds(config.rbacPropagationWait);
  if (waitSeconds !== undefined && (waitSeconds < RBAC_WAIT_MIN_SECONDS || waitSeconds > RBAC_WAIT_MAX_SECONDS)) {
    report('rbacPropagationWait', config.rbacPropagationWait,
      `must be from ${RBAC_WAIT_MIN_SECONDS}s to ${RBAC_WAIT_MAX_SECONDS / 60}m: role assignments take one to two minutes to reach Key Vault (Microsoft documents up to ten), and every first apply waits this long twice`,
      'use "120s" (the default), or up to "10m" on a slow tenant');
  }

  const tags = Object.entries(config.tags ?? {});
  if (tags.length > 50) report('tags', `${tags.length} tags`, 'must hold at most 50 tags (Azure\'s limit per resource)', 'remove some');
  for (const [tag, value] of tags) {
    if (tag.length < 1 || tag.length > 512 || TAG_NAME_FORBIDDEN.test(tag)) {
      report(`tags.${tag}`, tag, 'must be a tag name of 1-512 characters without < > % & \\ ? /', 'rename the tag');
    }
    if (value.length > 256) report(`tags.${tag}`, value, 'must be a tag value of at most 256 characters', 'shorten it');
  }
  const createsSomething = !config.resourceGroup.existing || !kv.existing || !apim.existing || (apim.identity?.type === 'UserAssigned' && !apim.identity.existing);
  if (tags.length && !createsSomething) {
    report('tags', config.tags, 'apply only to resources this stack creates, and it creates none here (resource group, vault, APIM and identity all exist)', 'remove tags, and tag the existing resources where they are managed');
  }

  if (!config.certificates?.length) {
    report('certificates', config.certificates, 'must list at least one certificate', 'add { name: "mtls-backend" } or remove the environment');
  }
  const seenBackends = new Map<string, number>();
  const seenFragments = new Map<string, number>();
  const seenApiPolicies = new Map<string, number>();
  (config.certificates ?? []).forEach((c, i) => {
    const at = `certificates[${i}]`;
    name(`${at}.name`, 'keyVaultObject', c.name);
    check(`${at}.name`, c.name, ValueRules.certificateNameStart);
    if (c.key?.keyType === 'EC' && !(typeof c.key.acceptEcKeyRisk === 'string' && c.key.acceptEcKeyRisk.trim().length >= 10)) {
      report(`${at}.key`, c.key, `is an EC key: ${EC_KEY_RISK}`, EC_KEY_FIX);
    }
    if (c.format !== undefined && c.format !== 'pfx' && c.format !== 'pem') {
      report(`${at}.format`, c.format, 'must be "pfx" or "pem"', 'use "pfx" for a PKCS#12 file, "pem" for a PEM bundle');
    }
    if (c.backend) {
      check(`${at}.backend.url`, c.backend.url, ValueRules.httpsUrl);
      const backendName = c.backend.name ?? c.name;
      if (c.backend.name !== undefined) name(`${at}.backend.name`, 'apiManagementBackend', c.backend.name);
      const other = seenBackends.get(backendName.toLowerCase());
      if (other !== undefined) {
        report(`${at}.backend.name`, backendName, `is already the backend of certificates[${other}] in this APIM instance`, 'give one of them another backend.name');
      }
      seenBackends.set(backendName.toLowerCase(), i);
    }
    const fragmentName = c.policyFragment?.name ?? defaultFragmentName(c.name);
    if (c.policyFragment?.name !== undefined) {
      check(`${at}.policyFragment.name`, fragmentName, ValueRules.policyFragmentName);
    } else if (typeof c.name === 'string' && !checkAzureName('keyVaultObject', c.name) && !ValueRules.policyFragmentName.test(fragmentName)) {
      report(`${at}.name`, c.name, `makes the default policy fragment name "${fragmentName}", which ${ValueRules.policyFragmentName.rule.replace(/^must/, 'must')}`, 'set policyFragment.name to a shorter name, or shorten the certificate name');
    }
    const otherFragment = seenFragments.get(fragmentName.toLowerCase());
    if (otherFragment !== undefined) {
      report(`${at}.policyFragment.name`, fragmentName, `is already the policy fragment of certificates[${otherFragment}] in this APIM instance`, 'give one of them another policyFragment.name');
    }
    seenFragments.set(fragmentName.toLowerCase(), i);
    if (c.apiPolicy) {
      check(`${at}.apiPolicy.apiName`, c.apiPolicy.apiName, ValueRules.apiName);
      const otherPolicy = seenApiPolicies.get(c.apiPolicy.apiName.toLowerCase());
      if (otherPolicy !== undefined) {
        report(`${at}.apiPolicy.apiName`, c.apiPolicy.apiName, `already gets its whole policy from certificates[${otherPolicy}]: two policies for one API overwrite each other at every apply`, 'keep one apiPolicy per API, and include the other certificate\'s fragment in that API\'s policy instead');
      }
      seenApiPolicies.set(c.apiPolicy.apiName.toLowerCase(), i);
      if (c.apiPolicy.replaceWholePolicy !== true) {
        report(`${at}.apiPolicy.replaceWholePolicy`, c.apiPolicy.replaceWholePolicy,
          `must be true to replace the whole policy of API "${c.apiPolicy.apiName}": that deletes everything its owners put in it (rate limits, JWT validation, rewrites)`,
          `remove apiPolicy and add <include-fragment fragment-id="${fragmentName}" /> to the API's inbound policy, or set replaceWholePolicy: true if this stack alone owns that API's policy`);
      }
    }
  });

  (config.policySuppressions ?? []).forEach((s, i) => {
    if (!POLICY_RULES.some((r) => r.id === s.rule)) {
      report(`policySuppressions[${i}].rule`, s.rule, `is not a policy rule (there are: ${POLICY_RULES.map((r) => r.id).join(', ')})`, 'use one of those ids');
    }
    if (typeof s.reason !== 'string' || s.reason.trim().length < 10) {
      report(`policySuppressions[${i}].reason`, s.reason, 'must say why the rule is broken here (at least 10 characters)', 'write the reason a reviewer needs to accept it');
    }
  });

  if (config.state) {
    name('state.resourceGroupName', 'resourceGroup', config.state.resourceGroupName);
    name('state.storageAccountName', 'storageAccount', config.state.storageAccountName);
    if (config.state.containerName !== undefined) name('state.containerName', 'storageContainer', config.state.containerName);
  }
  return problems;
}

/** What is allowed but probably unwise, one line each: printed by synth, never fatal. */
export function environmentWarnings({ file, config }: EnvironmentSource): string[] {
  const warnings: string[] = [];
  const seconds = config.rbacPropagationWait === undefined ? undefined : durationSeconds(config.rbacPropagationWait);
  if (seconds !== undefined && seconds >= RBAC_WAIT_MIN_SECONDS && seconds < RBAC_WAIT_WARN_SECONDS) {
    warnings.push(
      `${file}: rbacPropagationWait = "${config.rbacPropagationWait}": under ${RBAC_WAIT_WARN_SECONDS}s the first import often meets ForbiddenByRbac (propagation usually takes one to two minutes). Fix: use "120s" unless this tenant is known to be fast`,
    );
  }
  const expiry = config.expiryWarnings;
  const contactsManaged = expiry?.contacts?.length && (!config.keyVault.existing || expiry.manageExistingVaultContacts);
  if (!config.keyVault.existing && !contactsManaged) {
    warnings.push(
      `${file}: expiryWarnings.contacts = (not set): Key Vault's expiry e-mails go to the vault's certificate contacts, and this vault gets none. Fix: list who renews the certificates in expiryWarnings.contacts`,
    );
  }
  return warnings;
}

/**
 * Every string anywhere in the environment, tag names included: configuration text is data, never code
 * or a log command. A control character (a newline) or a bidirectional override could start an Azure
 * DevOps `##vso[` or GitHub `::` command wherever the value is printed; `${` and `%{` would be read by
 * Terraform as an interpolation or a template directive inside the synthesized JSON.
 */
function checkFreeText(value: unknown, field: string, report: (field: string, value: unknown, rule: string, fix: string) => void): void {
  if (typeof value === 'string') {
    if (hasUnprintable(value)) {
      report(field, value, 'must not contain control characters (newlines, tabs) or bidirectional overrides: printed in a pipeline log they could start a logging command or hide text', 'write it on one line with plain characters');
    } else if (/[$%]\{/.test(value)) {
      report(field, value, 'must not contain "${" or "%{": Terraform would read it as an interpolation or a template directive', 'remove the sequence (write "$ {" if the text really needs it)');
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkFreeText(item, `${field}[${i}]`, report));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = field ? `${field}.${key}` : key;
      if (hasUnprintable(key) || /[$%]\{/.test(key)) report(at, key, 'is a key with control characters, "${" or "%{"', 'use a plain key');
      checkFreeText(item, at, report);
    }
  }
}

/**
 * Problems that span environments: two with one name, and Key Vault object names that collide in one
 * vault (environments may share an existing vault). Key Vault names are case-insensitive, and a
 * certificate also owns a secret and a key of its name, so two certificates of one name cannot coexist.
 */
export function validateAcrossEnvironments(sources: readonly EnvironmentSource[]): ConfigurationError[] {
  const problems: ConfigurationError[] = [];
  const envNames = new Map<string, string>();
  const vaultObjects = new Map<string, { file: string; index: number }>();
  const apiPolicies = new Map<string, { file: string; index: number }>();
  // Names this stack creates inside an APIM instance, which environments sharing one must not both claim.
  const apimObjects = new Map<string, { file: string; field: string }>();
  for (const { file, config } of sources) {
    const instance = `${(config.apiManagement.resourceGroupName ?? config.resourceGroup.name).toLowerCase()}/${config.apiManagement.name.toLowerCase()}`;
    (config.certificates ?? []).forEach((c, index) => {
      if (typeof c.name !== 'string') return;
      const claims: [kind: string, name: string, field: string][] = [
        ['certificate', c.name, `certificates[${index}].name`],
        ['policy fragment', c.policyFragment?.name ?? defaultFragmentName(c.name), c.policyFragment?.name ? `certificates[${index}].policyFragment.name` : `certificates[${index}].name`],
        ...(c.backend ? [['backend', c.backend.name ?? c.name, c.backend.name ? `certificates[${index}].backend.name` : `certificates[${index}].name`] as [string, string, string]] : []),
      ];
      for (const [kind, name, field] of claims) {
        const key = `${instance}/${kind}/${name.toLowerCase()}`;
        const first = apimObjects.get(key);
        if (first && first.file !== file) {
          problems.push(new ConfigurationError({
            source: file,
            field,
            value: name,
            rule: `names the ${kind} "${name}" in API Management "${config.apiManagement.name}", which ${first.file} (${first.field}) creates too: the second apply would fail with "already exists"`,
            fix: 'give one of them another name (certificate, policyFragment.name or backend.name)',
          }));
        } else if (!first) {
          apimObjects.set(key, { file, field });
        }
      }
    });
    // Environments may share an existing APIM instance: one whole-policy replacement per API across all.
    const apim = config.apiManagement;
    (config.certificates ?? []).forEach((c, index) => {
      if (!c.apiPolicy || typeof c.apiPolicy.apiName !== 'string') return;
      const key = `${(apim.resourceGroupName ?? config.resourceGroup.name).toLowerCase()}/${apim.name.toLowerCase()}/${c.apiPolicy.apiName.toLowerCase()}`;
      const first = apiPolicies.get(key);
      if (first && first.file !== file) {
        problems.push(new ConfigurationError({
          source: file,
          field: `certificates[${index}].apiPolicy.apiName`,
          value: c.apiPolicy.apiName,
          rule: `already gets its whole policy from certificates[${first.index}] of ${first.file} in API Management "${apim.name}": two policies for one API overwrite each other at every apply`,
          fix: 'keep one apiPolicy per API, and include the other certificate\'s fragment in that API\'s policy instead',
        }));
      } else if (!first) {
        apiPolicies.set(key, { file, index });
      }
    });
    const firstFile = envNames.get(config.name);
    if (firstFile) {
      problems.push(new ConfigurationError({ source: file, field: 'name', value: config.name, rule: `is already the name of the environment in ${firstFile}`, fix: 'give each environment its own name' }));
    } else {
      envNames.set(config.name, file);
    }
    (config.certificates ?? []).forEach((c, index) => {
      if (typeof c.name !== 'string' || typeof config.keyVault?.name !== 'string') return;
      const key = `${config.keyVault.name.toLowerCase()}/${c.name.toLowerCase()}`;
      const first = vaultObjects.get(key);
      if (first) {
        const where = first.file === file ? `certificates[${first.index}]` : `certificates[${first.index}] of ${first.file}`;
        problems.push(new ConfigurationError({
          source: file,
          field: `certificates[${index}].name`,
          value: c.name,
          rule: `is already used in Key Vault "${config.keyVault.name}" by ${where} (names are case-insensitive, and a certificate also owns a secret and a key of that name)`,
          fix: 'give one of them another name',
        }));
      } else {
        vaultObjects.set(key, { file, index });
      }
    });
  }
  return problems;
}
