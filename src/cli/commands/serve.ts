import { resolve } from 'node:path';
import type { Flags } from '../args.js';
import type { Io } from '../output.js';
import { loadServerConfig, type ServerConfig } from '../../config/server-config.js';
import { ensureDemoRepo, demoConfig } from '../demo-setup.js';
import { startService } from '../../service.js';

/** The edit the demo banner suggests: it changes the page every time it is run (so the commit never comes up empty). */
export const DEMO_EDIT = [
  `sed -i "s|<h1>.*</h1>|<h1>Hello from driftless, $(date +%H:%M:%S.%N).</h1>|" stacks/web/site.yaml`,
  `git commit -qam "Change the welcome page"`,
];

function demoInstructions(repoPath: string, url: string, config: ServerConfig): string {
  return [
    '',
    `driftless serve is running the demo at ${url}`,
    `  manifest repository: ${repoPath}`,
    `  files are managed under: ${config.targets['demo-files'].root as string}`,
    `  polling: every 5 seconds; logs are JSON lines below`,
    '',
    'Make a change and watch it being applied (in another terminal):',
    `  cd ${repoPath}`,
    ...DEMO_EDIT.map((c) => `  ${c}`),
    '  git log --notes=driftless -1                      # the audit note appears once applied',
    '',
    `Runs: curl ${url}/api/runs   Stacks: curl ${url}/api/stacks   Stop: Ctrl-C`,
    '',
  ].join('\n');
}

/** `driftless serve`: webhooks, polling, plans on pull requests, apply after merge, drift. */
export async function serveCommand(flags: Flags, io: Io): Promise<number> {
  let config: ServerConfig;
  let demoRepo: string | null = null;
  if (flags.demo) {
    const dataDir = resolve(flags['data-dir'] ?? '.driftless');
    demoRepo = (await ensureDemoRepo(dataDir)).path;
    config = { ...demoConfig(dataDir, demoRepo), poll: '*/5 * * * * *', dataDirLock: { breakLock: !!flags['break-lock'] } };
    if (io.env.PORT) config.server = { ...config.server, port: Number(io.env.PORT) };
  } else {
    config = loadServerConfig(flags.config, { repo: flags.repo, dataDir: flags['data-dir'], breakLock: flags['break-lock'], env: io.env });
  }
  const svc = await startService(config);
  if (demoRepo) io.err.write(demoInstructions(demoRepo, svc.url, config));
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      io.err.write(`\n${signal}: finishing running steps, then stopping…\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      svc.close().then(done, (err) => {
        io.err.write(`error while stopping: ${(err as Error).message}\n`);
        done();
      });
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return 0;
}
