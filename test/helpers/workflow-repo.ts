import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, tempDir, manifest } from './git.js';
import { runCli } from './cli.js';

/** Three stacks on one fs target: db, then app (takes db's outputs), then edge (takes app's); `other` stands alone. */
export const WORKFLOW_CONFIG = `version: 1
stacks:
  db:
    path: stacks/db
    targets: { fs: files }
  app:
    path: stacks/app
    targets: { fs: files }
    dependsOn: [db]
  edge:
    path: stacks/edge
    targets: { fs: files }
    dependsOn: [app]
  other:
    path: stacks/other
    targets: { fs: files }
`;

/** A repository of that workflow (files override or add), a server config for it, and a CLI runner. */
export function workflowRepo(files: Record<string, string> = {}) {
  const repo = TestRepo.create({
    'driftless.yaml': WORKFLOW_CONFIG,
    'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 5432\n' }),
    'stacks/app/app.yaml': manifest('File', 'cfg', { path: 'app.conf', content: '!ref db:File/conf.outputs.sha256' }),
    'stacks/edge/edge.yaml': manifest('File', 'site', { path: 'edge.conf', content: '!ref app:File/cfg.outputs.path' }),
    'stacks/other/o.yaml': manifest('File', 'o', { path: 'other.txt', content: 'alone\n' }),
    ...files,
  });
  const dir = tempDir('driftless-workflow-');
  const root = join(dir, 'root');
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(config, `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${root} }\ndataDir: ${join(dir, 'data')}\n`);
  const cli = (...args: string[]) => runCli(['--config', config, ...args]);
  return { repo, dir, root, config, cli };
}
