import fs from 'node:fs';
import type { CommandResult, CommandRunner, RunOptions } from '../../operations/command-runner';
import { parseIpv4Range } from '../../constructs/ipv4-range';

/**
 * An in-memory Azure behind an az runner, for driving the operational steps in-process: it keeps the state
 * the steps change (a vault's firewall rules, what Key Vault and API Management hold, backends) and answers
 * az's argument lists with what az prints, exit statuses included (3 for a missing resource, az's error
 * lines for a firewall or RBAC refusal). Every call is recorded with the environment it was given, so a
 * test can assert what reached az, and what did not. The real az CLI against an emulator of the REST APIs
 * is __tests__/azure-emulator.test.ts.
 */
export interface FakeVault {
  resourceGroup: string;
  defaultAction: 'Allow' | 'Deny';
  publicNetworkAccess: 'Enabled' | 'Disabled';
  ipRules: string[];
}

export interface FakeVersion {
  thumbprint: string;
  expires: string;
}

export interface AzCall {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export class FakeAzure {
  subscription = '3f9a6c2e-81d4-4b7a-9e0c-5d2f1a8b6c47';
  loggedIn = true;
  /** Subscriptions the login can see. */
  subscriptions = new Set<string>([this.subscription]);
  providers: Record<string, string> = { 'Microsoft.KeyVault': 'Registered', 'Microsoft.ApiManagement': 'Registered' };
  vaults = new Map<string, FakeVault>();
  /** The address Key Vault sees this machine at. */
  clientAddress = '20.50.60.70';
  /** Data-plane calls refused by the firewall after a rule is added, before it takes effect. */
  firewallPropagationCalls = 0;
  keyVaultCertificates = new Map<string, FakeVersion>();
  apimCertificates = new Map<string, FakeVersion>();
  backends = new Map<string, string[]>();
  /** How many reads APIM still serves the old version after a refresh (APIM fetching the secret). */
  apimRefreshLagReads = 0;
  /** Per command prefix ("keyvault network-rule remove"), a result to answer instead; `times` answers it that often only. */
  failures = new Map<string, Partial<CommandResult> & { times?: number }>();
  /** Called for "keyvault show" before answering: a test's hook to create the vault mid-watch. */
  onVaultShow?: (name: string, calls: number) => void;
  readonly calls: AzCall[] = [];
  private pendingLag = new Map<string, number>();
  private propagation = 0;
  private vaultShows = 0;

  vault(name: string, settings: Partial<FakeVault> = {}): this {
    this.vaults.set(name, { resourceGroup: 'rg-orders-qa', defaultAction: 'Deny', publicNetworkAccess: 'Enabled', ipRules: [], ...settings });
    return this;
  }

  /** The az argument lists, with the options az adds to every call left out. */
  commands(prefix = ''): string[][] {
    return this.calls.map((c) => [...c.args]).filter((args) => args.join(' ').startsWith(prefix));
  }

  readonly run: CommandRunner = async (args: readonly string[], options: RunOptions = {}) => {
    this.calls.push({ args, env: options.env ?? {} });
    return this.answer(args);
  };

