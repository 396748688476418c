import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasOpenssl, makePfx, randomPassword } from './support/openssl';
import { describeWith } from './support/required-tools';
import { projectWithEnvironments, qaEnvironment } from './support/test-project';

// An environment of the test's own with a PFX and a PEM certificate, in a copy of the project.
const withPem = { ...qaEnvironment, certificates: [{ name: 'mtls-backend' }, { name: 'partner-orders', format: 'pem' as const }] };
const stem = (name: string) => name.toLowerCase().replace(/-/g, '_');

/** Stand-ins for az and terraform that log what they were given; az answers as a subscription would. */
function fakeTools(dir: string, unregistered: string[] = []) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'az'),
    `#!/usr/bin/env bash
echo "az $*" >>"${dir}/az.log"
case "$1 $2" in
  "provider show") case " ${unregistered.join(' ')} " in *" $4 "*) echo NotRegistered ;; *) echo Registered ;; esac ;;
  "account show") echo 7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90 ;;
  "keyvault show") echo '{"properties":{"networkAcls":{"defaultAction":"Deny"},"publicNetworkAccess":"Enabled"}}' ;;
  # Key Vault's current version, and APIM serving it once asked to refresh.
  "keyvault certificate") echo 1B7E2A3C4D5E6F708192A3B4C5D6E7F8091A44D0 ;;
  "rest --method") if [ "$3" = get ]; then echo 1B7E2A3C4D5E6F708192A3B4C5D6E7F8091A44D0; fi ;;
  *) ;;
esac
`,
    { mode: 0o755 },
  );
  // What terraform would read: every TF_VAR_*_pfx_path must be a PFX that its TF_VAR_*_pfx_password opens.
  fs.writeFileSync(
    path.join(bin, 'terraform'),
    `#!/usr/bin/env bash
echo "terraform $*" >>"${dir}/terraform.log"
[ "$2" = init ] && exit 0
# No state yet: every certificate is new.
[ "$2" = show ] && { echo '{"format_version":"1.0"}'; exit 0; }
[ "$2" = output ] && { echo '{"mtls_backend_apim_certificate_id":{"value":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-payments-qa/certificates/mtls-backend"},"mtls_backend_versionless_secret_id":{"value":"https://kv-payments-qa.vault.azure.net/secrets/mtls-backend"},"partner_orders_apim_certificate_id":{"value":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-payments-qa/certificates/partner-orders"},"partner_orders_versionless_secret_id":{"value":"https://kv-payments-qa.vault.azure.net/secrets/partner-orders"}}'; exit 0; }
for var in $(compgen -e | grep -E '^TF_VAR_.+_pfx_path$'); do
  password_var="\${var%_path}_password"
  if openssl pkcs12 -in "\${!var}" -noout -passin "env:$password_var" 2>/dev/null; then opened=yes; else opened=no; fi
  echo "$var \${!var} opened=$opened" >>"${dir}/terraform.log"
done
`,
    { mode: 0o755 },
  );
  return { PATH: `${bin}:${process.env.PATH}`, CDKTF_OUTDIR: path.join(dir, 'cdktf.out'), TF_DATA_DIR: path.join(dir, 'tf-data') };
}

const describeWithOpenssl = describeWith(hasOpenssl, 'openssl (to make the certificates)');

