import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initWithCommit } from '../git/init.js';
import { PACKAGE_ROOT } from '../manifests/schema-files.js';
import type { ServerConfig } from '../config/server-config.js';

/** Create the demo manifest repository under the data dir from fixtures/demo/ (once). */
export async function ensureDemoRepo(dataDir: string): Promise<{ path: string; created: boolean }> {
  const dir = resolve(dataDir, 'demo-repo');
  if (existsSync(join(dir, '.git'))) return { path: dir, created: false };
  mkdirSync(dir, { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'fixtures', 'demo'), dir, { recursive: true });
  await initWithCommit(dir, 'main', 'Demo manifests', { name: 'driftless demo', email: 'demo@driftless.invalid' });
  return { path: dir, created: true };
}

/** The embedded default: the demo repository, embedded state, an `fs` target under the data dir. */
export function demoConfig(dataDir: string, repoPath: string): ServerConfig {
  const abs = resolve(dataDir);
  return {
    file: null,
    repo: { path: repoPath, branch: 'main', name: 'demo' },
    targets: { 'demo-files': { name: 'demo-files', provider: 'fs', root: join(abs, 'demo-target') } },
    secrets: { DEMO_API_KEY: 'demo-key-not-for-production' },
    providers: [],
    state: {},
    server: { host: '127.0.0.1', port: 8080, bodyLimit: 25 * 1024 * 1024 },
    poll: '*/1 * * * *',
    dataDir: abs,
  };
}
