// The az and terraform a workstation test puts on PATH (the files az and terraform beside this one start it,
// with node's own path in their first line: no shell, no /usr/bin/env). It answers from, and keeps what
// changed in, $STAND_IN_STATE (JSON), and appends each call (argv and the names of its environment
// variables, never their values) to $STAND_IN_LOG. What terraform plan would read is checked as Terraform
// reads it: each TF_VAR_<stem>_pfx_path must be a PFX its password opens, with Node's own TLS stack.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');

const tool = path.basename(process.argv[2]);
const args = process.argv.slice(3);
const stateFile = process.env.STAND_IN_STATE;
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const log = (entry) => fs.appendFileSync(process.env.STAND_IN_LOG, `${JSON.stringify(entry)}\n`);
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state));
const out = (value) => process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
const env = Object.keys(process.env).filter((k) => /^(TF_VAR_|PEM_FILE_|ARM_|AZURE_|TF_PLAN)/.test(k)).sort();
log({ tool, args, env });

function az() {
  const first = args.findIndex((a) => a.startsWith('-'));
  const words = first < 0 ? args : args.slice(0, first);
  const option = (name) => args[args.indexOf(name) + 1];
  if (!state.loggedIn) {
    process.stderr.write("ERROR: Please run 'az login' to setup account.\n");
    return 1;
  }
  switch (words.slice(0, 3).join(' ')) {
    case 'account show':
      return out({ id: state.subscription, tenantId: 'b6e1d4a7-2c9f-4e35-8a1b-7f0c3d9e2a58' });
    case 'provider show':
      // Registered unless $STAND_IN_STATE's providers says otherwise: a subscription where the stack's
      // provider was never registered is what the check before terraform init is for.
      return out({ registrationState: (state.providers ?? {})[option('--namespace')] ?? 'Registered' });
    case 'keyvault show':
      return out({ properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', ipRules: state.rules.map((value) => ({ value })) } } });
    case 'keyvault network-rule add':
      state.rules.push(option('--ip-address'));
      save();
      return out({ ipRules: state.rules.map((value) => ({ value })) });
    case 'keyvault network-rule remove':
      state.rules = state.rules.filter((r) => r !== option('--ip-address'));
      save();
      return out({ ipRules: state.rules.map((value) => ({ value })) });
    case 'keyvault certificate list':
      return out([]);
    // Key Vault's current version and API Management's copy, for the APIM refresh after a deploy
    // (keyVaultCertificates and apimCertificates: name → thumbprint). Refresh Secret makes APIM serve Key
    // Vault's version, unless the certificate is in apimCannotFetch: APIM refuses, as when its identity
    // may not read the secret.
    case 'keyvault certificate show': {
      const thumbprint = (state.keyVaultCertificates ?? {})[option('--name')];
      if (!thumbprint) {
        process.stderr.write(`ERROR: (CertificateNotFound) A certificate with (name/id) ${option('--name')} was not found in this key vault.\n`);
        return 3;
      }
      return out({ x509ThumbprintHex: thumbprint, attributes: { expires: '2028-01-01T00:00:00Z' } });
    }
    case 'rest': {
      const url = option('--url');
      const name = /\/certificates\/([^/?]+)/.exec(url)?.[1];
      state.apimCertificates = state.apimCertificates ?? {};
      if (name && option('--method') === 'post' && url.includes('/refreshSecret?')) {
        if ((state.apimCannotFetch ?? []).includes(name)) {
          process.stderr.write('ERROR: Bad Request({"error":{"code":"ValidationError","message":"Failed to access the Key Vault secret of the certificate"}})\n');
          return 1;
        }
        state.apimCertificates[name] = (state.keyVaultCertificates ?? {})[name];
        save();
        return out({ name, properties: {} });
      }
      if (name && option('--method') === 'get' && state.apimCertificates[name]) return out({ name, properties: { thumbprint: state.apimCertificates[name], expirationDate: '2028-01-01T00:00:00Z' } });
      process.stderr.write(`ERROR: Not Found(${url})\n`);
      return 1;
    }
    default:
      process.stderr.write(`ERROR: the stand-in does not know az ${words.join(' ')}\n`);
      return 2;
  }
}

function terraform() {
  const command = args.find((a) => !a.startsWith('-'));
  if (command === 'init') return out('Terraform has been successfully initialized!\n');
  if (command === 'show') return out({ format_version: '1.0' });
  if (command === 'plan' || command === 'apply') {
    const opened = {};
    for (const [name, file] of Object.entries(process.env)) {
      const stem = /^TF_VAR_(\w+)_pfx_path$/.exec(name)?.[1];
      if (!stem) continue;
      try {
        tls.createSecureContext({ pfx: fs.readFileSync(file), passphrase: process.env[`TF_VAR_${stem}_pfx_password`] ?? '' });
        opened[stem] = { file, opened: true };
      } catch {
        opened[stem] = { file, opened: false };
      }
    }
    log({ tool, read: opened });
    if (state.planSleepsMs) {
      // A long plan, for the tests of signals: it notes the signal it is given, then exits as Terraform does.
      fs.writeFileSync(`${stateFile}.running`, String(process.pid));
      process.on('SIGTERM', () => {
        log({ tool, signal: 'SIGTERM' });
        process.exit(1);
      });
      setTimeout(() => process.exit(0), state.planSleepsMs);
      return undefined;
    }
    // A saved plan where one was asked for (-out=<file>), so a step that goes on to show it finds it.
    const planOut = args.find((a) => a.startsWith('-out='))?.slice('-out='.length);
    if (planOut) fs.writeFileSync(planOut, 'stand-in plan\n');
    return out(`${command}: done\n`);
  }
  process.stderr.write(`the stand-in does not know terraform ${command}\n`);
  return 2;
}

const status = tool === 'az' ? az() : terraform();
if (typeof status === 'number') process.exitCode = status;
