/**
 * Runs `build` with cdktf's creation stack traces left unformatted.
 *
 * cdktf records a stack trace for every token it makes (an Intrinsic per attribute reference, a Lazy per
 * deferred value) with Error.stackTraceLimit raised to its maximum, and reads it at once, which makes V8
 * format every frame into text. App({ stackTraces: false }) then never writes them out: in the 30 × 10
 * bench case that formatting was about a quarter of the synth (npm run bench, docs/performance.md). cdktf
 * captures into plain objects, so a prepareStackTrace hook can tell its captures (left empty) from real
 * Errors, whose stack the hook that was in place formats as before (Node's own, with source maps when
 * they are on). The hook is only in place while `build` runs.
 */
type PrepareStackTrace = (target: unknown, frames: NodeJS.CallSite[]) => unknown;

export function withoutCreationStacks<T>(build: () => T): T {
  const holder = Error as { prepareStackTrace?: PrepareStackTrace };
  const previous = holder.prepareStackTrace;
  holder.prepareStackTrace = (target, frames) => (target instanceof Error ? (previous ? previous(target, frames) : nodeDefaultFormat(target, frames)) : '');
  try {
    return build();
  } finally {
    if (previous) holder.prepareStackTrace = previous;
    else delete holder.prepareStackTrace;
  }
}

/** Node's own format, for a Node that has no default hook to hand on to: the error's toString, then "    at <frame>" lines. */
function nodeDefaultFormat(error: Error, frames: NodeJS.CallSite[]): string {
  const header = Error.prototype.toString.call(error);
  return frames.length ? `${header}\n    at ${frames.join('\n    at ')}` : header;
}
