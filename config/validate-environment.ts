import { AzureNameKind, checkAzureName } from '../constructs/azure-names';
import { ConfigurationError } from '../constructs/configuration-error';
import { ValueRule, ValueRules } from '../constructs/value-rules';
import { POLICY_RULES } from '../policies';
import { hasUnprintable } from '../text/printable';
import type { EnvironmentConfig } from './environment-config';

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
  rule: 'must be an Azure region name: lowercase letters and digits, no spaces',
  fix: 'write it as "westeurope" (az account list-locations -o table lists them)',
  test: (v) => /^[a-z][a-z0-9]+$/.test(v),
};

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

  checkFreeText(config, '', report);
  check('name', config.name, ENVIRONMENT_NAME);
  check('subscriptionId', config.subscriptionId, ValueRules.guid);
  check('tenantId', config.tenantId, ValueRules.guid);
  required('location', config.location, 'set the Azure region, e.g. "westeurope"');
  check('location', config.location, LOCATION);
  name('resourceGroup.name', 'resourceGroup', config.resourceGroup?.name);

  const kv = config.keyVault;
  name('keyVault.name', 'keyVault', kv?.name);
  if (kv?.resourceGroupName !== undefined) name('keyVault.resourceGroupName', 'resourceGroup', kv.resourceGroupName);
  check('keyVault.softDeleteRetentionDays', kv?.softDeleteRetentionDays, ValueRules.softDeleteRetentionDays);
  kv?.networkAcls?.ipRules?.forEach((ip, i) => check(`keyVault.networkAcls.ipRules[${i}]`, ip, ValueRules.ipRule));
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
    const firewall = kv && !kv.existing && ((kv.networkAcls?.defaultAction ?? 'Deny') === 'Deny' || kv.publicNetworkAccessEnabled === false);
    if (firewall) {
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

  const seenDeployers = new Set<string>();
  (config.deployers ?? []).forEach((d, i) => {
    check(`deployers[${i}].objectId`, d.objectId, ValueRules.guid);
    check(`deployers[${i}].type`, d.type, ValueRules.principalType);
    const key = d.objectId?.toLowerCase();
    if (seenDeployers.has(key)) report(`deployers[${i}].objectId`, d.objectId, 'is listed twice', 'remove the duplicate entry');
    seenDeployers.add(key);
  });
  check('rbacPropagationWait', config.rbacPropagationWait, ValueRules.timeDuration);

  if (!config.certificates?.length) {
    report('certificates', config.certificates, 'must list at least one certificate', 'add { name: "mtls-backend" } or remove the environment');
  }
  const seenBackends = new Map<string, number>();
  const seenFragments = new Map<string, number>();
  (config.certificates ?? []).forEach((c, i) => {
    const at = `certificates[${i}]`;
    name(`${at}.name`, 'keyVaultObject', c.name);
    check(`${at}.name`, c.name, ValueRules.certificateNameStart);
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
    const fragmentName = c.policyFragment?.name ?? `client-cert-${c.name}`;
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
  for (const { file, config } of sources) {
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
