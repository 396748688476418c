import { EventEmitter } from 'node:events';
import { AzureCliError } from '../operations/azure-cli';
import { watchInterruptions } from '../operations/interruptions';
import { StepFailure } from '../operations/step-failure';

describe('a command that has something to undo, on a signal', () => {
  const failure = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  it('keeps going without one: no checkpoint stops, settle gives what the body gave', async () => {
    const interruptions = watchInterruptions(new EventEmitter());
    expect(() => interruptions.checkpoint()).not.toThrow();
    await expect(interruptions.settle(async () => 1)).resolves.toBe(1);
    expect(interruptions.received).toBeUndefined();
  });

  it('after Ctrl-C, refuses the next step, and ends with 130 however the step in flight ended', async () => {
    const process = new EventEmitter();
    const interruptions = watchInterruptions(process);
    process.emit('SIGINT');
    expect(() => interruptions.checkpoint()).toThrow(new StepFailure('stopped by SIGINT; the steps after this one were not run', 130));
    // Ctrl-C reaches Terraform from the terminal: nothing here stops it a second time. The az calls and the
    // waits stop.
    expect(interruptions.signal.aborted).toBe(false);
    expect(interruptions.interrupted.aborted).toBe(true);
    const finished = (await failure(interruptions.settle(async () => 0))) as StepFailure;
    expect([finished.message, finished.exitCode]).toEqual(['stopped by SIGINT', 130]);
    const failed = (await failure(interruptions.settle(async () => Promise.reject(new StepFailure('terraform plan failed (exit 1)', 1))))) as StepFailure;
    expect([failed.message, failed.exitCode]).toEqual(['terraform plan failed (exit 1)', 130]);
  });

  it('passes SIGTERM and SIGHUP on to the running tool, with 143 and 129', async () => {
    for (const [signal, status] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const process = new EventEmitter();
      const interruptions = watchInterruptions(process);
      process.emit(signal);
      expect(interruptions.signal.aborted).toBe(true);
      expect(((await failure(interruptions.settle(async () => 0))) as StepFailure).exitCode).toBe(status);
    }
  });

  it('ends with 130 when the az call in flight was the one Ctrl-C stopped', async () => {
    const process = new EventEmitter();
    const interruptions = watchInterruptions(process);
    process.emit('SIGINT');
    const stopped = (await failure(interruptions.settle(async () => Promise.reject(new AzureCliError('interrupted', 'reading vault kv-x', 'the command was interrupted'))))) as StepFailure;
    expect(stopped).toBeInstanceOf(StepFailure);
    expect([stopped.message, stopped.exitCode]).toEqual(['stopped by SIGINT while reading vault kv-x', 130]);
  });

  it('answers a second signal with one line: the cleanup goes on', () => {
    const process = new EventEmitter();
    const notices: string[] = [];
    watchInterruptions(process, (line) => notices.push(line));
    process.emit('SIGINT');
    expect(notices).toEqual([]);
    process.emit('SIGINT');
    expect(notices).toEqual(['SIGINT: still cleaning up after SIGINT (what this command opened or wrote is being removed, each call bounded); it ends by itself']);
  });

  it('names the first signal, and lets a crash stay a crash', async () => {
    const process = new EventEmitter();
    const interruptions = watchInterruptions(process, () => undefined);
    process.emit('SIGTERM');
    process.emit('SIGINT');
    expect(interruptions.received).toBe('SIGTERM');
    const crash = new TypeError('x is undefined');
    expect(await failure(interruptions.settle(async () => Promise.reject(crash)))).toBe(crash);
  });

  it('stops listening when disposed, so Ctrl-C ends the process as it would without it', () => {
    const process = new EventEmitter();
    const interruptions = watchInterruptions(process);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s))).toEqual([1, 1, 1]);
    interruptions.dispose();
    expect(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s))).toEqual([0, 0, 0]);
  });
});
