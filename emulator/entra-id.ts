import crypto from 'node:crypto';
import { formBody, header, json, matchPath, unixSeconds, type EmulatorRequest, type EmulatorResponse, type RequestContext } from './http-exchange';
import type { AzureState, Principal } from './state';

/**
 * Microsoft Entra ID on login.microsoftonline.com, as much of it as MSAL Python (inside az) uses for a
 * service principal: tenant discovery and the client-credentials grant (with a client secret, a certificate
 * credential or a federated client assertion). There is no REST spec for Entra ID in Azure/azure-rest-api-specs; shapes follow
 * OpenID Connect Discovery 1.0 and the Microsoft identity platform docs ("OAuth 2.0 client credentials
 * flow", "Access token claims reference", "AADSTS error codes").
 */

/** ARM accepts tokens for any of these audiences (the `aud` az gets for the management scope is the first). */
export const MANAGEMENT_AUDIENCES = ['https://management.core.windows.net/', 'https://management.core.windows.net', 'https://management.azure.com/', 'https://management.azure.com'];
export const VAULT_AUDIENCES = ['https://vault.azure.net', 'https://vault.azure.net/'];

export const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** An unsecured-but-well-formed JWT (header.payload.signature); the signature is random bytes nobody checks. */
export function encodeJwt(claims: Record<string, unknown>, headerClaims: Record<string, unknown> = { typ: 'JWT', alg: 'RS256', kid: 'azure-emulator' }): string {
  return `${base64url(JSON.stringify(headerClaims))}.${base64url(JSON.stringify(claims))}.${base64url(crypto.randomBytes(32))}`;
}

export function decodeJwt(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface IssuedToken {
  readonly principal: Principal;
  readonly audience: string;
  readonly expiresAt: number;
}

export type Authentication = { ok: true; token: IssuedToken } | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'audience'; audience?: string };

export class EntraId {
  private readonly issued = new Map<string, IssuedToken>();

  constructor(private readonly state: AzureState) {}

  /** Mints a token directly (for a service principal a test wants to act as without going through az). */
  issue(principal: Principal, resource: string): string {
    const now = unixSeconds(this.state.now());
    const token = encodeJwt({
      aud: resource,
      iss: `https://sts.windows.net/${this.state.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + 3599,
      aio: 'azure-emulator',
      appid: principal.appId,
      appidacr: '2',
      idp: `https://sts.windows.net/${this.state.tenantId}/`,
      idtyp: 'app',
      oid: principal.objectId,
      rh: 'azure-emulator',
      sub: principal.objectId,
      tid: this.state.tenantId,
      uti: base64url(crypto.randomBytes(16)),
      ver: '1.0',
    });
    this.issued.set(token, { principal, audience: resource, expiresAt: (now + 3599) * 1000 });
    return token;
  }

  /** Checks an `Authorization: Bearer` header: one this emulator issued, unexpired, for one of `audiences`. */
  authenticate(request: EmulatorRequest, audiences: readonly string[]): Authentication {
    const authorization = header(request, 'authorization');
    if (!authorization) return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const token = match ? this.issued.get(match[1]) : undefined;
    if (!token) return { ok: false, reason: 'invalid' };
    if (this.state.now() >= token.expiresAt) return { ok: false, reason: 'expired' };
    if (!audiences.includes(token.audience)) return { ok: false, reason: 'audience', audience: token.audience };
    return { ok: true, token };
  }

  readonly handle = (request: EmulatorRequest, context: RequestContext): EmulatorResponse => {
    const discovery = matchPath('/{tenant}/v2.0/.well-known/openid-configuration', request.path);
    if (request.method === 'GET' && discovery) return this.openIdConfiguration(discovery.tenant);
    if (request.method === 'GET' && matchPath('/common/discovery/instance', request.path)) return this.instanceDiscovery(request);
    const token = matchPath('/{tenant}/oauth2/v2.0/token', request.path);
    if (request.method === 'POST' && token) return this.token(token.tenant, request, context);
    return aadError(404, 'invalid_request', 90002, `Unsupported path ${request.method} ${request.path} (azure-emulator).`);
  };

  private knownTenant(tenant: string): boolean {
    return [this.state.tenantId, 'organizations', 'common'].includes(tenant.toLowerCase());
  }

