/**
 * IPv4 addresses and CIDR ranges as Key Vault's firewall takes them: dotted decimal without leading
 * zeros, an optional /8../32 prefix. One parser for the configuration check (ipRules) and the agent's
 * address lookup, so that both agree on what a rule is.
 */
export interface Ipv4Range {
  /** The rule as written. */
  readonly text: string;
  readonly bits: number;
  /** First and last address of the range, as numbers. */
  readonly start: number;
  readonly end: number;
  /** The address as written, as a number: differs from `start` when host bits are set (203.0.113.65/27). */
  readonly address: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The range, or undefined when the text is not canonical dotted decimal with a prefix from 8 to 32. */
export function parseIpv4Range(text: string): Ipv4Range | undefined {
  const match = DOTTED.exec(text);
  if (!match || match.slice(1, 5).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return undefined;
  const bits = match[5] === undefined ? 32 : Number(match[5]);
  if (bits < 8 || bits > 32 || (match[5] !== undefined && match[5].length > 1 && match[5].startsWith('0'))) return undefined;
  const address = ipv4ToNumber(match.slice(1, 5).join('.'));
  const start = address - (address % 2 ** (32 - bits));
  return { text, bits, start, end: start + 2 ** (32 - bits) - 1, address };
}

/** "203.0.113.64/27" for 203.0.113.65/27: the network address, which is how the rule must be written. */
export function networkForm(range: Ipv4Range): string {
  return range.bits === 32 ? numberToIpv4(range.start) : `${numberToIpv4(range.start)}/${range.bits}`;
}

const ranges = (list: readonly [string, number][]) => list.map(([address, bits]) => [ipv4ToNumber(address), bits] as const);

// Not public (RFC 6890): "this network", RFC 1918 private, CGNAT shared, loopback, link-local, IETF
// protocol assignments, multicast, reserved and broadcast. Key Vault's firewall takes none of them.
const NON_PUBLIC = ranges([
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
]);
// Documentation (RFC 5737) and the 6to4 relay: public in form, routed nowhere. Allowed in configuration
// (the samples use 203.0.113.x), never believed as the answer of an address lookup.
const NOT_ROUTED = ranges([['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['192.88.99.0', 24]]);

const touches = (list: readonly (readonly [number, number])[], range: Ipv4Range) =>
  list.some(([base, size]) => !(range.end < base || range.start > base + 2 ** (32 - size) - 1));

/** A rule Key Vault takes: public, whatever its host bits. */
export function isPublicRange(range: Ipv4Range): boolean {
  return !touches(NON_PUBLIC, range);
}

/** An address the internet can really route to: what an agent's egress must be. */
export function isGloballyRoutableAddress(range: Ipv4Range): boolean {
  return range.bits === 32 && !range.text.includes('/') && isPublicRange(range) && !touches(NOT_ROUTED, range);
}

/** Two rules that name the same range: Key Vault keeps a single address as given or as <ip>/32. */
export function sameRule(a: string, b: string): boolean {
  const ra = parseIpv4Range(a);
  const rb = parseIpv4Range(b);
  return ra !== undefined && rb !== undefined ? ra.start === rb.start && ra.bits === rb.bits : a === b;
}
