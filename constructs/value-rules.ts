import { GUID_PATTERN, PRINCIPAL_TYPES } from './principal';

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
    test: (v: string) => isPublicIpv4Rule(v),
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

// Ranges that are not public addresses (RFC 1918 private, loopback, link-local, CGNAT shared, "this
// network", multicast and reserved): Key Vault's firewall only takes public IPv4 rules.
const NON_PUBLIC_RANGES: readonly [number, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4],
].map(([address, bits]) => [ipv4ToNumber(address as string), bits as number]);

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function isPublicIpv4Rule(rule: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(rule);
  if (!match || match.slice(1, 5).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return false;
  const bits = match[5] === undefined ? 32 : Number(match[5]);
  if (bits < 8 || bits > 32) return false;
  // The range a rule covers starts at its network address: 172.32.0.0/8 is 172.0.0.0/8.
  const address = ipv4ToNumber(match.slice(1, 5).join('.'));
  const start = address - (address % 2 ** (32 - bits));
  const end = start + 2 ** (32 - bits) - 1;
  // The rule's range must not touch any non-public range.
  return NON_PUBLIC_RANGES.every(([base, size]) => end < base || start > base + 2 ** (32 - size) - 1);
}
