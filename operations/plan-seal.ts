import crypto from 'node:crypto';
import fs from 'node:fs';
import { StepFailure } from './step-failure';

/**
 * Seals the saved plan bundle for the trip from the plan job to the apply job, and opens it there. A
 * saved plan holds every variable's value (the PFX passwords too) in clear, so nothing of it leaves the
 * plan job unencrypted or unauthenticated.
 *
 * AES-256-GCM with a key derived by scrypt from TF_PLAN_ENCRYPTION_KEY and a fresh salt: a flipped or
 * truncated byte, or another key, is refused before anything is written. The bundle is bound to its
 * context: the environment, a hash of the stack it was planned on, and the pipeline run. Those are
 * authenticated with it (the header is the cipher's additional data), and the opener compares them with
 * its own before it decrypts, so a bundle of another environment, of another synthesized stack or of an
 * older run is refused with one line, and nothing from the bundle, the provider lock file included, is
 * used before the seal verifies. The size is taken with stat before anything is read.
 *
 * Layout: "APIMCERT-PLAN2" | header length (4 bytes, big-endian) | header (JSON) | tag (16) | ciphertext
 * The clear text is a JSON object of file name → base64 content.
 */
const MAGIC = Buffer.from('APIMCERT-PLAN2');
const TAG = 16;
export const MAX_SEALED_BYTES = 512 * 1024 * 1024;
const MAX_HEADER_BYTES = 4096;

export interface SealContext {
  readonly environment: string;
  /** SHA-256 of the stack's cdk.tf.json: the plan applies to exactly that configuration. */
  readonly stack: string;
  /** The pipeline run (Azure DevOps build id, GitHub run id), or "local". */
  readonly run: string;
}

interface Header extends SealContext {
  readonly salt: string;
  readonly iv: string;
}

function keyFrom(passphrase: string, salt: Buffer): Buffer {
  return crypto.scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

export function requirePassphrase(env: NodeJS.ProcessEnv): string {
  const value = env.TF_PLAN_ENCRYPTION_KEY ?? '';
  // Azure DevOps leaves "$(name)" in place, unexpanded, when a variable group lacks the variable: taken as a
  // key, that literal would be a public string.
  if (!value || /^\$\(.*\)$/.test(value)) throw new StepFailure('TF_PLAN_ENCRYPTION_KEY is not set. Fix: add it as a secret to the environment\'s variable group (GitHub: to both of its environments)');
  if (value.length < 32) throw new StepFailure('TF_PLAN_ENCRYPTION_KEY is shorter than 32 characters. Fix: use a long random value, e.g. node -e "console.log(require(\'crypto\').randomBytes(48).toString(\'base64\'))"');
  return value;
}

/** The bundle entry holding the vault rule changes the approver saw (operations/vault-firewall.ts). */
export const FIREWALL_CHANGES = 'firewall-changes.json';

export function sealBundle(files: ReadonlyMap<string, Buffer>, context: SealContext, passphrase: string): Buffer {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const header = Buffer.from(JSON.stringify({ ...context, salt: salt.toString('base64'), iv: iv.toString('base64') } satisfies Header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyFrom(passphrase, salt), iv);
  cipher.setAAD(Buffer.concat([MAGIC, length, header]));
  const clear = Buffer.from(JSON.stringify(Object.fromEntries([...files].map(([name, content]) => [name, content.toString('base64')]))));
  const body = Buffer.concat([cipher.update(clear), cipher.final()]);
  return Buffer.concat([MAGIC, length, header, cipher.getAuthTag(), body]);
}

/** Reads and opens a sealed bundle from `file`, for `expected`; a StepFailure (one line) for anything else. */
export function openSealedFile(file: string, expected: SealContext, passphrase: string): Map<string, Buffer> {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch {
    throw new StepFailure(`${file}: no sealed plan there. Fix: publish the plan job's output (plan-<environment>) and download it before the apply`);
  }
  if (!stats.isFile()) throw new StepFailure(`${file}: not a file, so not a sealed plan; nothing was applied`);
  if (stats.size > MAX_SEALED_BYTES) throw new StepFailure(`${file}: ${stats.size} bytes, more than a sealed plan may have (${MAX_SEALED_BYTES}); nothing was applied`);
  return openBundle(fs.readFileSync(file), expected, passphrase);
}

export function openBundle(sealed: Buffer, expected: SealContext, passphrase: string): Map<string, Buffer> {
  const notOurs = () => new StepFailure('the plan bundle is not one this project sealed (wrong format or truncated); nothing was applied');
  if (sealed.length < MAGIC.length + 4 + TAG || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) throw notOurs();
  const headerLength = sealed.readUInt32BE(MAGIC.length);
  if (headerLength > MAX_HEADER_BYTES || sealed.length < MAGIC.length + 4 + headerLength + TAG) throw notOurs();
  const headerBytes = sealed.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength);
  let header: Header;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw notOurs();
  }
  // Compared before decrypting, for a message that says which; the same values are authenticated below.
  for (const key of ['environment', 'stack', 'run'] as const) {
    if (header[key] !== expected[key]) {
      const what = { environment: 'another environment', stack: 'another synthesized stack (the configuration changed since the plan)', run: 'another pipeline run' }[key];
      throw new StepFailure(`the plan bundle was sealed for ${what}, not this one; nothing was applied. Fix: apply the plan of this run's own plan job, or run the pipeline again`);
    }
  }
  const salt = Buffer.from(String(header.salt), 'base64');
  const iv = Buffer.from(String(header.iv), 'base64');
  if (salt.length !== 16 || iv.length !== 12) throw notOurs();
  const tagStart = MAGIC.length + 4 + headerLength;
  const decipher = crypto.createDecipheriv('aes-256-gcm', keyFrom(passphrase, salt), iv);
  decipher.setAAD(sealed.subarray(0, tagStart));
  decipher.setAuthTag(sealed.subarray(tagStart, tagStart + TAG));
  let clear: Buffer;
  try {
    clear = Buffer.concat([decipher.update(sealed.subarray(tagStart + TAG)), decipher.final()]);
  } catch {
    throw new StepFailure("the plan bundle does not authenticate: it was changed after the plan job sealed it, or TF_PLAN_ENCRYPTION_KEY differs from the plan job's; nothing was applied");
  }
  const files = new Map<string, Buffer>();
  for (const [name, content] of Object.entries(JSON.parse(clear.toString('utf8')) as Record<string, string>)) files.set(name, Buffer.from(content, 'base64'));
  return files;
}

export function stackHash(cdkTfJson: Buffer): string {
  return crypto.createHash('sha256').update(cdkTfJson).digest('hex');
}

/** The run a bundle belongs to: one id for every job and attempt of a pipeline run. */
export function pipelineRun(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID) return `github-${env.GITHUB_REPOSITORY ?? ''}-${env.GITHUB_RUN_ID}`;
  if (env.BUILD_BUILDID) return `ado-${env.SYSTEM_TEAMPROJECTID ?? ''}-${env.BUILD_BUILDID}`;
  return 'local';
}
