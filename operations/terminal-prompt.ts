import readline from 'node:readline';
import { StepFailure } from './step-failure';

/**
 * The workstation's questions, on the terminal it runs in (Windows consoles included: Node gives them the
 * same raw mode). A person who gives up (Ctrl-C, exit 130, or Ctrl-D, exit 1) stops the command before
 * anything is run.
 */
function abandoned(how: string, exitCode: number): StepFailure {
  return new StepFailure(`no answer at the prompt (${how}); nothing was run`, exitCode);
}

export function askLine(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    let answered = false;
    rl.on('SIGINT', () => {
      rl.close();
      reject(abandoned('Ctrl-C', 130));
    });
    rl.on('close', () => {
      if (!answered) reject(abandoned('Ctrl-D', 1));
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

/**
 * Reads a password in raw mode and writes nothing but the prompt and the final newline: readline redraws
 * its line on every editing key, and the cursor codes it writes give the password's length away. Raw mode
 * is set before the prompt appears, so nothing typed after it is ever echoed.
 */
export function askSecret(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    let typed = '';
    let escape = false;
    const finish = (settle: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stdout.write('\n');
      settle();
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (escape) {
          // An escape sequence (arrow keys, Home, Delete...) ends with a letter or "~": ignored whole.
          if (/[A-Za-z~]/.test(char)) escape = false;
          continue;
        }
        if (char === '\r' || char === '\n') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(abandoned('Ctrl-C', 130)));
        if (char === '\u0004' || char === '\u001a') return finish(() => reject(abandoned(char === '\u0004' ? 'Ctrl-D' : 'Ctrl-Z', 1)));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char === '\u001b') escape = true;
        else if (char >= ' ') typed += char;
      }
    };
    input.setRawMode(true);
    process.stdout.write(question);
    input.resume();
    input.on('data', onData);
  });
}
