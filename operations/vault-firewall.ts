import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeploymentManifest } from '../config/deployment-manifest';
import { parseIpv4Range, sameRule } from '../constructs/ipv4-range';
import { type AzureCli, AzureCliError } from './azure-cli';
import type { Clock } from './deadline';
import { systemClock } from './deadline';
import { processAlive } from './private-directory';
import { printable } from '../text/printable';
import type { StepLog } from './step-log';
import { StepFailure } from './step-failure';

/**
 * Lets this machine through the stack's Key Vault firewall for one command or job, and closes the gap
 * afterwards. The vault denies by default and a hosted agent has no fixed address, yet every plan after
 * the first import reads the certificate from the vault's data plane, and every apply imports into it.
 *
 *  - open: adds <agent ip>/32 for this run and waits until the data plane lets this machine through. A
 *    rule the vault already had is left alone and never removed by close. When the vault does not exist
 *    yet (a first apply), a watcher in this process adds the rule once Terraform has created it,
 *    retrying within a bound and verifying with a read; the stack's RBAC wait before the first import
 *    gives the rule time to take effect.
 *  - close: stops every watcher of this run, then removes the rules this run added and no other live
 *    run on this machine still holds (two jobs of one self-hosted machine, or two commands of one
 *    workstation, share one egress address: the rule is reference-counted by holds in a per-user
 *    directory). Runs on other machines behind the same egress are serialised per environment by the
 *    pipelines (docs/deploying.md). What close acts on is only this run's record: a record of another run
 *    is ignored.
 *  - the configured ipRules of a vault this stack created are converged by the approved apply only, never
 *    by a plan: the stack ignores later changes to the list, so that Terraform neither removes a temporary
 *    rule mid-apply nor reports it as drift. The plan works out what to add and remove (plannedChanges),
 *    shows it to the approver and seals it with the plan; the apply carries out exactly that
 *    (applyApprovedChanges). A rule that appeared after the plan (added by hand, or by another machine's
 *    --allow-my-ip) was never approved for removal and is left alone.
 */

export interface VaultNetwork {
  readonly exists: boolean;
  readonly defaultAction?: 'Allow' | 'Deny';
  readonly publicNetworkAccess?: 'Enabled' | 'Disabled';
  readonly ipRules: readonly string[];
}

export interface FirewallRecord {
  /** The run this record belongs to: close ignores a record of another run. */
  readonly runId: string;
  readonly subscription: string;
  readonly vault: string;
  /** Rules this run added (and holds): close removes these, unless another live run holds them too. */
  readonly added: string[];
}

export interface FirewallOptions {
  readonly az: AzureCli;
  readonly manifest: DeploymentManifest;
  readonly log: StepLog;
  readonly env: NodeJS.ProcessEnv;
  readonly runId: string;
  /** Where this run's record is kept between open and close (a pipeline's per-job temporary directory). */
  readonly recordFile?: string;
  /** The per-user directory of holds (reference counts); @default <tmp>/apimcert-firewall-holds-<uid> */
  readonly holdsDir?: string;
  /** A hold of a process that exits between open and close (a pipeline step) lasts this long. @default 4 h */
  readonly holdLifetimeMs?: number;
  readonly clock?: Clock;
  /** How long open waits for the data plane to let this machine through. @default 180 s */
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** How long a watcher waits for Terraform to create the vault. @default 40 min */
  readonly watchMs?: number;
}

const VAULT_RULE_LIMIT = 1000;

