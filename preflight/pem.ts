import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { error, warning, type Finding } from './findings';
import { comparePublicKeys, convertKeyToPkcs8, stripCarriageReturns } from './openssl-commands';

// Reads a PEM bundle the way Key Vault imports one: the certificate (and chain) plus exactly one
// private key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`). Each block is still decoded by Node's
// own X.509 and key code; this module only splits the text at the BEGIN/END lines and decides
// what each labelled block means for the import.

export interface PemContext {
  file: string;
  password: string | undefined;
  passwordEnv: string;
}

export interface PemReadOutcome {
  findings: Finding[];
  /** The certificate the key belongs to, or the first one when that cannot be told. */
  leaf?: X509Certificate;
  certificates: X509Certificate[];
  hasPrivateKey: boolean;
  /** The private key that belongs to `leaf`, when the file holds one that decodes and matches. */
  key?: KeyObject;
}

interface PemBlock {
  label: string;
  /** The whole block, BEGIN and END lines included, as Node's decoders expect it. */
  text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);
// OpenSSL's "traditional" per-algorithm formats: Key Vault wants PKCS#8 instead.
const TRADITIONAL_KEY_LABELS = new Set(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);
const REQUEST_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

interface KeyBlockReading {
  key?: KeyObject;
  findings: Finding[];
}

export function readPem(text: string, context: PemContext): PemReadOutcome {
  const findings: Finding[] = [];
  const { file } = context;

  if (text.includes('\r\n')) {
    findings.push(
      warning(
        'crlf-line-endings',
        'the file has Windows (CRLF) line endings; OpenSSL reads them, but tools that split PEM text on "\\n" (shell scripts, some importers) keep a stray "\\r" on every line.',
        `convert to LF line endings: \`${stripCarriageReturns(file)}\`.`,
      ),
    );
  }

  const matches = [...text.matchAll(PEM_BLOCK)];
  const blocks: PemBlock[] = matches.map((match) => ({ label: match[1], text: match[0] }));
  const blockStarts = new Set(matches.map((match) => match.index));
  const unterminated = [...text.matchAll(PEM_BEGIN)].filter((begin) => !blockStarts.has(begin.index)).map((begin) => begin[1]);
  if (unterminated.length > 0) {
    findings.push(
      error(
        'truncated-file',
        `the ${unterminated.map((label) => `"${label}"`).join(', ')} block starts with -----BEGIN but never ends: the file is cut off or was edited by hand.`,
        'copy the certificate and key again from their source; each -----BEGIN line needs its matching -----END line.',
      ),
    );
  }
  // A key cut off before its END line is still a key the user meant to include: report the
  // truncation, not a missing key.
  const keyCutOff = unterminated.some((label) => label.endsWith('PRIVATE KEY'));

  const certificates: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  let keyBlockCount = 0;
  let damagedCertificates = 0;
  const otherLabels: string[] = [];

  blocks.forEach((block, index) => {
    const position = `block ${index + 1} (${block.label})`;
    if (CERTIFICATE_LABELS.has(block.label)) {
      try {
        certificates.push(new X509Certificate(block.text));
      } catch {
        damagedCertificates += 1;
        findings.push(damagedBlock(position));
      }
    } else if (block.label.endsWith('PRIVATE KEY')) {
      keyBlockCount += 1;
      const reading = readKeyBlock(block, position, context);
      findings.push(...reading.findings);
      if (reading.key) keys.push(reading.key);
    } else {
      otherLabels.push(block.label);
    }
  });

  if (certificates.length === 0) {
    // A cut-off or damaged certificate block already has its finding.
    const certificateReported = damagedCertificates > 0 || unterminated.some((label) => CERTIFICATE_LABELS.has(label));
    if (!certificateReported) findings.push(missingCertificate(keyBlockCount > 0, otherLabels));
    return { findings, certificates, hasPrivateKey: keyBlockCount > 0 };
  }

  for (const label of otherLabels) {
    findings.push(
      warning(
        'ignored-pem-block',
        `the file also holds a "${label}" block, which is not part of a certificate import and is ignored.`,
        'remove that block so the file holds only the certificate(s) and the private key.',
      ),
    );
  }

  if (keyBlockCount === 0) {
    if (keyCutOff) return { findings, leaf: certificates[0], certificates, hasPrivateKey: false };
    findings.push(
      error(
        'no-private-key',
        'the PEM file holds certificate(s) but no private key; API Management needs the key to present the client certificate, and Key Vault imports PEM only as certificate plus key in one file.',
        'append the matching unencrypted PKCS#8 key to the file: `cat cert.pem key.pk8.pem > bundle.pem`.',
      ),
    );
    return { findings, leaf: certificates[0], certificates, hasPrivateKey: false };
  }

  if (keyBlockCount > 1) {
    findings.push(
      error(
        'multiple-private-keys',
        `the file holds ${keyBlockCount} private keys; an import takes exactly one, the key of the client certificate.`,
        `keep only the key that belongs to the certificate; to find it, ${comparePublicKeys()}.`,
      ),
    );
  }

  // Only a key we could decode can be compared; an undecodable one already has its finding.
  if (keys.length === 0) return { findings, leaf: certificates[0], certificates, hasPrivateKey: true };

  const leaf = certificates.find((certificate) => keys.some((key) => belongsTo(certificate, key)));
  const leafKey = leaf ? keys.find((key) => belongsTo(leaf, key)) : undefined;
  if (!leaf) {
    findings.push(
      error(
        'key-mismatch',
        'the private key does not belong to any certificate in the file (it is the key of another certificate).',
        `put the certificate and its own key together; ${comparePublicKeys()}.`,
      ),
    );
  }
  return { findings, leaf: leaf ?? certificates[0], certificates, hasPrivateKey: true, key: leafKey };
}

