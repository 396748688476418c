import net from 'node:net';
import type { Vault } from './state';

/** IPv4 dotted quad → unsigned 32-bit number, or undefined. */
function ipv4ToNumber(address: string): number | undefined {
  if (!net.isIPv4(address)) return undefined;
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether `address` lies in `rule` (a bare IPv4 address or CIDR; host bits in the rule are ignored, as a mask would). */
export function ipInRule(address: string, rule: string): boolean {
  const [base, bitsText] = rule.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const a = ipv4ToNumber(address);
  const b = ipv4ToNumber(base);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '0.0.0.0/8', '169.254.0.0/16'];

/**
 * Validates and normalises `networkAcls.ipRules` the way the service does on a vault PUT/PATCH:
 * IPv4 only, no private ranges (message as reported in Azure/azure-powershell#11471), and a bare address
 * stored as `a.b.c.d/32` (observed: Azure/azure-cli#21330). Host bits in a CIDR are kept as sent: what Key
 * Vault does with them is NOT CONFIRMED (research notes, docs-facts §4).
 */
export function normaliseIpRules(rules: readonly { value?: unknown }[]): { rules: { value: string }[] } | { error: string } {
  const out: { value: string }[] = [];
  for (const [index, rule] of rules.entries()) {
    const value = String(rule.value ?? '');
    const [base, bits] = value.split('/');
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32);
    if (!net.isIPv4(base) || !bitsOk) {
      return { error: `Invalid value found at properties.networkAcls.ipRules[${index}].value: ${value} is not a valid IPv4 address or CIDR range.` };
    }
    const privateRange = PRIVATE_RANGES.find((range) => ipInRule(base, range));
    if (privateRange) {
      return { error: `Invalid value found at properties.networkAcls.ipRules[${index}].value: ${value} belongs to forbidden range ${privateRange} (private IP addresses)` };
    }
    out.push({ value: bits === undefined ? `${value}/32` : value });
  }
  return { rules: out };
}

export type FirewallDecision = { allowed: true } | { allowed: false; innerCode: 'ForbiddenByFirewall' | 'ForbiddenByConnection'; message: string };

/**
 * The Key Vault firewall for a data-plane call from `clientAddress`. A trusted Azure service passes when
 * `bypass` is AzureServices. Shapes per docs-facts §4 (Learn "Common error codes for Azure Key Vault" and
 * real 403 bodies).
 */
export function checkFirewall(vault: Vault, clientAddress: string, trustedService = false): FirewallDecision {
  const { publicNetworkAccess, networkAcls } = vault.properties;
  if (trustedService && networkAcls.bypass === 'AzureServices') return { allowed: true };
  if (publicNetworkAccess === 'Disabled') {
    return {
      allowed: false,
      innerCode: 'ForbiddenByConnection',
      message: `Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: ipAddress=${clientAddress}\r\nVault: ${vault.name};location=${vault.location}`,
    };
  }
  if (networkAcls.defaultAction !== 'Deny') return { allowed: true };
  if (networkAcls.ipRules.some((rule) => ipInRule(clientAddress, rule.value))) return { allowed: true };
  return {
    allowed: false,
    innerCode: 'ForbiddenByFirewall',
    message: `Client address is not authorized and caller is not a trusted service.\r\nClient address: ${clientAddress}\r\nCaller: \r\nVault: ${vault.name};location=${vault.location}`,
  };
}
