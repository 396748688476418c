import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './support/run-command';

const OLD = '8F3A5C1E2D4B6A7980C1D2E3F4A5B6C7D8E991C2';
const NEW = '1B7E2A3C4D5E6F708192A3B4C5D6E7F8091A44D0';
const SUB = '/subscriptions/6b9f2c1e-7d4a-4e8b-9c3f-1a2b3c4d5e6f/resourceGroups/rg-payments-qa/providers/Microsoft.ApiManagement/service/apim-payments-qa';

/**
 * Stand-ins for az and terraform at the process boundary: every call is logged as a JSON array; az
 * answers as Azure would, with APIM serving the old certificate until Refresh Secret was called (or never,
 * when told so) and the backend presenting whatever was last PATCHed.
 */
function fakes(dir: string, { converges = true } = {}) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(dir, 'backend'), OLD);
  fs.writeFileSync(
    path.join(bin, 'az'),
    `#!/usr/bin/env bash
printf '%s\\n' az "$@" | jq -Rsc 'split("\\n")[:-1]' >>"${dir}/calls"
args="$*"
case "$args" in
  "keyvault certificate show"*) echo "${NEW.toLowerCase()}" ;;
  *"--method post"*refreshSecret*) ${converges ? `touch "${dir}/refreshed"` : ':'} ;;
  *"--method get"*"/certificates/"*) if [ -f "${dir}/refreshed" ]; then echo "${NEW}"; else echo "${OLD}"; fi ;;
  *"--method get"*"/backends/"*) cat "${dir}/backend" ;;
  *"--method patch"*"/backends/"*) jq -r '.properties.credentials.certificate[0]' <<<"\${@: -3:1}" >"${dir}/backend" ;;
  *) echo "fake az: unexpected $args" >&2; exit 2 ;;
esac
`,
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(bin, 'terraform'),
    `#!/usr/bin/env bash
printf '%s\\n' terraform "$@" | jq -Rsc 'split("\\n")[:-1]' >>"${dir}/calls"
case "$2" in
  state) printf '%s\\n' azurerm_api_management_backend.Certificate-mtls-backend_Backend azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate azurerm_key_vault_certificate.Certificate-mtls-backend_KeyVaultCertificate; exit 0 ;;
  apply) env | grep -E '^TF_VAR_' | sort >"${dir}/refresh-vars"; exit 0 ;;
esac
cat <<'JSON'
${JSON.stringify({
  mtls_backend_apim_certificate_id: { sensitive: false, type: 'string', value: `${SUB}/certificates/mtls-backend` },
  mtls_backend_versionless_secret_id: { sensitive: false, type: 'string', value: 'https://kv-payments-qa.vault.azure.net/secrets/mtls-backend' },
  mtls_backend_backend_id: { sensitive: false, type: 'string', value: `${SUB}/backends/mtls-backend` },
  partner_orders_apim_certificate_id: { sensitive: false, type: 'string', value: `${SUB}/certificates/partner-orders` },
  partner_orders_versionless_secret_id: { sensitive: false, type: 'string', value: 'https://kv-payments-qa.vault.azure.net/secrets/partner-orders' },
})}
JSON
`,
    { mode: 0o755 },
  );
  const stack = path.join(dir, 'stack');
  fs.mkdirSync(stack);
  fs.writeFileSync(
    path.join(stack, 'deployment.json'),
    JSON.stringify({ certificates: [{ name: 'mtls-backend', stem: 'mtls_backend', source: 'pfx' }, { name: 'partner-orders', stem: 'partner_orders', source: 'pem' }] }),
  );
  const run = () =>
    spawnSync('bash', [path.join(PROJECT_ROOT, 'pipelines/scripts/apim-refresh.sh'), stack], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, APIM_REFRESH_TIMEOUT_SECONDS: '1', APIM_REFRESH_POLL_SECONDS: '0.2' },
      timeout: 30_000,
    });
  const calls = () => fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  return { run, calls, stack, backend: () => fs.readFileSync(path.join(dir, 'backend'), 'utf8').trim() };
}

