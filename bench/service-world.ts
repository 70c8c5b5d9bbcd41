/** A service for the dashboard benches: the work tree's repository served bare over `git http-backend`, fs targets, quiet logs. */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startGitHttpProcess } from './git-http-server.js';
import { runOk } from './util.js';
import { loadServerConfig } from '../src/config/server-config.js';
import { startService } from '../src/service.js';

export type BenchService = Awaited<ReturnType<typeof startService>>;

/** Clone `work` bare under `base/srv`, serve it, and start the service on it (polling off, a free port). */
export async function startBenchService(base: string, work: string): Promise<{ svc: BenchService; stop(): Promise<void> }> {
  await runOk('git', ['clone', '-q', '--bare', work, join(base, 'srv', 'infra.git')]);
  const git = await startGitHttpProcess(join(base, 'srv'));
  const configFile = join(base, 'driftless.config.yaml');
  writeFileSync(
    configFile,
    [
      'repo:',
      `  url: ${git.url}/infra.git`,
      '  branch: main',
      '  name: bench',
      'targets:',
      `  files: { provider: fs, root: ${join(base, 'target')} }`,
      'server: { host: 127.0.0.1, port: 0 }',
      'poll: "off"',
      `dataDir: ${join(base, 'data')}`,
      '',
    ].join('\n'),
  );
  let svc: BenchService;
  try {
    svc = await startService(loadServerConfig(configFile), { log: pino({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() })) });
  } catch (err) {
    await git.stop();
    throw err;
  }
  return {
    svc,
    async stop() {
      await svc.close();
      await git.stop();
    },
  };
}
