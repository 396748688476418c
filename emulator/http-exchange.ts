import type { IncomingHttpHeaders } from 'node:http';

/** One request as an emulated Azure service sees it, after the proxy has terminated TLS. */
export interface EmulatorRequest {
  readonly method: string;
  /** The host az asked the proxy to CONNECT to, lower case, without the port. */
  readonly host: string;
  /** The path without the query string, percent-decoded per segment. */
  readonly path: string;
  /** Query parameters; names kept as sent (`api-version`, `$filter`, `maxresults`). */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
}

export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON unless it is a string or a Buffer. */
  readonly body?: unknown;
}

/** What `requests` holds for each exchange, for tests to assert on. */
export interface RecordedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** The request body: parsed JSON, form fields (token endpoint), or text; absent when empty. */
  readonly body?: unknown;
  /** The response body as sent (parsed JSON where it was JSON). */
  readonly response?: unknown;
  /** The principal (object id) the bearer token identified, if any. */
  readonly principalId?: string;
  /**
   * Set on calls one emulated service makes to another inside Azure (API Management reading its Key Vault
   * secret): they never cross the proxy, but are recorded so tests can see who read what.
   */
  readonly via?: string;
}

/** A service on one or more hosts; returns undefined when no route matches (the caller answers 404). */
export type ServiceHandler = (request: EmulatorRequest, context: RequestContext) => EmulatorResponse | Promise<EmulatorResponse>;

/** Per-request scratch space that handlers fill in for the recorder. */
export interface RequestContext {
  principalId?: string;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** The body as JSON, or undefined when it is empty; a malformed body is a 400 for the caller to return. */
export function jsonBody<T = unknown>(request: EmulatorRequest): T | undefined {
  if (request.rawBody.length === 0) return undefined;
  return JSON.parse(request.rawBody.toString('utf8')) as T;
}

/** `application/x-www-form-urlencoded` fields (the Entra ID token endpoint). */
export function formBody(request: EmulatorRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.rawBody.toString('utf8')));
}

/** Case-insensitive header read; Node lower-cases names already. */
export function header(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Matches `path` against a pattern such as `/subscriptions/{subscriptionId}/providers/{ns}`; case-insensitive literals. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  // A trailing empty segment (`/certificates/name/`) is how the Key Vault SDK asks for "latest": keep it.
  if (path.endsWith('/') && path.length > 1) got.push('');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w.startsWith('{') && w.endsWith('}')) params[w.slice(1, -1)] = got[i];
    else if (w.toLowerCase() !== got[i].toLowerCase()) return undefined;
  }
  return params;
}

/** Seconds since the epoch, as Key Vault's `attributes` carry them. */
export const unixSeconds = (ms: number = Date.now()): number => Math.floor(ms / 1000);