describeWithOpenssl('npm run plan / deploy with a PEM certificate', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const password = randomPassword();
  let project: ReturnType<typeof projectWithEnvironments>;
  beforeAll(() => {
    project = projectWithEnvironments([withPem]);
  });
  afterAll(() => project.remove());

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workstation-'));
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF_VAR_') && !k.startsWith('PEM_FILE_')));
    for (const cert of withPem.certificates) {
      if (cert.format === 'pem') {
        const key = path.join(dir, `${cert.name}.key`);
        const crt = path.join(dir, `${cert.name}.crt`);
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', `/CN=${cert.name}`], { stdio: 'ignore' });
        const bundle = path.join(dir, `${cert.name}.pem`);
        fs.writeFileSync(bundle, fs.readFileSync(crt, 'utf8') + fs.readFileSync(key, 'utf8'));
        env[`PEM_FILE_${stem(cert.name)}`] = bundle;
      } else {
        env[`TF_VAR_${stem(cert.name)}_pfx_path`] = makePfx(dir, password, cert.name);
        env[`TF_VAR_${stem(cert.name)}_pfx_password`] = password;
      }
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (extraEnv: NodeJS.ProcessEnv, args: string[] = []) =>
    spawnSync(process.execPath, ['scripts/workstation.js', 'diff', withPem.name, ...args], { cwd: project.dir, encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 60_000 });

  it('plans the synthesized stack with terraform, handing it a PFX with a one-time password for each PEM bundle, removed afterwards', () => {
    const result = run(fakeTools(dir));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const seen = fs.readFileSync(path.join(dir, 'terraform.log'), 'utf8').trim().split('\n');
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', withPem.name);
    expect(seen.filter((l) => l.startsWith('terraform '))).toEqual([`terraform -chdir=${stackDir} init -input=false`, `terraform -chdir=${stackDir} show -json`, `terraform -chdir=${stackDir} plan -input=true`]);
    // The rotation table, before the plan: no state yet, so every certificate is new.
    expect(result.stdout).toMatch(/^mtls-backend: new [0-9A-F]{4}…[0-9A-F]{4} \(expires \d{4}-\d\d-\d\d\)$/m);
    expect(result.stdout).toMatch(/^partner-orders: new /m);
    expect(fs.existsSync(path.join(stackDir, 'deployment.json'))).toBe(true);
    for (const cert of withPem.certificates) {
      const line = seen.find((l) => l.startsWith(`TF_VAR_${stem(cert.name)}_pfx_path `));
      expect([cert.name, line?.endsWith('opened=yes')]).toEqual([cert.name, true]);
      if (cert.format === 'pem') expect(fs.existsSync(line!.split(' ')[1])).toBe(false);
    }
  });

  it('after a deploy, has APIM refresh each certificate from Key Vault and checks what it serves', () => {
    const result = spawnSync(process.execPath, ['scripts/workstation.js', 'deploy', withPem.name], { cwd: project.dir, encoding: 'utf8', env: { ...env, ...fakeTools(dir) }, timeout: 60_000 });
    expect(result.status).toBe(0);
    const terraform = fs.readFileSync(path.join(dir, 'terraform.log'), 'utf8');
    expect(terraform.indexOf(' apply -input=true')).toBeLessThan(terraform.indexOf(' output -json'));
    const az = fs.readFileSync(path.join(dir, 'az.log'), 'utf8');
    expect(az).toContain('az rest --method post --url https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-payments-qa/certificates/mtls-backend/refreshSecret?api-version=2024-05-01');
    expect(result.stdout).toContain("mtls-backend: API Management serves");
  });

  it('checks the resource providers before terraform runs, and stops with the register command when one is missing', () => {
    const result = run(fakeTools(dir, ['Microsoft.KeyVault']));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: resource provider Microsoft.KeyVault is NotRegistered in subscription 7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90; register it once with: az provider register --namespace Microsoft.KeyVault');
    expect(fs.existsSync(path.join(dir, 'terraform.log'))).toBe(false);
  });

  it('with --allow-my-ip, lets this address through the vault firewall for the command only', () => {
    const result = run({ ...fakeTools(dir), AGENT_IP: '198.51.100.7' }, ['--allow-my-ip']);
    expect(result.status).toBe(0);
    const az = fs.readFileSync(path.join(dir, 'az.log'), 'utf8');
    const add = az.indexOf('keyvault network-rule add');
    const remove = az.indexOf('keyvault network-rule remove');
    expect(az).toMatch(/keyvault network-rule add .*--ip-address 198\.51\.100\.7\/32/);
    expect(az).toMatch(/keyvault network-rule remove .*--ip-address 198\.51\.100\.7\/32/);
    expect(add).toBeGreaterThan(-1);
    expect(remove).toBeGreaterThan(add);
    // terraform ran between the two.
    expect(fs.existsSync(path.join(dir, 'terraform.log'))).toBe(true);
    for (const text of [az, result.stdout, result.stderr, fs.readFileSync(path.join(dir, 'terraform.log'), 'utf8')]) expect(text).not.toContain(password);
  });
});
