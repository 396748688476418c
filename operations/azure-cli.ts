import type { CommandRunner, CommandResult } from './command-runner';
import type { Deadline } from './deadline';

/**
 * The Azure CLI as the operational steps use it: every call names the stack's subscription (az's default
 * subscription is whatever the login left selected, which need not be the stack's), asks for JSON, and
 * runs without this process's secrets in its environment: the PFX passwords and the plan key reach
 * Terraform only, never az or anything it starts.
 *
 * A failed call becomes an AzureCliError of a kind the steps can act on, from az's own error text:
 * Key Vault's ForbiddenByFirewall / ForbiddenByRbac inner codes, ARM's ResourceNotFound and az's exit
 * status 3 for a missing resource, and az's "Please run 'az login'". A call the command's signal stopped,
 * or did not let begin, is 'interrupted': never retried, never read as an answer.
 */
export type AzureCliErrorKind = 'not-installed' | 'not-logged-in' | 'not-found' | 'forbidden-by-firewall' | 'forbidden-by-rbac' | 'timed-out' | 'interrupted' | 'failed';

export class AzureCliError extends Error {
  constructor(
    readonly kind: AzureCliErrorKind,
    /** What was being done, for the message: "reading the network rules of vault kv-x". */
    readonly doing: string,
    /** az's last line of error output, which the caller escapes before printing. */
    readonly detail: string,
  ) {
    super(`${doing} failed: ${detail}`);
    this.name = 'AzureCliError';
  }
}

/** The environment without the certificate variables: what Terraform gets until the staged ones are added. */
export function withoutCertificateVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^TF_VAR_\w+_pfx_(path|password)$/i.test(name) && !/^PEM_FILE_/i.test(name)));
}

/** Variables that never reach az: the certificate secrets and the plan key. */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^TF_VAR_/i.test(name) || /^PEM_FILE_/i.test(name) || name === 'TF_PLAN_ENCRYPTION_KEY' || name === 'ARM_CLIENT_SECRET' || /_PFX_(PASSWORD|BASE64)$|_PEM_BASE64$/i.test(name)) continue;
    kept[name] = value;
  }
  return kept;
}

export function classifyFailure(result: CommandResult): AzureCliErrorKind {
  if (result.failure === 'not-found') return 'not-installed';
  if (result.failure === 'cancelled') return 'interrupted';
  if (result.failure === 'timed-out') return 'timed-out';
  const text = result.stderr;
  if (/ForbiddenByFirewall|Client address is not authorized/i.test(text)) return 'forbidden-by-firewall';
  if (/ForbiddenByRbac|ForbiddenByPolicy|Caller is not authorized to perform action/i.test(text)) return 'forbidden-by-rbac';
  if (/Please run 'az login'|az login|AADSTS700082|refresh token has expired/i.test(text)) return 'not-logged-in';
  if (result.status === 3 || /\b(ResourceNotFound|ResourceGroupNotFound|VaultNotFound|CertificateNotFound|NotFound)\b|was not found|could not be found/i.test(text)) return 'not-found';
  return 'failed';
}

/** The last meaningful line of az's error output, shortened. */
export function lastErrorLine(result: CommandResult): string {
  const lines = result.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING:/.test(l));
  const line = lines.find((l) => /^ERROR:/.test(l)) ?? lines[lines.length - 1] ?? (result.failure ? `az ${result.failure}` : `exit ${result.status}`);
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export interface AzureCliOptions {
  readonly run: CommandRunner;
  /** The stack's subscription: passed as --subscription on every call. */
  readonly subscription: string;
  readonly env: NodeJS.ProcessEnv;
  /** Bounds every call when the step has a bound of its own. */
  readonly deadline?: Deadline;
  /** One call's limit. @default 120 s */
  readonly callTimeoutMs?: number;
  /** A cleanup's CLI: its calls run even after the command's signal (RunOptions.cleanup). */
  readonly cleanup?: boolean;
}

export class AzureCli {
  private readonly env: NodeJS.ProcessEnv;
  constructor(private readonly options: AzureCliOptions) {
    // No prompts, no telemetry, no update checks: a step must never wait for a person or reach for the network on its own.
    this.env = { ...withoutSecrets(options.env), AZURE_CORE_COLLECT_TELEMETRY: 'no', AZURE_CORE_SURVEY_MESSAGE: 'no', AZURE_CORE_NO_COLOR: 'true', AZURE_CORE_ONLY_SHOW_ERRORS: 'true' };
  }

  get subscription(): string {
    return this.options.subscription;
  }

  /** The same CLI with every call cut to what is left of `deadline`. */
  bounded(deadline: Deadline): AzureCli {
    return new AzureCli({ ...this.options, deadline });
  }

  /**
   * The same CLI for a cleanup (removing what the command opened): its calls run after a signal too, and
   * each is bounded to 60 s, so a cleanup ends by itself.
   */
  forCleanup(): AzureCli {
    return new AzureCli({ ...this.options, cleanup: true, deadline: undefined, callTimeoutMs: Math.min(this.options.callTimeoutMs ?? 60_000, 60_000) });
  }

  /** Runs `az <args> --subscription <id> -o json` and returns the parsed output (null for none). */
  async json(args: readonly string[], doing: string): Promise<unknown> {
    const result = await this.raw(args, doing);
    const text = result.stdout.trim();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new AzureCliError('failed', doing, 'az printed something that is not JSON');
    }
  }

  async raw(args: readonly string[], doing: string): Promise<CommandResult> {
    const limit = this.options.callTimeoutMs ?? 120_000;
    const timeoutMs = this.options.deadline ? this.options.deadline.limit(limit) : limit;
    if (timeoutMs <= 0) throw new AzureCliError('timed-out', doing, 'no time left for it');
    const result = await this.options.run([...args, '--subscription', this.options.subscription, '--only-show-errors', '-o', 'json'], { env: this.env, timeoutMs, ...(this.options.cleanup ? { cleanup: true } : {}) });
    if (result.status !== 0) {
      const kind = classifyFailure(result);
      throw new AzureCliError(kind, doing, kind === 'interrupted' ? 'the command was interrupted' : lastErrorLine(result));
    }
    return result;
  }
}
