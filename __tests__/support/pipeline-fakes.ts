import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './run-command';

/**
 * Fake `az`, `curl` and `terraform` (and a logging `openssl` in front of the real one), in
 * pipeline-fake-bin/, for the pipeline scripts: each appends its argv, as a JSON array, to one log and
 * answers from files in a state directory that a test arranges. The fakes log argv only, never their
 * environment, so that a secret found in the log reached some command line.
 */
const FAKE_BIN = path.join(__dirname, 'pipeline-fake-bin');

export interface Fakes {
  /** Where the test arranges the fakes' answers (files named as in the fakes above). */
  readonly state: string;
  /** A scratch directory for the test's own files, removed with the rest. */
  readonly work: string;
  /** The environment to run a script in: the fakes first on PATH, nothing else of the test runner's. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Every logged call, as argv with the program first. */
  calls(program?: string): string[][];
  /** The raw log, to search for secrets. */
  log(): string;
  set(name: string, content?: string): void;
  remove(): void;
}

/** Makes fresh fakes; `without` leaves one of them out (to test a missing az). */
export function makeFakes(without: string[] = []): Fakes {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-fakes-'));
  const bin = path.join(root, 'bin');
  const state = path.join(root, 'state');
  const work = path.join(root, 'work');
  for (const dir of [bin, state, path.join(state, 'providers'), work]) fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(root, 'calls.log');
  fs.writeFileSync(logFile, '');
  for (const name of fs.readdirSync(FAKE_BIN)) if (!without.includes(name)) fs.symlinkSync(path.join(FAKE_BIN, name), path.join(bin, name));
  const realOpenssl = execFileSync('bash', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
  return {
    state,
    work,
    env: (extra = {}) => ({
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: root,
      FAKE_LOG: logFile,
      FAKE_STATE: state,
      REAL_OPENSSL: realOpenssl,
      AGENT_TEMPDIRECTORY: work,
      ...extra,
    }),
    calls: (program) =>
      fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[])
        .filter((argv) => program === undefined || argv[0] === program),
    log: () => fs.readFileSync(logFile, 'utf8'),
    set: (name, content = '') => {
      fs.mkdirSync(path.dirname(path.join(state, name)), { recursive: true });
      fs.writeFileSync(path.join(state, name), content);
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

export interface DeploymentManifest {
  environment: string;
  keyVault: { name: string; resourceGroupName: string; created: boolean; firewall: boolean | null; ipRules: string[]; privateEndpoint: boolean };
  resourceProviders: string[];
  certificates: { name: string; stem: string; source: 'pfx' | 'pem' }[];
}

/** The deployment.json of the contract with synth, for a made-up environment; `changes` replace parts. */
export function manifest(changes: Partial<Omit<DeploymentManifest, 'keyVault'>> & { keyVault?: Partial<DeploymentManifest['keyVault']> } = {}): DeploymentManifest {
  const { keyVault, ...rest } = changes;
  return {
    environment: 'unit',
    resourceProviders: ['Microsoft.ApiManagement', 'Microsoft.KeyVault'],
    certificates: [],
    ...rest,
    keyVault: { name: 'kv-pipeline-unit', resourceGroupName: 'rg-pipeline-unit', created: true, firewall: true, ipRules: ['203.0.113.10'], privateEndpoint: false, ...keyVault },
  };
}

/** A synthesized stack directory as the pipeline receives it: remote state, and the deployment.json. */
export function writeStack(dir: string, deployment: DeploymentManifest): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { azurerm: { key: `${deployment.environment}.tfstate` } } } }, null, 2));
  fs.writeFileSync(path.join(dir, 'deployment.json'), JSON.stringify(deployment, null, 2));
  return dir;
}

/**
 * A PEM as a PEM source holds it: a client certificate signed by a made-up CA, the CA, and the client's
 * unencrypted PKCS#8 key (openssl 3 writes `-nodes` keys as PKCS#8). Returns the file and the client
 * certificate's SHA-256 fingerprint.
 */
export function makePem(dir: string, name = 'client'): { pem: string; fingerprint: string } {
  const file = (suffix: string) => path.join(dir, `${name}.${suffix}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '30', '-subj', `/CN=${name} CA`);
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('key'), '-out', file('csr'), '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', file('csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('crt'), '-days', '30');
  const pem = file('pem');
  fs.writeFileSync(pem, [file('crt'), file('ca.crt'), file('key')].map((f) => fs.readFileSync(f, 'utf8')).join(''), { mode: 0o600 });
  for (const suffix of ['ca.key', 'ca.crt', 'key', 'csr', 'crt', 'ca.srl']) fs.rmSync(file(suffix), { force: true });
  return { pem, fingerprint: fingerprintOf(pem) };
}

/** SHA-256 fingerprint of the first certificate in a PEM file or of the client certificate in a PFX. */
export function fingerprintOf(file: string, pfxPassword?: string): string {
  const pem =
    pfxPassword === undefined
      ? fs.readFileSync(file, 'utf8')
      : execFileSync('openssl', ['pkcs12', '-in', file, '-clcerts', '-nokeys', '-passin', 'env:PFX_PASSWORD'], { env: { ...process.env, PFX_PASSWORD: pfxPassword }, encoding: 'utf8' });
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem, encoding: 'utf8' }).trim();
}

/**
 * Runs one of pipelines/scripts with the fakes' environment, from the project root, or from `root`: a copy
 * of the project whose environments/ holds the environment a script's node tools look up.
 */
export function runPipelineScript(script: string, args: string[], env: Record<string, string>, root = PROJECT_ROOT) {
  const result = spawnSync('bash', [path.join(root, 'pipelines/scripts', script), ...args], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