describe('apim-refresh.sh: APIM serves Key Vault\'s current version after an apply, verified', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apim-refresh-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refreshes each APIM certificate from Key Vault, waits until it serves the current thumbprint, and points the backend at it', () => {
    const f = fakes(dir);
    const result = f.run();
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(result.stdout.trim().split('\n')).toEqual([
      `mtls-backend: API Management serves ${NEW}, Key Vault's current version; backend mtls-backend presents it`,
      `partner-orders: API Management serves ${NEW}, Key Vault's current version`,
    ]);
    const calls = f.calls();
    expect(calls[0]).toEqual(['terraform', `-chdir=${f.stack}`, 'output', '-json']);
    expect(calls.slice(1, 4)).toEqual([
      ['az', 'keyvault', 'certificate', 'show', '--id', 'https://kv-payments-qa.vault.azure.net/certificates/mtls-backend', '--query', 'x509ThumbprintHex', '-o', 'tsv'],
      ['az', 'rest', '--method', 'post', '--url', `https://management.azure.com${SUB}/certificates/mtls-backend/refreshSecret?api-version=2024-05-01`, '--output', 'none'],
      ['az', 'rest', '--method', 'get', '--url', `https://management.azure.com${SUB}/certificates/mtls-backend?api-version=2024-05-01`, '--query', 'properties.thumbprint', '-o', 'tsv'],
    ]);
    expect(calls).toContainEqual([
      'az', 'rest', '--method', 'patch', '--url', `https://management.azure.com${SUB}/backends/mtls-backend?api-version=2024-05-01`, '--headers', 'If-Match=*',
      '--body', `{"properties":{"credentials":{"certificate":["${NEW}"]}}}`, '--output', 'none',
    ]);
    expect(f.backend()).toBe(NEW);
    // Then the state learns what APIM serves, for the weekly report: a refresh-only apply of APIM's objects.
    expect(calls.at(-1)).toEqual([
      'terraform', `-chdir=${f.stack}`, 'apply', '-refresh-only', '-auto-approve', '-input=false', '-no-color',
      '-target=azurerm_api_management_backend.Certificate-mtls-backend_Backend', '-target=azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate',
    ]);
    expect(fs.readFileSync(path.join(dir, 'refresh-vars'), 'utf8').trim().split('\n')).toEqual([
      `TF_VAR_mtls_backend_pfx_password=`,
      `TF_VAR_mtls_backend_pfx_path=${path.join(f.stack, 'deployment.json')}`,
      `TF_VAR_partner_orders_pfx_password=`,
      `TF_VAR_partner_orders_pfx_path=${path.join(f.stack, 'deployment.json')}`,
    ]);
  });

  it('names the certificate whose Key Vault read fails, and goes on with the others', () => {
    const f = fakes(dir);
    fs.writeFileSync(path.join(dir, 'bin', 'az-real'), fs.readFileSync(path.join(dir, 'bin', 'az')));
    fs.writeFileSync(path.join(dir, 'bin', 'az'), `#!/usr/bin/env bash\ncase "$*" in *"certificates/mtls-backend"*"x509"*) echo "ERROR: Forbidden" >&2; exit 1 ;; esac\nexec bash "${path.join(dir, 'bin', 'az-real')}" "$@"\n`, { mode: 0o755 });
    const result = f.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error: mtls-backend: could not read Key Vault's current version of the certificate");
    expect(result.stdout).toContain('partner-orders: API Management serves');
  });

  it('leaves a backend that already presents the current thumbprint alone', () => {
    const f = fakes(dir);
    fs.writeFileSync(path.join(dir, 'backend'), NEW);
    expect(f.run().status).toBe(0);
    expect(f.calls().filter((c) => c.includes('patch'))).toEqual([]);
  });

  it('fails the job by name, within the time it was given, when APIM does not converge', () => {
    const f = fakes(dir, { converges: false });
    const started = Date.now();
    const result = f.run();
    expect(result.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stderr).toContain(`error: mtls-backend: API Management still serves ${OLD} after 1s, not Key Vault's current version ${NEW}. Fix: check that APIM's identity may read the secret`);
    // The backend is not pointed at a certificate APIM does not serve.
    expect(f.calls().filter((c) => c.includes('patch'))).toEqual([]);
  });
});
