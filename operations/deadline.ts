/**
 * A time bound for a whole step that is really a bound: every call made under it gets at most the time
 * left, so a step given five minutes never runs for five minutes plus one slow call per certificate.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** `clock`, whose sleeps end at once when `interrupted` is aborted: a step's wait never outlasts a signal. */
export function interruptibleClock(clock: Clock, interrupted: AbortSignal | undefined): Clock {
  if (!interrupted) return clock;
  return {
    now: () => clock.now(),
    sleep: (ms) => {
      if (interrupted.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => resolve();
        interrupted.addEventListener('abort', wake, { once: true });
        clock.sleep(ms).then(() => {
          interrupted.removeEventListener('abort', wake);
          resolve();
        });
      });
    },
  };
}

export class Deadline {
  private readonly end: number;
  constructor(
    readonly totalMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.end = clock.now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.end - this.clock.now());
  }

  passed(): boolean {
    return this.remainingMs() <= 0;
  }

  /** A call's own limit, cut to what is left of the whole. */
  limit(callMs: number): number {
    return Math.min(callMs, this.remainingMs());
  }

  /** Sleeps for `ms`, or until the deadline if that comes first. */
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(this.limit(ms));
  }
}