function readKeyBlock(block: PemBlock, position: string, context: PemContext): KeyBlockReading {
  const findings: Finding[] = [];
  // `Proc-Type: 4,ENCRYPTED` marks OpenSSL's old encrypted traditional format.
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text);
  const traditional = TRADITIONAL_KEY_LABELS.has(block.label);
  const fix = `convert it to an unencrypted PKCS#8 key: \`${convertKeyToPkcs8(context.file, { encrypted, passwordEnv: context.passwordEnv })}\`, then replace the key block in the file with the contents of key.pk8.pem (and delete key.pk8.pem after the import).`;

  if (encrypted) {
    const format = traditional ? `an encrypted "${block.label}" (traditional format)` : 'an encrypted PKCS#8 key';
    findings.push(error('pem-key-encrypted', `the private key is ${format}; Key Vault imports a PEM only with an unencrypted PKCS#8 key (BEGIN PRIVATE KEY).`, fix));
  } else if (traditional) {
    const kind = block.label === 'RSA PRIVATE KEY' ? 'PKCS#1 (BEGIN RSA PRIVATE KEY)' : `traditional (BEGIN ${block.label})`;
    findings.push(error('pem-key-not-pkcs8', `the private key is in ${kind} format; Key Vault imports a PEM only with a PKCS#8 key (BEGIN PRIVATE KEY).`, fix));
  } else if (block.label !== 'PRIVATE KEY') {
    findings.push(
      error(
        'damaged-pem-block',
        `${position} is a private key format Key Vault does not import.`,
        'export the key as PKCS#8 PEM (a block labelled BEGIN PRIVATE KEY) from the tool that created it.',
      ),
    );
    return { findings };
  }

  // An encrypted key without the password, or with a wrong one, cannot be compared with the
  // certificate; the finding above already says to convert it, which needs the password anyway.
  if (encrypted && !context.password) return { findings };
  try {
    return { findings, key: createPrivateKey({ key: block.text, format: 'pem', passphrase: context.password }) };
  } catch {
    if (!encrypted) findings.push(damagedBlock(position));
    return { findings };
  }
}

function belongsTo(certificate: X509Certificate, key: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(key);
  } catch {
    // Different key algorithms throw instead of returning false.
    return false;
  }
}

function damagedBlock(position: string): Finding {
  return error(
    'damaged-pem-block',
    `${position} cannot be decoded: its base64 text is damaged or cut short.`,
    'copy it again from its source; the lines between -----BEGIN and -----END must be unchanged.',
  );
}

function missingCertificate(hasKey: boolean, otherLabels: string[]): Finding {
  if (hasKey) {
    return error(
      'no-certificate',
      'the PEM file holds a private key but no certificate.',
      'put the certificate (and its chain) in the same file as the key: `cat cert.pem chain.pem key.pk8.pem > bundle.pem`.',
    );
  }
  const found = otherLabels.length > 0 ? `only ${otherLabels.map((label) => `"${label}"`).join(', ')} block(s)` : 'no readable PEM block';
  const isRequest = otherLabels.some((label) => REQUEST_LABELS.has(label));
  return error(
    'not-a-certificate',
    `the PEM file holds ${found}, no certificate${isRequest ? ' (a certificate request is what you send to the CA, not what it returns)' : ''}.`,
    'use the certificate issued for this client, with its private key, as a PFX or a PEM bundle.',
  );
}
