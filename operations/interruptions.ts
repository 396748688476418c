import { AzureCliError } from './azure-cli';
import { StepFailure } from './step-failure';

/**
 * How a command that has something to undo (a rule let through a vault's firewall, private files, the
 * emulator of a rehearsal) takes a signal: it never ends before its `finally` blocks have run.
 *
 * Without a listener, Node ends at Ctrl-C at once (the command runner passes it on to the az call running
 * now, then ends the process as Ctrl-C would have), and a rule opened on a production vault for the command
 * stays there. Here:
 *  - Ctrl-C (SIGINT) reaches a tool on the terminal by itself (Terraform, which then releases its state
 *    lock), and a captured az call through the command runner; it is only noted;
 *  - SIGTERM and SIGHUP reach this process alone: they are noted and passed on through `signal`, which
 *    stops a running Terraform;
 * either way `interrupted` is aborted: the az call under way is stopped and no other begins (except the
 * cleanup's own calls), and the steps' waits end early; `checkpoint` refuses to begin the next step, and
 * `settle` gives the command the shell's exit status for the signal, 128 + its number, however the step in
 * flight ended. A second signal does not cut the cleanup short (its calls are bounded): it is answered with
 * one line saying what is still being done.
 */
export interface Interruptions {
  /**
   * The first signal that came, if any: it is what stopped the command (a pipeline's cancel that follows
   * Ctrl-C with SIGTERM, or a terminal closed while Ctrl-C is being handled, does not rename the cause).
   */
  readonly received: NodeJS.Signals | undefined;
  /** Aborted on SIGTERM or SIGHUP: the tools pass it to Terraform. */
  readonly signal: AbortSignal;
  /** Aborted on any of the three: az calls and the steps' waits stop (step-tools.ts). */
  readonly interrupted: AbortSignal;
  /** Throws a StepFailure when a signal came: the next step is not begun. */
  checkpoint(): void;
  /** Runs `body`; when a signal came, its failure or its end becomes a StepFailure with the signal's status. */
  settle<T>(body: () => Promise<T>): Promise<T>;
  /** Removes the listeners. */
  dispose(): void;
}

/** What the tools take of a command's interruptions (step-tools.ts interruptibleTools). */
export type CommandSignals = Pick<Interruptions, 'signal' | 'interrupted'>;

const NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
/** The signals a command takes: Ctrl-C, a cancelled pipeline job, a closed terminal. */
export const INTERRUPTING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export const isInterruptingSignal = (signal: NodeJS.Signals | null): signal is (typeof INTERRUPTING_SIGNALS)[number] => (INTERRUPTING_SIGNALS as readonly string[]).includes(signal ?? '');
export const exitStatusOf = (signal: NodeJS.Signals): number => 128 + (NUMBERS[signal] ?? 0);

export function watchInterruptions(target: NodeJS.EventEmitter = process, notice: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Interruptions {
  let received: NodeJS.Signals | undefined;
  const stop = new AbortController();
  const interrupt = new AbortController();
  const listeners = INTERRUPTING_SIGNALS.map((name) => {
    const listener = () => {
      if (received) notice(`${name}: still cleaning up after ${received} (what this command opened or wrote is being removed, each call bounded); it ends by itself`);
      received ??= name;
      interrupt.abort();
      if (name !== 'SIGINT') stop.abort();
    };
    target.on(name, listener);
    return [name, listener] as const;
  });
  const interruptions: Interruptions = {
    get received() {
      return received;
    },
    signal: stop.signal,
    interrupted: interrupt.signal,
    checkpoint() {
      if (received) throw new StepFailure(`stopped by ${received}; the steps after this one were not run`, exitStatusOf(received));
    },
    async settle(body) {
      let result: Awaited<ReturnType<typeof body>>;
      try {
        result = await body();
      } catch (error) {
        // A step's own failure, or the az call the signal stopped, keeps its message; anything else is a
        // crash, and stays one.
        if (received && error instanceof StepFailure) throw new StepFailure(error.message, exitStatusOf(received));
        if (received && error instanceof AzureCliError) throw new StepFailure(error.kind === 'interrupted' ? `stopped by ${received} while ${error.doing}` : error.message, exitStatusOf(received));
        throw error;
      }
      if (received) throw new StepFailure(`stopped by ${received}`, exitStatusOf(received));
      return result;
    },
    dispose() {
      for (const [name, listener] of listeners) target.removeListener(name, listener);
    },
  };
  return interruptions;
}
