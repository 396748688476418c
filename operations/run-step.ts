import { printable } from '../text/printable';
import { AzureCliError } from './azure-cli';
import { StepFailure } from './step-failure';

/**
 * Runs a command's body and turns how it ended into an exit status: a StepFailure is one `error:` line and
 * its own status, an az failure is one line naming what was being done, and anything else is a crash:
 * one line and exit 2 (APIMCERT_DEBUG=1 adds the stack trace), never a status that reads as a verdict.
 */
export function runStep(body: () => Promise<number | void>): void {
  body().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (error: unknown) => {
      if (error instanceof StepFailure) {
        process.stderr.write(`error: ${printable(error.message)}\n`);
        process.exitCode = error.exitCode;
      } else if (error instanceof Error && ['ConfigurationError', 'ConfigurationErrors', 'PolicyViolations'].includes(error.name)) {
        // An environment file's mistakes: one line each, naming the file, field, value, rule and fix.
        process.stderr.write(`${error.message.split('\n').map((line) => `error: ${printable(line)}`).join('\n')}\n`);
        process.exitCode = 1;
      } else if (error instanceof AzureCliError) {
        process.stderr.write(`error: ${printable(`${error.doing} failed: ${error.detail}`)}\n`);
        process.exitCode = 1;
      } else {
        const message = String((error as Error)?.message ?? error).split('\n')[0];
        process.stderr.write(`error: ${printable(message)}${process.env.APIMCERT_DEBUG === '1' ? '' : '. APIMCERT_DEBUG=1 shows the stack trace'}\n`);
        if (process.env.APIMCERT_DEBUG === '1' && (error as Error)?.stack) process.stderr.write(`${(error as Error).stack}\n`);
        process.exitCode = 2;
      }
    },
  );
}
