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
 * either way `checkpoint` refuses to begin the next step, and `settle` gives the command the shell's exit
 * status for the signal, 128 + its number, however the step in flight ended.
 */
export interface Interruptions {
  /** The first signal that came, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** Aborted on SIGTERM or SIGHUP: the tools pass it to Terraform. */
  readonly signal: AbortSignal;
  /** Throws a StepFailure when a signal came: the next step is not begun. */
  checkpoint(): void;
  /** Runs `body`; when a signal came, its failure or its end becomes a StepFailure with the signal's status. */
  settle<T>(body: () => Promise<T>): Promise<T>;
  /** Removes the listeners. */
  dispose(): void;
}

const NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
export const exitStatusOf = (signal: NodeJS.Signals): number => 128 + (NUMBERS[signal] ?? 0);

export function watchInterruptions(target: NodeJS.EventEmitter = process): Interruptions {
  let received: NodeJS.Signals | undefined;
  const stop = new AbortController();
  const listeners = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const listener = () => {
      received ??= name;
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
    checkpoint() {
      if (received) throw new StepFailure(`stopped by ${received}; the steps after this one were not run`, exitStatusOf(received));
    },
    async settle(body) {
      let result: Awaited<ReturnType<typeof body>>;
      try {
        result = await body();
      } catch (error) {
        // A step's own failure keeps its message; anything else is a crash, and stays one.
        if (received && error instanceof StepFailure) throw new StepFailure(error.message, exitStatusOf(received));
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