  private answer(args: readonly string[]): CommandResult {
    const words: string[] = [];
    const opts = new Map<string, string>();
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--only-show-errors') continue;
      if (args[i].startsWith('--')) opts.set(args[i], args[i + 1] && !args[i + 1].startsWith('-') ? args[++i] : '');
      else if (args[i] === '-o') i++;
      else words.push(args[i]);
    }
    const command = words.join(' ');
    for (const [prefix, { times, ...result }] of this.failures) {
      if (!command.startsWith(prefix)) continue;
      if (times !== undefined) {
        if (times <= 1) this.failures.delete(prefix);
        else this.failures.set(prefix, { ...result, times: times - 1 });
      }
      return { status: 1, signal: null, stdout: '', stderr: '', ...result };
    }
    if (!this.loggedIn) return fail(1, "ERROR: Please run 'az login' to setup account.");
    const subscription = opts.get('--subscription');
    if (subscription && !this.subscriptions.has(subscription)) return fail(1, `ERROR: Subscription '${subscription}' not found. Check the spelling and casing and try again.`);
    const vaultName = opts.get('--vault-name') ?? opts.get('--name') ?? '';
    switch (command) {
      case 'account show':
        return ok({ id: subscription ?? this.subscription, tenantId: 'b6e1d4a7-2c9f-4e35-8a1b-7f0c3d9e2a58', user: { name: 'deployer', type: 'servicePrincipal' } });
      case 'provider show': {
        const state = this.providers[opts.get('--namespace') ?? ''];
        return state ? ok({ namespace: opts.get('--namespace'), registrationState: state }) : ok({ namespace: opts.get('--namespace'), registrationState: 'NotRegistered' });
      }
      case 'keyvault show': {
        this.vaultShows += 1;
        this.onVaultShow?.(vaultName, this.vaultShows);
        const vault = this.vaults.get(vaultName);
        if (!vault) return fail(3, `ERROR: (ResourceNotFound) The Resource 'Microsoft.KeyVault/vaults/${vaultName}' under resource group '${opts.get('--resource-group')}' was not found.`);
        return ok({
          name: vaultName,
          properties: { publicNetworkAccess: vault.publicNetworkAccess, networkAcls: { defaultAction: vault.defaultAction, bypass: 'AzureServices', ipRules: vault.ipRules.map((value) => ({ value })) } },
        });
      }
      case 'keyvault network-rule add':
      case 'keyvault network-rule remove': {
        const vault = this.vaults.get(vaultName);
        if (!vault) return fail(3, `ERROR: (ResourceNotFound) The Resource 'Microsoft.KeyVault/vaults/${vaultName}' was not found.`);
        // az parses every stored rule strictly (ip_network(strict=True)): one with host bits crashes it.
        if (vault.ipRules.some((r) => parseIpv4Range(r)?.address !== parseIpv4Range(r)?.start)) return fail(1, 'The command failed with an unexpected error. Here is the traceback:\nValueError: has host bits set');
        const rule = opts.get('--ip-address') ?? '';
        const same = (r: string) => r.replace(/\/32$/, '') === rule.replace(/\/32$/, '');
        if (command.endsWith('add')) {
          if (!vault.ipRules.some(same)) vault.ipRules.push(rule.includes('/') ? rule : `${rule}/32`);
          this.propagation = this.firewallPropagationCalls;
        } else {
          vault.ipRules = vault.ipRules.filter((r) => !same(r));
        }
        return ok({ ipRules: vault.ipRules.map((value) => ({ value })), virtualNetworkRules: [] });
      }
      case 'keyvault certificate list':
      case 'keyvault certificate show': {
        const vault = this.vaults.get(vaultName);
        if (!vault) return fail(1, `ERROR: <urllib3.connection.HTTPSConnection>: Failed to resolve '${vaultName}.vault.azure.net'`);
        const allowed = vault.defaultAction === 'Allow' || vault.ipRules.some((r) => inside(this.clientAddress, r));
        if (!allowed || this.propagation > 0) {
          if (allowed) this.propagation -= 1;
          return fail(1, `ERROR: (Forbidden) Client address is not authorized and caller is not a trusted service.\nClient address: ${this.clientAddress}\nInner error: {\n    "code": "ForbiddenByFirewall"\n}`);
        }
        if (command.endsWith('list')) return ok([...this.keyVaultCertificates.keys()].map((n) => ({ name: n })));
        const version = this.keyVaultCertificates.get(opts.get('--name') ?? '');
        if (!version) return fail(3, `ERROR: (CertificateNotFound) A certificate with (name/id) ${opts.get('--name')} was not found in this key vault.`);
        return ok({ x509ThumbprintHex: version.thumbprint, attributes: { expires: version.expires } });
      }
      case 'rest':
        return this.rest(opts.get('--method') ?? 'get', opts.get('--url') ?? '', opts.get('--body'));
      default:
        return fail(2, `ERROR: '${command}' is not an az command this fake knows.`);
    }
  }

  private rest(method: string, url: string, body: string | undefined): CommandResult {
    const certificate = /\/certificates\/([^/?]+)(\/refreshSecret)?\?/.exec(url);
    const backend = /\/backends\/([^/?]+)\?/.exec(url);
    if (certificate) {
      const name = certificate[1];
      if (certificate[2] && method === 'post') {
        const current = this.keyVaultCertificates.get(name);
        if (!current) return fail(1, 'ERROR: Bad Request({"error":{"code":"ValidationError","message":"Key Vault certificate not found"}})');
        this.pendingLag.set(name, this.apimRefreshLagReads);
        return ok({ name, properties: {} });
      }
      const lag = this.pendingLag.get(name);
      if (lag !== undefined) {
        if (lag > 0) this.pendingLag.set(name, lag - 1);
        else {
          this.pendingLag.delete(name);
          this.apimCertificates.set(name, { ...(this.keyVaultCertificates.get(name) as FakeVersion) });
        }
      }
      const served = this.apimCertificates.get(name);
      if (!served) return fail(1, 'ERROR: Not Found({"error":{"code":"ResourceNotFound","message":"Certificate not found."}})');
      return ok({ name, properties: { thumbprint: served.thumbprint, expirationDate: served.expires } });
    }
    if (backend) {
      const name = backend[1];
      if (method === 'patch') {
        const parsed = JSON.parse(fs.readFileSync(String(body).replace(/^@/, ''), 'utf8'));
        this.backends.set(name, parsed.properties.credentials.certificate);
      }
      const presented = this.backends.get(name);
      if (!presented) return fail(1, 'ERROR: Not Found({"error":{"code":"ResourceNotFound"}})');
      return ok({ name, properties: { credentials: { certificate: presented } } });
    }
    return fail(1, `ERROR: Not Found(${url})`);
  }
}

function ok(body: unknown): CommandResult {
  return { status: 0, signal: null, stdout: JSON.stringify(body), stderr: '' };
}

function fail(status: number, stderr: string): CommandResult {
  return { status, signal: null, stdout: '', stderr };
}

function inside(address: string, rule: string): boolean {
  const a = parseIpv4Range(address);
  const r = parseIpv4Range(rule);
  return !!a && !!r && a.start >= r.start && a.start <= r.end;
}
