import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { CommandResult, CommandRunner, RunOptions } from '../../operations/command-runner';
import { variableStem } from '../../constructs/certificate-names';

/**
 * Terraform behind a runner, for driving the steps in-process: init, show -json of the state, plan -out,
 * show of a plan (JSON and text), and apply. It models the one thing of Terraform the steps' correctness
 * hangs on: a Key Vault certificate's inputs. A plan compares each certificate's contents (the file
 * TF_VAR_<stem>_pfx_path names, read relative to -chdir as Terraform does) and password with what the
 * state holds, and plans an update when either differs; an apply refuses a file whose bytes changed since
 * the plan (as Terraform does for filebase64) and writes what it imported into the state. Every call is
 * recorded with its environment. The real Terraform validates every stack in `npm test`.
 */
export interface TerraformCall {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

type Values = Record<string, any>;

export class FakeTerraform {
  /** What `terraform show -json` prints for the state: by default a stack never applied. */
  state: Values = { format_version: '1.0' };
  /** resource_changes a plan holds besides the certificates' (a vault's network_acls change, say). */
  extraChanges: Values[] = [];
  /** The command ("init", "plan", "apply", "show") that fails, with its exit status. */
  failing?: { command: string; status: number };
  readonly calls: TerraformCall[] = [];

  commands(): string[] {
    return this.calls.map((c) => c.args.find((a) => !a.startsWith('-chdir=')) ?? '');
  }

  readonly run: CommandRunner = async (args: readonly string[], options: RunOptions = {}) => {
    this.calls.push({ args, env: options.env ?? {} });
    const dir = (args.find((a) => a.startsWith('-chdir=')) ?? '-chdir=.').slice('-chdir='.length);
    const [command, ...rest] = args.filter((a) => !a.startsWith('-chdir='));
    if (this.failing?.command === command) return { status: this.failing.status, signal: null, stdout: '', stderr: `Error: ${command} failed` };
    switch (command) {
      case 'init':
        if (!fs.existsSync(path.join(dir, '.terraform.lock.hcl'))) fs.writeFileSync(path.join(dir, '.terraform.lock.hcl'), '# provider hashes\n');
        return done('Terraform has been successfully initialized!');
      case 'show': {
        const plan = rest.find((a) => !a.startsWith('-'));
        if (!plan) return done(JSON.stringify(this.state));
        const saved = JSON.parse(fs.readFileSync(plan, 'utf8'));
        if (rest.includes('-json')) return done(JSON.stringify({ format_version: '1.2', prior_state: this.state, resource_changes: saved.changes }));
        const counts = { create: 0, update: 0, delete: 0 };
        for (const c of saved.changes) for (const action of c.change.actions) if (action in counts) counts[action as keyof typeof counts] += 1;
        return done(
          counts.create + counts.update + counts.delete
            ? `Plan: ${counts.create} to add, ${counts.update} to change, ${counts.delete} to destroy.`
            : 'No changes. Your infrastructure matches the configuration.',
        );
      }
      case 'plan': {
        const out = rest.find((a) => a.startsWith('-out='))?.slice(5);
        const inputs = this.inputs(dir, options.env ?? {});
        const saved = { inputs, changes: [...this.changes(inputs), ...this.extraChanges] };
        if (out) fs.writeFileSync(out, JSON.stringify(saved));
        return done('planned');
      }
      case 'apply': {
        const planFile = rest.find((a) => !a.startsWith('-'));
        const saved = planFile ? JSON.parse(fs.readFileSync(planFile, 'utf8')) : { inputs: this.inputs(dir, options.env ?? {}) };
        for (const [stem, input] of Object.entries(saved.inputs as Record<string, { contents: string; password: string; path: string }>)) {
          const now = fs.readFileSync(path.resolve(dir, input.path)).toString('base64');
          if (now !== input.contents) return { status: 1, signal: null, stdout: '', stderr: `Error: Inconsistent value for var.${stem}_pfx_path: the file changed since the plan` };
          this.imported(stem, input);
        }
        return done('Apply complete!');
      }
      default:
        return { status: 1, signal: null, stdout: '', stderr: `unknown command ${command}` };
    }
  };

  /** Each certificate's inputs, as Terraform reads them from the variables. */
  private inputs(dir: string, env: NodeJS.ProcessEnv): Record<string, { contents: string; password: string; path: string }> {
    const inputs: Record<string, { contents: string; password: string; path: string }> = {};
    for (const [name, value] of Object.entries(env)) {
      const match = /^TF_VAR_(\w+)_pfx_path$/.exec(name);
      if (!match || !value) continue;
      inputs[match[1]] = { path: value, contents: fs.readFileSync(path.resolve(dir, value)).toString('base64'), password: env[`TF_VAR_${match[1]}_pfx_password`] ?? '' };
    }
    return inputs;
  }

  private resources(): Values[] {
    return this.state.values?.root_module?.resources ?? [];
  }

  private changes(inputs: Record<string, { contents: string; password: string }>): Values[] {
    return Object.entries(inputs).map(([stem, input]) => {
      const current = this.resources().find((r) => r.type === 'azurerm_key_vault_certificate' && variableStem(r.values.name) === stem);
      const same = current && current.values.certificate?.[0]?.contents === input.contents && current.values.certificate?.[0]?.password === input.password;
      return {
        address: `azurerm_key_vault_certificate.Certificate-${stem}_KeyVaultCertificate`,
        type: 'azurerm_key_vault_certificate',
        change: { actions: [current ? (same ? 'no-op' : 'update') : 'create'] },
      };
    });
  }

  private imported(stem: string, input: { contents: string; password: string }): void {
    const resources = this.resources();
    let current = resources.find((r) => r.type === 'azurerm_key_vault_certificate' && variableStem(r.values.name) === stem);
    if (!current) {
      current = { mode: 'managed', type: 'azurerm_key_vault_certificate', values: { name: stem.replace(/_/g, '-') } };
      resources.push(current);
      this.state = { format_version: '1.0', values: { root_module: { resources } } };
    }
    // What Key Vault reports for the imported file, read with Node's own TLS stack.
    const socket = new tls.TLSSocket(null as never, { isServer: true, secureContext: tls.createSecureContext({ pfx: Buffer.from(input.contents, 'base64'), passphrase: input.password }) });
    const certificate = socket.getCertificate() as tls.PeerCertificate & { bits?: number; asn1Curve?: string; nistCurve?: string };
    socket.destroy();
    const curve = certificate.nistCurve ?? certificate.asn1Curve;
    Object.assign(current.values, {
      certificate: [{ contents: input.contents, password: input.password }],
      thumbprint: certificate.fingerprint.replace(/:/g, ''),
      certificate_attribute: [{ expires: new Date(certificate.valid_to).toISOString().replace('.000Z', 'Z') }],
      certificate_policy: [
        {
          key_properties: [curve ? { key_type: 'EC', curve, key_size: 0, exportable: true, reuse_key: false } : { key_type: 'RSA', key_size: certificate.bits, exportable: true, reuse_key: false }],
          secret_properties: [{ content_type: 'application/x-pkcs12' }],
        },
      ],
    });
  }
}

function done(stdout: string): CommandResult {
  return { status: 0, signal: null, stdout, stderr: '' };
}
