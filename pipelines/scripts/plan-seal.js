#!/usr/bin/env node
// Seals the saved plan bundle for the trip from the plan job to the apply job, and opens it there:
//   plan-seal.js seal <clear file> <sealed file>
//   plan-seal.js open <sealed file> <clear file>
// with the passphrase in TF_PLAN_ENCRYPTION_KEY (never on a command line).
//
// AES-256-GCM, an AEAD: the bundle is authenticated as well as encrypted, so a flipped or truncated byte
// is refused before anything is written, where `openssl enc -aes-256-cbc` (no MAC) decrypted tampered
// bytes "successfully". Node's crypto rather than openssl: the openssl CLI has no AEAD mode for `enc`, and
// its HMAC tools take the key on the command line. Node is on both hosted agent images and is installed
// by the jobs for self-hosted ones. The key is derived with scrypt from the passphrase and a fresh random
// salt, so each bundle has its own key; the header is authenticated too.
//
// Layout: "APIMCERT-PLAN1" | salt (16) | iv (12) | tag (16) | ciphertext
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');

const MAGIC = Buffer.from('APIMCERT-PLAN1');
const SALT = 16;
const IV = 12;
const TAG = 16;
const HEADER = MAGIC.length + SALT + IV + TAG;

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function keyFrom(passphrase, salt) {
  return crypto.scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

function seal(clear, passphrase) {
  const salt = crypto.randomBytes(SALT);
  const iv = crypto.randomBytes(IV);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyFrom(passphrase, salt), iv);
  cipher.setAAD(Buffer.concat([MAGIC, salt, iv]));
  const body = Buffer.concat([cipher.update(clear), cipher.final()]);
  return Buffer.concat([MAGIC, salt, iv, cipher.getAuthTag(), body]);
}

function open(sealed, passphrase) {
  if (sealed.length < HEADER || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail('the plan bundle is not one terraform-plan.sh sealed (wrong format or truncated); nothing was applied');
  }
  const salt = sealed.subarray(MAGIC.length, MAGIC.length + SALT);
  const iv = sealed.subarray(MAGIC.length + SALT, MAGIC.length + SALT + IV);
  const tag = sealed.subarray(MAGIC.length + SALT + IV, HEADER);
  const decipher = crypto.createDecipheriv('aes-256-gcm', keyFrom(passphrase, salt), iv);
  decipher.setAAD(Buffer.concat([MAGIC, salt, iv]));
  decipher.setAuthTag(tag);
  const clear = decipher.update(sealed.subarray(HEADER));
  try {
    decipher.final();
  } catch {
    fail('the plan bundle does not authenticate: it was changed after the plan job sealed it, or TF_PLAN_ENCRYPTION_KEY differs from the plan job\'s; nothing was applied');
  }
  return clear;
}

const [action, from, to] = process.argv.slice(2);
if (!['seal', 'open'].includes(action) || !from || !to) {
  process.stderr.write('usage: TF_PLAN_ENCRYPTION_KEY=... plan-seal.js seal|open <from> <to>\n');
  process.exit(2);
}
const passphrase = process.env.TF_PLAN_ENCRYPTION_KEY;
if (!passphrase) fail('TF_PLAN_ENCRYPTION_KEY is not set');
const input = fs.readFileSync(from);
const output = action === 'seal' ? seal(input, passphrase) : open(input, passphrase);
// Owner-only, and only once the whole bundle is known good.
fs.writeFileSync(to, output, { mode: 0o600 });
