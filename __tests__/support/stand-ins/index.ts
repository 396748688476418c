import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../run-command';

/**
 * A directory holding node and stand-ins for az and terraform (stand-in.js), to be a command's whole PATH,
 * with the state they answer from and the log of their calls.
 */
export function standInTools(parent: string, state: Record<string, unknown> = {}) {
  const run = fs.mkdtempSync(path.join(parent, 'run-'));
  const bin = path.join(run, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const tool of ['az', 'terraform']) {
    // node's own path in the first line: starting a stand-in starts no shell and no /usr/bin/env.
    fs.writeFileSync(path.join(bin, tool), `#!${process.execPath} ${path.join(PROJECT_ROOT, '__tests__/support/stand-ins/stand-in.js')}\n`, { mode: 0o755 });
  }
  const stateFile = path.join(run, 'state.json');
  fs.writeFileSync(stateFile, JSON.stringify({ loggedIn: true, subscription: '6b9f2c1e-7d4a-4e8b-9c3f-1a2b3c4d5e6f', rules: [], ...state }));
  const logFile = path.join(run, 'calls.log');
  fs.writeFileSync(logFile, '');
  const tmp = path.join(run, 'tmp');
  fs.mkdirSync(tmp);
  return {
    run,
    bin,
    tmp,
    env: { PATH: bin, HOME: run, TMPDIR: tmp, STAND_IN_STATE: stateFile, STAND_IN_LOG: logFile, CDKTF_OUTDIR: path.join(run, 'cdktf.out'), TF_DATA_DIR: path.join(run, 'tf-data'), AGENT_IP: '20.50.60.70' } as NodeJS.ProcessEnv,
    calls: (): any[] => fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    state: () => JSON.parse(fs.readFileSync(stateFile, 'utf8')),
  };
}
