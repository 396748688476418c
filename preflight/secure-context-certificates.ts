import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';

// Node can open a PFX (tls.createSecureContext) but has no public API that hands back the
// certificates inside it. A TLS client does get them: the server sends its leaf and the chain
// from the PFX. So we run a TLS handshake between a server that uses the PFX and a client, over
// a pair of in-memory streams: no socket, no port, nothing leaves the process, and it takes a
// few milliseconds. The handshake only ever exchanges public certificates.

/**
 * Options for the secure context that will serve the handshake; pfx.ts passes them to
 * createSecureContext. Each one widens what can be handshaken so that the check reports on
 * weak or unusual certificates instead of failing to read them:
 * - SECLEVEL=0: OpenSSL otherwise refuses small RSA keys and old signature hashes outright,
 *   and we want to name those problems ourselves.
 * - TLS 1.2 and an explicit curve list: TLS 1.3 cannot sign with secp256k1 (Key Vault's P-256K)
 *   nor Brainpool curves, and the default curve list leaves them out.
 * - dhparam 'auto': lets DSA certificates handshake (DHE-DSS) so they too are reported properly.
 */
export const HANDSHAKE_CONTEXT_OPTIONS: tls.SecureContextOptions = {
  ciphers: 'ALL:@SECLEVEL=0',
  maxVersion: 'TLSv1.2',
  ecdhCurve: 'X25519:P-256:P-384:P-521:secp256k1:brainpoolP256r1:brainpoolP384r1:brainpoolP512r1',
  dhparam: 'auto',
};

// In memory a handshake finishes in milliseconds; the limit only guards against a hang.
const HANDSHAKE_TIMEOUT_MS = 5000;

export interface ContextCertificates {
  /** Leaf first, then its issuers as the server presented them. */
  certificates: X509Certificate[];
  /** False when the handshake failed and only the leaf could be read. */
  chainComplete: boolean;
}

export async function certificatesOf(secureContext: tls.SecureContext): Promise<ContextCertificates> {
  const [serverSide, clientSide] = inMemoryStreamPair();
  const server = new tls.TLSSocket(serverSide, { isServer: true, secureContext });
  // A socket's own certificate is readable before any handshake: it is our fallback.
  const ownCertificate = server.getCertificate();
  const leafOnly = (): ContextCertificates => {
    const raw = ownCertificate && 'raw' in ownCertificate ? ownCertificate.raw : undefined;
    return { certificates: raw ? [new X509Certificate(raw)] : [], chainComplete: false };
  };

  const client = tls.connect({
    socket: clientSide,
    // We are reading certificates, not trusting them: verification would only reject
    // self-signed and private-CA certificates, which are normal for APIM client certificates.
    rejectUnauthorized: false,
    ciphers: HANDSHAKE_CONTEXT_OPTIONS.ciphers,
    maxVersion: HANDSHAKE_CONTEXT_OPTIONS.maxVersion,
    ecdhCurve: HANDSHAKE_CONTEXT_OPTIONS.ecdhCurve,
  });

  try {
    return await new Promise<ContextCertificates>((resolve) => {
      const timer = setTimeout(() => resolve(leafOnly()), HANDSHAKE_TIMEOUT_MS);
      const finish = (outcome: ContextCertificates): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      // The error itself is dropped: it says why TLS failed, and the caller only needs to know
      // that the chain could not be read.
      server.on('error', () => finish(leafOnly()));
      client.on('error', () => finish(leafOnly()));
      client.on('secureConnect', () => {
        const certificates = peerChain(client.getPeerCertificate(true));
        finish(certificates.length > 0 ? { certificates, chainComplete: true } : leafOnly());
      });
    });
  } finally {
    client.destroy();
    server.destroy();
  }
}

function peerChain(leaf: tls.DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: tls.DetailedPeerCertificate | undefined = leaf;
  // Node links each certificate to its issuer and a self-signed root to itself, so stop at the
  // first certificate already seen.
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/** Two connected duplex streams: what one side writes, the other reads. */
function inMemoryStreamPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const makeSide = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {
        // Data is pushed by the peer's write; nothing to pull.
      },
      write(chunk, _encoding, callback) {
        peer().push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
    });
  sides.push(makeSide(() => sides[1]), makeSide(() => sides[0]));
  return [sides[0], sides[1]];
}
