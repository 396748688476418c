// Parses the `cert:check` command line. Kept apart from the script so the rules (and the
// promise never to take a password as an argument) are tested without spawning a process.

export const USAGE = 'usage: npm run cert:check -- [--password-env NAME] [--warn-days N] [--json] <file>...';

export interface CliOptions {
  files: string[];
  passwordEnv: string;
  warnDays: number;
  json: boolean;
}

export type CliParse = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'usage-error'; message: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE_NUMBER = /^\d+$/;

export function parseCliArgs(argv: readonly string[], defaults: { passwordEnv: string; warnDays: number }): CliParse {
  const options: CliOptions = { files: [], passwordEnv: defaults.passwordEnv, warnDays: defaults.warnDays, json: false };
  let onlyFiles = false;

  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (onlyFiles || !arg.startsWith('-') || arg === '-') {
      options.files.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyFiles = true;
      continue;
    }
    // Only the flag's name is ever echoed back: `--password=...` typed by mistake must not put the
    // password on the screen or into a CI log.
    const [name, inlineValue] = splitFlag(arg);
    const takeValue = (): string | undefined => {
      if (inlineValue !== undefined) return inlineValue;
      index += 1;
      return argv[index];
    };
    switch (name) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--json':
        if (inlineValue !== undefined) return usageError('--json takes no value');
        options.json = true;
        break;
      case '--password-env': {
        const value = takeValue();
        if (value === undefined || !ENV_NAME.test(value)) return usageError('--password-env needs the NAME of an environment variable (letters, digits, _)');
        options.passwordEnv = value;
        break;
      }
      case '--warn-days': {
        const value = takeValue();
        if (value === undefined || !WHOLE_NUMBER.test(value)) return usageError('--warn-days needs a whole number of days (0 or more)');
        options.warnDays = Number(value);
        break;
      }
      case '--password':
      case '--pass':
      case '--passphrase':
      case '-p':
        return usageError(`${name} is not accepted: put the password in an environment variable and name it with --password-env`);
      default:
        return usageError(`unknown option ${name}`);
    }
  }

  if (options.files.length === 0) return usageError('no file given');
  return { kind: 'run', options };
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

function usageError(problem: string): CliParse {
  return { kind: 'usage-error', message: `cert:check: ${problem}. ${USAGE}` };
}
