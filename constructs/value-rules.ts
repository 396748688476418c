import { GUID_PATTERN, PRINCIPAL_TYPES } from './principal';
import { isPublicRange, parseIpv4Range } from './ipv4-range';

/**
 * Rules for values other than Azure names, shared by the constructs (props given in code) and the
 * environment loader (props given in environments/*.ts), so both say the same thing the same way.
 */
export interface ValueRule<T = string> {
  /** The sentence after the value: "must be an https:// URL ...". */
  readonly rule: string;
  readonly fix: string;
  readonly test: (value: T) => boolean;
}

export const ValueRules = {
  guid: {
    rule: 'must be a GUID (8-4-4-4-12 hexadecimal digits)',
    fix: 'copy the object id from Entra ID (az ad sp show / az ad user show --query id)',
    test: (v: string) => GUID_PATTERN.test(v),
  },
  principalType: {
    rule: `must be one of ${PRINCIPAL_TYPES.join(', ')}`,
    fix: 'use "ServicePrincipal" for a pipeline or managed identity, "User" for a person, "Group" for a group',
    test: (v: string) => (PRINCIPAL_TYPES as readonly string[]).includes(v),
  },
  email: {
    rule: 'must be an e-mail address',
    fix: 'write it as name@example.com',
    test: (v: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v),
  },
  apimSku: {
    rule: 'must be <tier>_<capacity> with tier Consumption, Developer, Basic, Standard, Premium, BasicV2, StandardV2 or PremiumV2 (Consumption only with 0)',
    fix: 'write it as "Developer_1" or "Premium_1"',
    test: (v: string) => /^(Consumption_0|(Developer|Basic|Standard|Premium|BasicV2|StandardV2|PremiumV2)_[1-9][0-9]*)$/.test(v),
  },
  httpsUrl: {
    rule: 'must be an https:// URL (a client certificate is only presented over TLS)',
    fix: 'write it as https://backend.example.com/api',
    test: (v: string) => /^https:\/\/[^\s/?#]+(\/[^\s]*)?$/.test(v),
  },
  timeDuration: {
    rule: 'must be a time_sleep duration: a number and a unit (ms, s, m, h), e.g. "120s" or "2m"',
    fix: 'write it as "120s"',
    test: (v: string) => /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(v),
  },
  certificateNameStart: {
    rule: 'must start with a letter (it also names the Terraform variables TF_VAR_<name>_...)',
    fix: 'start the name with a letter, e.g. "mtls-backend"',
    test: (v: string) => /^[a-zA-Z]/.test(v),
  },
  apiName: {
    rule: 'must be an APIM API name: 1-256 characters without * # & + : < > ? / \\',
    fix: "use the API's name (its id), not its display name",
    test: (v: string) => /^[^*#&+:<>?/\\]{1,256}$/.test(v),
  },
  ipRule: {
    rule: 'must be a public IPv4 address or CIDR range (a.b.c.d or a.b.c.d/nn, nn from 8 to 32); Key Vault rejects private, loopback, link-local, shared and multicast ranges',
    fix: "write the public address your agents or workstation leave through, e.g. 203.0.113.10 or 203.0.113.0/24 (a private network reaches the vault through keyVault.privateEndpoint)",
    test: (v: string) => {
      const range = parseIpv4Range(v);
      return range !== undefined && isPublicRange(range);
    },
  },
  ipRuleNetworkAddress: {
    rule: 'must be written as its network address: the Azure CLI parses every rule of a vault strictly and fails on one with host bits set, which breaks every later `az keyvault network-rule` call on that vault',
    fix: 'write the range from its first address (npm run synth names it)',
    test: (v: string) => {
      const range = parseIpv4Range(v);
      return range === undefined || range.address === range.start;
    },
  },
  softDeleteRetentionDays: {
    rule: 'must be a whole number of days from 7 to 90',
    fix: 'pick a value from 7 to 90 (90 is the default)',
    test: (v: number) => Number.isInteger(v) && v >= 7 && v <= 90,
  },
  subnetId: {
    rule: 'must be a subnet resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)',
    fix: 'copy it from az network vnet subnet show --query id -o tsv',
    test: (v: string) => /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i.test(v),
  },
  vaultPrivateDnsZoneId: {
    rule: 'must be the resource id of a privatelink.vaultcore.azure.net private DNS zone (Key Vault\'s private-link zone)',
    fix: 'copy it from az network private-dns zone show --name privatelink.vaultcore.azure.net --resource-group <rg> --query id -o tsv',
    test: (v: string) => /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/privatelink\.vaultcore\.azure\.net$/i.test(v),
  },
  expiryNotificationDays: {
    rule: 'must be a whole number of days from 1 to 365',
    fix: 'use 30 (the default): enough time to get a renewed certificate from its issuer',
    test: (v: number) => Number.isInteger(v) && v >= 1 && v <= 365,
  },
  policyFragmentName: {
    rule: 'must be 1-80 letters, digits and hyphens, starting with a letter',
    fix: 'replace the other characters with hyphens',
    test: (v: string) => /^[a-zA-Z][a-zA-Z0-9-]{0,79}$/.test(v),
  },
} as const satisfies Record<string, ValueRule<string> | ValueRule<number>>;