/** The vault's firewall as Azure has it now, shape-checked. */
export async function readVaultNetwork(az: AzureCli, manifest: DeploymentManifest): Promise<VaultNetwork> {
  const { name, resourceGroupName } = manifest.keyVault;
  let vault: unknown;
  try {
    vault = await az.json(['keyvault', 'show', '--name', name, '--resource-group', resourceGroupName], `reading vault ${name}`);
  } catch (error) {
    if (error instanceof AzureCliError && error.kind === 'not-found') return { exists: false, ipRules: [] };
    throw error;
  }
  const properties = (vault as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  const acls = (properties.networkAcls ?? {}) as { defaultAction?: unknown; ipRules?: unknown };
  const rules = Array.isArray(acls.ipRules) ? acls.ipRules.slice(0, VAULT_RULE_LIMIT) : [];
  const ipRules = rules
    .map((r) => (r && typeof r === 'object' ? (r as { value?: unknown }).value : undefined))
    .filter((value): value is string => typeof value === 'string' && parseIpv4Range(value) !== undefined);
  return {
    exists: true,
    // No networkAcls at all: Azure's default, which lets every address through.
    defaultAction: acls.defaultAction === 'Deny' ? 'Deny' : 'Allow',
    publicNetworkAccess: properties.publicNetworkAccess === 'Disabled' ? 'Disabled' : 'Enabled',
    ipRules,
  };
}

/** What the approved apply will do to the rules of a vault this stack created: configured rules it lacks, and rules no longer configured. */
export interface RuleChanges {
  readonly add: string[];
  readonly remove: string[];
}

/** The approved changes as the plan seals them (firewall-changes.json in the bundle), shape-checked when read back. */
export function parseRuleChanges(text: string): RuleChanges {
  const value = JSON.parse(text) as Partial<RuleChanges>;
  const list = (v: unknown) => (Array.isArray(v) && v.every((r) => typeof r === 'string' && parseIpv4Range(r) !== undefined) ? [...(v as string[])] : undefined);
  const add = list(value?.add);
  const remove = list(value?.remove);
  if (!add || !remove) throw new Error('firewall-changes.json is not a list of rules to add and remove');
  return { add, remove };
}

export function ruleChanges(manifest: DeploymentManifest, present: readonly string[], keep: readonly string[]): RuleChanges {
  if (!manifest.keyVault.created || manifest.keyVault.firewall === false) return { add: [], remove: [] };
  const configured = manifest.keyVault.ipRules;
  return {
    add: configured.filter((rule) => !present.some((p) => sameRule(p, rule))),
    remove: present.filter((rule) => !configured.some((c) => sameRule(c, rule)) && !keep.some((k) => sameRule(k, rule))),
  };
}

export function agentNetworkAccessOff(env: NodeJS.ProcessEnv): boolean {
  return /^false$/i.test(env.AGENT_NETWORK_ACCESS ?? '');
}

/** A run of open/close: this run's record, its holds and its watchers. */
export class FirewallSession {
  private readonly clock: Clock;
  private readonly watchers: { stop(): void; done: Promise<void> }[] = [];
  private record: FirewallRecord;

  constructor(private readonly options: FirewallOptions) {
    this.clock = options.clock ?? systemClock;
    this.record = { runId: options.runId, subscription: options.az.subscription, vault: options.manifest.keyVault.name, added: [] };
  }

  private get vault() {
    return this.options.manifest.keyVault;
  }

  /** Whether this stack's vault needs a rule for this machine at all, and why not when it does not. */
  private skipReason(): string | undefined {
    if (this.vault.firewall === false) return `vault ${this.vault.name} has no firewall`;
    if (agentNetworkAccessOff(this.options.env)) return "AGENT_NETWORK_ACCESS is false (this machine's egress is allowed by the vault's rules, or reaches it privately)";
    return undefined;
  }

  /** Opens the vault to `address` for this run. */
  async open(address: () => Promise<string>): Promise<void> {
    const skip = this.skipReason();
    if (skip) {
      this.options.log.info(`${skip}: nothing to open`);
      return;
    }
    // Always a fresh record: whatever an earlier run left in this location is not this run's to close.
    this.saveRecord();
    const network = await readVaultNetwork(this.options.az, this.options.manifest);
    if (!network.exists) {
      if (!this.vault.created) throw new StepFailure(`the stack uses the existing vault ${this.vault.name} in ${this.vault.resourceGroupName}, which this identity cannot see. Fix: check the name, and that the identity has a role on the vault (docs/deploying.md)`);
      const ip = await address();
      this.startWatcher(ip);
      this.options.log.info(`vault ${this.vault.name} does not exist yet: this run adds ${ip}/32 as soon as Terraform has created it`);
      return;
    }
    if (network.publicNetworkAccess === 'Disabled') {
      this.options.log.info(`vault ${this.vault.name} takes no public traffic: only a private endpoint reaches it, an address rule would not help; nothing to open`);
      return;
    }
    if (network.defaultAction === 'Allow') {
      this.options.log.info(`vault ${this.vault.name} lets every address through: nothing to open`);
      return;
    }
    const ip = await address();
    const rule = `${ip}/32`;
    if (network.ipRules.some((r) => sameRule(r, rule)) && !this.heldByOthers(rule)) {
      // Someone else's rule (a self-hosted agent's permanent egress, a rule added by hand): close must not take it away.
      this.options.log.info(`vault ${this.vault.name}: ${rule} is already allowed, not by this run; it stays after the run`);
    } else {
      await this.add(rule, network.ipRules);
    }
    await this.waitForDataPlane(ip);
  }

  /** Adds `rule` unless present, holding it for this run; recorded before the call, so close removes it even when the call half-succeeds. */
  private async add(rule: string, present: readonly string[]): Promise<void> {
    this.hold(rule);
    this.record = { ...this.record, added: [...this.record.added.filter((r) => !sameRule(r, rule)), rule] };
    this.saveRecord();
    if (present.some((r) => sameRule(r, rule))) {
      this.options.log.info(`vault ${this.vault.name}: ${rule} is already allowed for another run on this machine; this run holds it too`);
      return;
    }
    await this.options.az.json(['keyvault', 'network-rule', 'add', '--name', this.vault.name, '--resource-group', this.vault.resourceGroupName, '--ip-address', rule], `adding ${rule} to the network rules of vault ${this.vault.name}`);
    this.options.log.info(`vault ${this.vault.name}: allowed ${rule} for this run`);
  }

  /**
   * A firewall change takes a while to reach the data plane. ForbiddenByRbac means the request got through
   * the firewall: whether this identity may read certificates is the stack's business.
   */
  private async waitForDataPlane(ip: string): Promise<void> {
    const limit = this.options.waitMs ?? 180_000;
    const poll = this.options.pollMs ?? 10_000;
    const end = this.clock.now() + limit;
    for (;;) {
      try {
        await this.options.az.json(['keyvault', 'certificate', 'list', '--vault-name', this.vault.name, '--maxresults', '1'], `reading the certificates of vault ${this.vault.name}`);
        this.options.log.info(`vault ${this.vault.name}: its data plane answers this machine (${ip})`);
        return;
      } catch (error) {
        if (!(error instanceof AzureCliError)) throw error;
        if (error.kind === 'forbidden-by-rbac') {
          this.options.log.info(`vault ${this.vault.name}: its firewall lets this machine (${ip}) through`);
          return;
        }
        // A signal stopped the call: the command is ending, not waiting for a firewall.
        if (error.kind === 'not-logged-in' || error.kind === 'not-installed' || error.kind === 'interrupted') throw error;
        if (this.clock.now() >= end) {
          throw new StepFailure(
            `vault ${this.vault.name} still refuses this machine (${ip}) after ${Math.round(limit / 1000)} s: ${error.detail}. Fix: if the egress address is not the one looked up, run on agents with a known egress range and AGENT_NETWORK_ACCESS=false`,
          );
        }
      }
      await this.clock.sleep(poll);
    }
  }

  /** Waits in this process for the vault to appear, then adds the rule: retried within the bound, verified by a read. */
  private startWatcher(ip: string): void {
    const rule = `${ip}/32`;
    const limit = this.options.watchMs ?? 40 * 60_000;
    const poll = this.options.pollMs ?? 10_000;
    let stopped = false;
    const run = async () => {
      const end = this.clock.now() + limit;
      let lastProblem = '';
      while (!stopped && this.clock.now() < end) {
        try {
          const network = await readVaultNetwork(this.options.az, this.options.manifest);
          if (network.exists) {
            if (!network.ipRules.some((r) => sameRule(r, rule))) await this.add(rule, network.ipRules);
            const after = await readVaultNetwork(this.options.az, this.options.manifest);
            if (after.ipRules.some((r) => sameRule(r, rule))) {
              this.options.log.info(`vault ${this.vault.name} exists now: ${rule} is allowed for this run (read back)`);
              return;
            }
            lastProblem = `${rule} was added but is not among the vault's rules when read back`;
          }
        } catch (error) {
          // The command is ending on a signal: close, which runs next, removes whatever was added.
          if (error instanceof AzureCliError && error.kind === 'interrupted') return;
          lastProblem = error instanceof AzureCliError ? error.detail : String((error as Error).message);
        }
        if (!stopped) await this.clock.sleep(poll);
      }
      if (!stopped) this.options.log.warn(`vault ${this.vault.name}: no rule for this machine could be added within ${Math.round(limit / 1000)} s${lastProblem ? ` (last: ${lastProblem})` : ''}; the import may meet ForbiddenByFirewall`);
    };
    const done = run();
    this.watchers.push({ stop: () => (stopped = true), done });
  }

  /** Stops every watcher of this run and waits for each, so no rule is added after close removed it. */
  async stopWatchers(): Promise<void> {
    for (const watcher of this.watchers) watcher.stop();
    await Promise.all(this.watchers.map((w) => w.done));
    this.watchers.length = 0;
  }

  /** Removes what this run added and nobody else on this machine holds. Never fails: a warning says what is left. */
  async close(): Promise<void> {
    await this.stopWatchers();
    const record = this.loadRecord();
    if (!record) {
      this.options.log.info(`vault ${this.vault.name}: this run opened nothing, nothing to close`);
      return;
    }
    if (record.added.length === 0) {
      this.options.log.info(`vault ${this.vault.name}: this run opened nothing, nothing to close`);
      this.forgetRecord();
      return;
    }
    for (const rule of record.added) {
      this.release(rule);
      if (this.vault.ipRules.some((c) => sameRule(c, rule))) {
        this.options.log.info(`vault ${this.vault.name}: ${rule} is one of the configured rules, it stays`);
        continue;
      }
      if (this.heldByOthers(rule)) {
        this.options.log.info(`vault ${this.vault.name}: ${rule} is still needed by another run on this machine, it stays until that run closes`);
        continue;
      }
      try {
        // A cleanup's call: a signal of the command (a second Ctrl-C) does not stop it.
        await this.options.az.forCleanup().json(['keyvault', 'network-rule', 'remove', '--name', this.vault.name, '--resource-group', this.vault.resourceGroupName, '--ip-address', rule], `removing ${rule} from vault ${this.vault.name}`);
        this.options.log.info(`vault ${this.vault.name}: removed ${rule}`);
      } catch (error) {
        const detail = error instanceof AzureCliError ? error.detail : String((error as Error).message);
        this.options.log.warn(`could not remove ${rule} from the network rules of vault ${this.vault.name} (${detail}). Fix: az keyvault network-rule remove --name ${this.vault.name} --resource-group ${this.vault.resourceGroupName} --ip-address ${rule} --subscription ${this.options.az.subscription}`);
      }
    }
    this.forgetRecord();
  }

  /** The rules the approved apply adds and removes, read now. `keep`: this run's own rule. */
  async plannedChanges(): Promise<RuleChanges> {
    if (!this.vault.created || this.vault.firewall === false) return { add: [], remove: [] };
    const network = await readVaultNetwork(this.options.az, this.options.manifest);
    // A vault the apply creates gets its configured rules from Terraform, as it is created: nothing to
    // add around it (an az call before Terraform has made the vault would fail on a first apply).
    if (!network.exists) return { add: [], remove: [] };
    return ruleChanges(this.options.manifest, network.ipRules, this.keptRules());
  }

  /**
   * The approved apply: adds each approved rule the vault still lacks, and removes each approved removal
   * that is still there, still not configured and held by no live run here. Nothing else is touched.
   */
  async applyApprovedChanges(approved: RuleChanges): Promise<RuleChanges> {
    if (!this.vault.created || this.vault.firewall === false) return { add: [], remove: [] };
    const network = await readVaultNetwork(this.options.az, this.options.manifest);
    if (!network.exists) return { add: [], remove: [] };
    const present = network.ipRules;
    const keep = this.keptRules();
    const done: RuleChanges = { add: [], remove: [] };
    for (const rule of approved.add.filter((r) => this.vault.ipRules.some((c) => sameRule(c, r)) && !present.some((p) => sameRule(p, r)))) {
      await this.options.az.json(['keyvault', 'network-rule', 'add', '--name', this.vault.name, '--resource-group', this.vault.resourceGroupName, '--ip-address', rule], `adding the configured rule ${rule} to vault ${this.vault.name}`);
      this.options.log.info(`vault ${this.vault.name}: added the configured rule ${rule}`);
      done.add.push(rule);
    }
    for (const rule of approved.remove) {
      const now = present.find((p) => sameRule(p, rule));
      if (!now || this.vault.ipRules.some((c) => sameRule(c, rule)) || keep.some((k) => sameRule(k, rule))) continue;
      await this.options.az.json(['keyvault', 'network-rule', 'remove', '--name', this.vault.name, '--resource-group', this.vault.resourceGroupName, '--ip-address', now], `removing ${rule}, which is no longer configured, from vault ${this.vault.name}`);
      this.options.log.info(`vault ${this.vault.name}: removed ${rule}, which is no longer in keyVault.networkAcls.ipRules`);
      done.remove.push(rule);
    }
    for (const rule of present.filter((p) => !this.vault.ipRules.some((c) => sameRule(c, p)) && !approved.remove.some((r) => sameRule(r, p)) && !keep.some((k) => sameRule(k, p)))) {
      this.options.log.info(`vault ${this.vault.name}: ${rule} is not configured, but the approved plan did not remove it (it appeared later): left alone`);
    }
    return done;
  }

  /** Rules not to remove in a convergence: this run's own and every rule a live run on this machine holds. */
  private keptRules(): string[] {
    return [...this.record.added, ...this.liveHolds().map((h) => h.rule)];
  }

  // --- this run's record (between a pipeline's open step and its close step) ---

  private saveRecord(): void {
    if (!this.options.recordFile) return;
    const tmp = `${this.options.recordFile}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(this.record), { mode: 0o600 });
    fs.renameSync(tmp, this.options.recordFile);
  }

  private loadRecord(): FirewallRecord | undefined {
    if (!this.options.recordFile) return this.record;
    let parsed: unknown;
    try {
      const text = fs.readFileSync(this.options.recordFile, 'utf8');
      if (text.length > 64 * 1024) return undefined;
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const r = parsed as Partial<FirewallRecord>;
    const valid =
      r.runId === this.options.runId &&
      r.vault === this.vault.name &&
      r.subscription === this.options.az.subscription &&
      Array.isArray(r.added) &&
      r.added.every((rule) => typeof rule === 'string' && parseIpv4Range(rule) !== undefined);
    if (!valid) {
      this.options.log.info(`vault ${this.vault.name}: the firewall record here is not this run's; it is left alone`);
      return undefined;
    }
    return r as FirewallRecord;
  }

  private forgetRecord(): void {
    if (this.options.recordFile) fs.rmSync(this.options.recordFile, { force: true });
    this.record = { ...this.record, added: [] };
  }

  // --- holds: which live runs on this machine need which rule ---

  private holdsDir(): string {
    const uid = process.getuid?.() ?? os.userInfo().username;
    // The machine's temporary directory as this run's environment names it: shared by the runs of one
    // user on one machine, which is whom the holds are counted between.
    const temp = this.options.env.TMPDIR || this.options.env.TEMP || this.options.env.TMP || os.tmpdir();
    return this.options.holdsDir ?? path.join(temp, `apimcert-firewall-holds-${uid}`);
  }

  private trustedHolds?: boolean;

  /**
   * Whether the holds directory is this user's alone: created here (0700) or found as a real directory
   * (no symbolic link) owned by this user with no access for group or others. /tmp is shared, so another
   * user could make the directory first: then a hold planted there would keep a rule open after close, and
   * a planted link would have this run write where it points. An untrusted directory is not used at all:
   * this run counts only its own rule, and says so.
   */
  private holdsTrusted(): boolean {
    if (this.trustedHolds !== undefined) return this.trustedHolds;
    const dir = this.holdsDir();
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        this.options.log.warn(`the firewall holds directory ${printable(dir)} cannot be made (${(error as NodeJS.ErrnoException).code}): rules are not shared with other runs on this machine`);
        return (this.trustedHolds = false);
      }
    }
    const stat = fs.lstatSync(dir);
    const uid = process.getuid?.();
    const own = stat.isDirectory() && !stat.isSymbolicLink() && (uid === undefined || (stat.uid === uid && (stat.mode & 0o077) === 0));
    if (!own) {
      this.options.log.warn(
        `the firewall holds directory ${printable(dir)} is not this user's alone (a link, another owner, or open to others): it is not used, so a rule another run of this machine shares may be removed under it. Fix: remove ${printable(dir)}; the next run makes it again`,
      );
    }
    return (this.trustedHolds = own);
  }

  private holdFile(rule: string): string {
    const key = `${this.options.az.subscription}_${this.vault.name}_${rule.replace('/', '_')}`.toLowerCase();
    return path.join(this.holdsDir(), `${key}.${encodeURIComponent(this.options.runId)}.json`);
  }

  private hold(rule: string): void {
    if (!this.holdsTrusted()) return;
    const lifetime = this.options.holdLifetimeMs ?? 4 * 60 * 60_000;
    fs.writeFileSync(this.holdFile(rule), JSON.stringify({ rule, pid: process.pid, runId: this.options.runId, until: this.clock.now() + lifetime }), { mode: 0o600 });
  }

  private release(rule: string): void {
    if (!this.holdsTrusted()) return;
    fs.rmSync(this.holdFile(rule), { force: true });
  }

  private liveHolds(): { rule: string; runId: string }[] {
    if (!this.holdsTrusted()) return [];
    let names: string[];
    try {
      names = fs.readdirSync(this.holdsDir());
    } catch {
      return [];
    }
    const prefix = `${this.options.az.subscription}_${this.vault.name}_`.toLowerCase();
    const holds: { rule: string; runId: string }[] = [];
    for (const name of names.filter((n) => n.startsWith(prefix))) {
      const file = path.join(this.holdsDir(), name);
      try {
        const hold = JSON.parse(fs.readFileSync(file, 'utf8')) as { rule?: unknown; pid?: unknown; runId?: unknown; until?: unknown };
        const expired = typeof hold.until !== 'number' || hold.until < this.clock.now();
        // A hold whose process is gone counts only while its run may still be going (a pipeline's open and
        // close are separate processes of one job); a workstation command's hold is its process's.
        const gone = typeof hold.pid === 'number' && !processAlive(hold.pid) && String(hold.runId).startsWith('local-');
        if (expired || gone || typeof hold.rule !== 'string' || typeof hold.runId !== 'string') {
          fs.rmSync(file, { force: true });
          continue;
        }
        holds.push({ rule: hold.rule, runId: hold.runId });
      } catch {
        // unreadable: not a hold
      }
    }
    return holds;
  }

  private heldByOthers(rule: string): boolean {
    return this.liveHolds().some((h) => h.runId !== this.options.runId && sameRule(h.rule, rule));
  }
}

/** This run's id: the pipeline's job attempt, or this process on a workstation. */
export function runIdentity(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID) return `github-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${env.GITHUB_JOB ?? ''}`;
  if (env.BUILD_BUILDID) return `ado-${env.BUILD_BUILDID}-${env.SYSTEM_JOBATTEMPT ?? '1'}-${env.SYSTEM_JOBID ?? ''}`;
  return `local-${os.hostname()}-${process.pid}`;
}
