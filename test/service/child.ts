import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { World } from './harness.js';

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url));

export interface Child {
  proc: ChildProcess;
  url: Promise<string>;
  output: () => string;
  exited: Promise<number | null>;
}

/** `driftless serve --config FILE` in a real child process (to be killed for real); its URL is read from its JSON log. */
export function serve(w: World): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, 'serve', '--config', w.configFile()], {
    env: { ...w.env(), DRIFTLESS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let resolveUrl: (u: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  const onData = (c: Buffer): void => {
    out += c.toString();
    const m = /"url":"(http:\/\/[^"]+)"[^\n]*driftless serve is listening/.exec(out);
    if (m) resolveUrl(m[1]);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, url, output: () => out, exited };
}
