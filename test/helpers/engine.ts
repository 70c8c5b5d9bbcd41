import { join } from 'node:path';
import type { ServerConfig } from '../../src/config/server-config.js';
import { Workspace } from '../../src/engine/workspace.js';
import { planAll } from '../../src/engine/plan-stacks.js';
import { formatDiagnostic } from '../../src/manifests/diagnostics.js';
import { TestRepo, tempDir, FS_REPO_CONFIG } from './git.js';

/** A server config for tests: the repo, an fs target `files` under a temp root, embedded state. */
export function testConfig(repoPath: string, o: { dataDir?: string; root?: string; secrets?: Record<string, string> } = {}): ServerConfig {
  const dataDir = o.dataDir ?? tempDir('driftless-data-');
  return {
    file: null,
    repo: { path: repoPath, branch: 'main', name: 'test' },
    targets: { files: { name: 'files', provider: 'fs', root: o.root ?? join(dataDir, 'root') } },
    secrets: o.secrets ?? {},
    providers: [],
    state: {},
    server: { host: '127.0.0.1', port: 0, bodyLimit: 1024 * 1024 },
    poll: 'off',
    dataDir,
  };
}

/** Validate a repository made of `files` (driftless.yaml defaults to one fs stack) and return formatted errors. */
export async function validateFiles(files: Record<string, string>): Promise<string[]> {
  const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, ...files });
  const ws = await Workspace.open(testConfig(repo.dir), 'test');
  try {
    const r = await planAll(ws, await ws.resolve(), { validateOnly: true });
    return [...r.diagnostics, ...r.stacks.flatMap((s) => s.diagnostics)].map(formatDiagnostic);
  } finally {
    await ws.close();
    repo.remove();
  }
}
