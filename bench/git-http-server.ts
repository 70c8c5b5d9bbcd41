/**
 * git's own `git http-backend` served over smart HTTP on loopback (src/testkit/git-http-server.ts),
 * run as its own process (`node dist/bench/git-http-server.js ROOT`) so that serving does not share
 * an event loop with the client being measured; it prints its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startGitHttpServer } from '../testkit/git-http-server.js';

/** Start the server in a child process; resolves with its URL and a stop function. */
export async function startGitHttpProcess(root: string): Promise<{ url: string; stop(): Promise<void> }> {
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'git-http-server.js');
  const child: ChildProcess = spawn(process.execPath, [script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      const m = /^(http:\/\/\S+)\n/m.exec(buf);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`git http server exited ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.argv[2];
  if (!root) {
    process.stderr.write('usage: git-http-server.js ROOT\n');
    process.exit(2);
  }
  const s = await startGitHttpServer(root);
  process.stdout.write(s.url + '\n');
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}
