/**
 * A step's failure, for the person who runs it: one line that says what failed, the value where it helps,
 * and the fix. The entry points print it as `error: <message>` and exit with `exitCode`; anything else
 * thrown is a crash (exit 2 for the reports: a crash never reads as "action needed").
 */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}
