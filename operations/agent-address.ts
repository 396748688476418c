import { isGloballyRoutableAddress, parseIpv4Range } from '../constructs/ipv4-range';
import { printable } from '../text/printable';
import { StepFailure } from './step-failure';

/**
 * The public IPv4 address this machine reaches Key Vault from: the one the vault's firewall sees, so it is
 * asked of a service outside (AGENT_IP overrides it where the egress is known). The answer comes from the
 * network and is believed only as canonical, globally routable dotted decimal: a captive portal's HTML, a
 * proxy's error page, "0.0.0.0", a private or documentation address, an IPv6 address or an address with
 * leading zeros are refused, and only a short escaped excerpt of such an answer is ever printed.
 */
export const DEFAULT_IP_LOOKUP_URL = 'https://api.ipify.org';
const MAX_ANSWER_BYTES = 64;

export type AddressLookup = (url: string, timeoutMs: number) => Promise<string>;

/** GET the URL, at most MAX_ANSWER_BYTES + 1 bytes of the answer. */
export const httpsLookup: AddressLookup = async (url, timeoutMs) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= MAX_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES + 1).toString('latin1');
};

/** At most 24 characters of what came back, escaped: enough to recognise it, never enough to carry a payload. */
export function excerpt(answer: string): string {
  const trimmed = answer.length > 24 ? `${answer.slice(0, 24)}…` : answer;
  return printable(JSON.stringify(trimmed));
}

/** The address, or a StepFailure saying why it is not believed. */
export function acceptAgentAddress(answer: string, source: string): string {
  const candidate = answer.replace(/\r?\n$/, '');
  const range = parseIpv4Range(candidate);
  if (!range || !isGloballyRoutableAddress(range)) {
    throw new StepFailure(
      `${source} answered ${excerpt(answer)}, which is not a public IPv4 address this machine could reach Key Vault from. Fix: set AGENT_IP to the agent's egress address, or AGENT_NETWORK_ACCESS=false where the vault's rules already allow the agents`,
    );
  }
  return candidate;
}

export async function agentAddress(env: NodeJS.ProcessEnv, lookup: AddressLookup = httpsLookup): Promise<string> {
  if (env.AGENT_IP) return acceptAgentAddress(env.AGENT_IP, 'AGENT_IP');
  const url = env.IP_LOOKUP_URL || DEFAULT_IP_LOOKUP_URL;
  if (!/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[\w./-]*)?$/.test(url)) throw new StepFailure(`IP_LOOKUP_URL ${excerpt(url)} is not a plain https:// URL. Fix: unset it, or give one such as ${DEFAULT_IP_LOOKUP_URL}`);
  let answer: string;
  try {
    answer = await lookup(url, 10_000);
  } catch (error) {
    throw new StepFailure(`could not look up this machine's public address at ${url} (${printable(String((error as Error).message ?? error)).slice(0, 80)}). Fix: set AGENT_IP, or AGENT_NETWORK_ACCESS=false where the agents' egress is already allowed`);
  }
  return acceptAgentAddress(answer, url);
}
