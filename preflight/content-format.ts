// Decides how to read a file from its bytes, not its name: `.cer`, `.crt` and `.pem` are used
// for both PEM and DER in the wild, and PFX files arrive as `.pfx`, `.p12` or no extension at all.

export type ContentFormat = 'pem' | 'base64-text' | 'utf16-text' | 'binary';

const PEM_MARKER = '-----BEGIN';
const ASN1_SEQUENCE_TAG = 0x30;
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;
// Shorter base64 could not hold even an empty PFX, and ordinary short words are valid base64.
const MIN_BASE64_LENGTH = 64;

export function detectContentFormat(bytes: Buffer): ContentFormat {
  // latin1 maps every byte to one character, so binary data cannot produce a decoding error here.
  const text = bytes.toString('latin1');
  if (text.includes(PEM_MARKER)) return 'pem';
  // Windows PowerShell's `>` and Out-File write UTF-16 with a byte-order mark; the PEM text is
  // then invisible to OpenSSL.
  if (hasUtf16ByteOrderMark(bytes)) return 'utf16-text';
  if (isBase64OfDer(text)) return 'base64-text';
  return 'binary';
}

function hasUtf16ByteOrderMark(bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/** DER (a PFX or a certificate) always starts with an ASN.1 SEQUENCE. */
export function startsLikeDer(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0] === ASN1_SEQUENCE_TAG;
}

/** A PFX copied out of Key Vault, a pipeline variable or an API response is often still base64. */
function isBase64OfDer(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.length < MIN_BASE64_LENGTH || !BASE64_TEXT.test(trimmed)) return false;
  return startsLikeDer(Buffer.from(trimmed, 'base64'));
}

export function isSingleLine(bytes: Buffer): boolean {
  return !bytes.toString('latin1').trim().includes('\n');
}