  /** OpenID Connect Discovery document of the v2.0 endpoint (what MSAL reads the token_endpoint from). */
  private openIdConfiguration(tenant: string): EmulatorResponse {
    if (!this.knownTenant(tenant)) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    const tid = this.state.tenantId;
    const base = `https://login.microsoftonline.com/${tenant}`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  /** Instance discovery (MSAL skips it for login.microsoftonline.com, a well-known host; served in case). */
  private instanceDiscovery(request: EmulatorRequest): EmulatorResponse {
    const tenant = /login\.microsoftonline\.com\/([^/]+)/.exec(request.query.authorization_endpoint ?? '')?.[1] ?? this.state.tenantId;
    return json(200, {
      tenant_discovery_endpoint: `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] }],
    });
  }

  /** The client-credentials grant: client_secret, or client_assertion (signed with a registered certificate, or a federated token). */
  private token(tenant: string, request: EmulatorRequest, context: RequestContext): EmulatorResponse {
    if (!this.knownTenant(tenant)) return aadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    const form = formBody(request);
    if (form.grant_type !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type}'.`);
    const principal = this.state.principalByAppId(form.client_id ?? '');
    if (!principal) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory '${this.state.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    context.principalId = principal.objectId;
    if (form.client_assertion !== undefined) {
      const refusal = this.checkAssertion(principal, form.client_assertion, form.client_assertion_type, `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`);
      if (refusal) return refusal;
    } else if (form.client_secret !== undefined) {
      if (!principal.clientSecret || form.client_secret !== principal.clientSecret) {
        return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.');
      }
    } else {
      return aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const scope = (form.scope ?? '').split(' ').find((s) => s.endsWith('/.default'));
    if (!scope) return aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    const resource = scope.slice(0, -'/.default'.length);
    const accessToken = this.issue(principal, resource);
    return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  }

  private checkAssertion(principal: Principal, assertion: string, assertionType: string | undefined, tokenEndpoint: string): EmulatorResponse | undefined {
    if (assertionType !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return aadError(400, 'invalid_request', 90014, `The client_assertion_type '${assertionType}' is not supported.`);
    }
    const claims = decodeJwt(assertion);
    if (!claims) return aadError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    if (typeof claims.exp === 'number' && claims.exp * 1000 < this.state.now()) {
      return aadError(400, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
    }
    // Issued by the application itself: a certificate credential. A federated token comes from another
    // issuer (GitHub's carries an x5t of its own, so the header cannot tell them apart).
    if (claims.iss === principal.appId && claims.sub === principal.appId) return this.checkCertificateAssertion(principal, assertion, claims, tokenEndpoint);
    const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
    const matches = (principal.federatedCredentials ?? []).some(
      (fic) => fic.issuer === claims.iss && fic.subject === claims.sub && audiences.some((aud) => (fic.audiences ?? ['api://AzureADTokenExchange']).includes(aud)),
    );
    if (!matches) {
      return aadError(400, 'invalid_client', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss}'. Assertion Subject: '${claims.sub}'. Assertion Audience: '${audiences.join(',')}'.`);
    }
    return undefined;
  }

  private checkCertificateAssertion(principal: Principal, assertion: string, claims: Record<string, unknown>, tokenEndpoint: string): EmulatorResponse | undefined {
    const header = decodeJwtHeader(assertion) ?? {};
    const certificate = certificateFor(principal, header);
    const keyId = String(header['x5t#S256'] ?? header.x5t);
    if (!certificate) return aadError(401, 'invalid_client', 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${keyId}']`);
    if (!verifiesWith(certificate, assertion, header.alg)) return aadError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    // exp is a required claim of the assertion (the same page): one without it never expires, and is refused.
    if (typeof claims.exp !== 'number') return aadError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed: the client assertion has no exp claim.');
    if (claims.aud !== tokenEndpoint) return aadError(400, 'invalid_request', 50027, `JWT token is invalid or malformed: its audience '${String(claims.aud)}' is not the token endpoint ${tokenEndpoint}.`);
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 > this.state.now() + 300_000) return aadError(400, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
    return undefined;
  }
}

/**
 * A certificate credential (Microsoft Learn, "Microsoft identity platform application authentication certificate
 * credentials"): a JWT the application signs with the key of a certificate registered on it, naming that
 * certificate by its base64url SHA-256 thumbprint (`x5t#S256`, signed PS256: RSA-PSS, SHA-256) or, as the page
 * gave it before, its SHA-1 one (`x5t`, RS256); `iss` and `sub` the client id, `aud` the token endpoint.
 * az 2.91 hands MSAL the certificate's SHA-1 thumbprint, so it sends RS256 with x5t (given a certificate
 * instead, MSAL sends PS256 with x5t#S256: msal/application.py). The signature is checked against the
 * registered certificate's public key, so only the holder of the private key gets a token.
 */
function certificateFor(principal: Principal, header: Record<string, unknown>): crypto.X509Certificate | undefined {
  // MSAL Python pads its base64url thumbprints with "=" (base64.urlsafe_b64encode); the comparison does not.
  const unpadded = (value: unknown) => (typeof value === 'string' ? value.replace(/=+$/, '') : undefined);
  const [sha256, sha1] = [unpadded(header['x5t#S256']), unpadded(header.x5t)];
  return (principal.certificates ?? [])
    .map((pem) => new crypto.X509Certificate(pem))
    .find((certificate) =>
      sha256 !== undefined ? crypto.createHash('sha256').update(certificate.raw).digest('base64url') === sha256 : crypto.createHash('sha1').update(certificate.raw).digest('base64url') === sha1,
    );
}

function verifiesWith(certificate: crypto.X509Certificate, assertion: string, algorithm: unknown): boolean {
  // RS256 and PS256 are RSA signatures: crypto.verify given an EC key would check an ECDSA signature instead,
  // and let an assertion that names RS256 pass with a signature of another kind.
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') return false;
  const [headerPart, payloadPart, signaturePart] = assertion.split('.');
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart ?? '', 'base64url');
  if (algorithm === 'PS256') return crypto.verify('sha256', signed, { key: certificate.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  if (algorithm === 'RS256') return crypto.verify('sha256', signed, certificate.publicKey, signature);
  return false;
}

export function decodeJwtHeader(token: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as unknown;
    return header && typeof header === 'object' ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Entra ID's OAuth error body: `AADSTSnnnnn: message` plus trace ids. */
export function aadError(status: number, error: string, code: number, message: string): EmulatorResponse {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
