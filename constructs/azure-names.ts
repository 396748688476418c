/**
 * Azure's naming rules for what this project creates, in one table. Each rule is one readable sentence
 * with its fix, so that a broken name gets one line that says exactly what is wrong (the provider would
 * only say so at apply time, minutes into a pipeline).
 *
 * Sources: "Naming rules and restrictions for Azure resources" (Microsoft.KeyVault, Microsoft.ApiManagement,
 * Microsoft.Resources, Microsoft.ManagedIdentity, Microsoft.Storage) and the Key Vault object-name rule
 * `^[0-9a-zA-Z-]{1,127}$` that the azurerm provider enforces.
 */
export type AzureNameKind =
  | 'resourceGroup'
  | 'keyVault'
  | 'keyVaultObject'
  | 'apiManagement'
  | 'apiManagementBackend'
  | 'userAssignedIdentity'
  | 'storageAccount'
  | 'storageContainer';

interface NameRule {
  /** The sentence shown after "must": "be 3 to 24 characters long". */
  readonly rule: string;
  readonly fix: string;
  readonly test: (name: string) => boolean;
}

const length = (min: number, max: number): NameRule => ({
  rule: `be ${min} to ${max} characters long`,
  fix: `use a name of ${min} to ${max} characters`,
  test: (n) => n.length >= min && n.length <= max,
});
const pattern = (re: RegExp, rule: string, fix: string): NameRule => ({ rule, fix, test: (n) => re.test(n) });

export const AZURE_NAME_RULES: Record<AzureNameKind, { /** With its article: "a Key Vault name", "an API Management name". */
    readonly label: string; readonly rules: readonly NameRule[] }> = {
  resourceGroup: {
    label: 'a resource group name',
    rules: [
      length(1, 90),
      pattern(/^[-\w.()]+$/u, 'contain only letters, digits, underscores, hyphens, periods and parentheses', 'remove the other characters'),
      pattern(/[^.]$/, 'not end with a period', 'remove the trailing period'),
    ],
  },
  keyVault: {
    label: 'a Key Vault name',
    rules: [
      length(3, 24),
      pattern(/^[a-zA-Z0-9-]+$/, 'contain only letters, digits and hyphens', 'remove the other characters (Key Vault names are global DNS labels)'),
      pattern(/^[a-zA-Z]/, 'start with a letter', 'start the name with a letter, e.g. "kv-..."'),
      pattern(/[a-zA-Z0-9]$/, 'end with a letter or digit', 'remove the trailing hyphen'),
      pattern(/^(?!.*--)/, 'not contain two consecutive hyphens', 'replace "--" with a single hyphen'),
    ],
  },
  keyVaultObject: {
    label: 'a Key Vault object name',
    rules: [
      length(1, 127),
      pattern(/^[0-9a-zA-Z-]+$/, 'contain only letters, digits and hyphens', 'replace underscores, dots and spaces with hyphens'),
    ],
  },
  apiManagement: {
    label: 'an API Management name',
    rules: [
      length(1, 50),
      pattern(/^[a-zA-Z0-9-]+$/, 'contain only letters, digits and hyphens', 'remove the other characters (the name is a DNS label: <name>.azure-api.net)'),
      pattern(/^[a-zA-Z]/, 'start with a letter', 'start the name with a letter, e.g. "apim-..."'),
      pattern(/[a-zA-Z0-9]$/, 'end with a letter or digit', 'remove the trailing hyphen'),
    ],
  },
  apiManagementBackend: {
    label: 'an API Management backend name',
    rules: [
      length(1, 80),
      pattern(/^[a-zA-Z0-9-]+$/, 'contain only letters, digits and hyphens', 'replace the other characters with hyphens'),
    ],
  },
  userAssignedIdentity: {
    label: 'a user-assigned identity name',
    rules: [
      length(3, 128),
      pattern(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, 'start with a letter or digit and contain only letters, digits, hyphens and underscores', 'remove the other characters'),
    ],
  },
  storageAccount: {
    label: 'a storage account name',
    rules: [
      length(3, 24),
      pattern(/^[a-z0-9]+$/, 'contain only lowercase letters and digits', 'lowercase the name and remove hyphens and other characters'),
    ],
  },
  storageContainer: {
    label: 'a storage container name',
    rules: [
      length(3, 63),
      pattern(/^[a-z0-9-]+$/, 'contain only lowercase letters, digits and hyphens', 'lowercase the name and remove the other characters'),
      pattern(/^[a-z0-9]/, 'start with a letter or digit', 'remove the leading hyphen'),
      pattern(/^(?!.*--)/, 'not contain two consecutive hyphens', 'replace "--" with a single hyphen'),
    ],
  },
};

export interface NameProblem {
  readonly rule: string;
  readonly fix: string;
}

/** The first rule a name breaks, as "must ..." sentence and fix, or undefined when the name is valid. */
export function checkAzureName(kind: AzureNameKind, name: string): NameProblem | undefined {
  const { label, rules } = AZURE_NAME_RULES[kind];
  const broken = rules.find((r) => !r.test(name));
  return broken && { rule: `${label} must ${broken.rule}`, fix: broken.fix };
}
