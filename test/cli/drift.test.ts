import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownDatabase } from '../helpers/own-database.js';
import { runCli } from '../helpers/cli.js';
import { TestRepo, manifest, tempDir } from '../helpers/git.js';

const stateUrl = ownDatabase('driftless_drift');

describe('driftless drift counts the recorded resources it compared', () => {
  it('counts every recorded resource: those whose secret this CLI lacks, and those no longer declared (prune off)', async () => {
    const files = (names: string[]) =>
      names.map((n) => manifest('File', n, { path: `${n}.txt`, content: n === 'c' ? 'plain' : '!secret DRIFT_TEST_TOKEN' })).join('---\n');
    const repo = TestRepo.create({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: files\n    prune: false\n',
      'stacks/web/files.yaml': files(['a', 'b', 'c']),
    });
    const dir = tempDir('driftless-drift-');
    const root = join(dir, 'root');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo: { path: ${repo.dir}, name: drift-count }\ntargets:\n  files: { provider: fs, root: ${root} }\n` +
        `secrets:\n  DRIFT_TEST_TOKEN: { fromEnv: DRIFT_TEST_TOKEN }\nstate: { url: "${stateUrl()}" }\ndataDir: ${join(dir, 'data')}\n`,
    );
    const withToken = { DRIFT_TEST_TOKEN: 'token-value' };
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['--config', config, ...args], { env });

    expect((await cli(['apply', '--auto-approve'], withToken)).code).toBe(0);
    const all = await cli(['drift'], withToken);
    expect([all.code, all.out]).toEqual([0, 'web: no drift (3 resources match what was applied).\n']);
    // Without the secret the plan at the applied commit cannot resolve a and b; their live state still matches.
    const noToken = await cli(['drift']);
    expect([noToken.code, noToken.out]).toEqual([0, 'web: no drift (3 resources match what was applied).\n']);

    // a and b are no longer declared; prune is off, so they stay recorded and are still compared.
    repo.commit({ 'stacks/web/files.yaml': files(['c']) });
    expect((await cli(['apply', '--auto-approve'], withToken)).code).toBe(0);
    const orphans = await cli(['drift']);
    expect([orphans.code, orphans.out]).toEqual([0, 'web: no drift (3 resources match what was applied).\n']);

    writeFileSync(join(root, 'a.txt'), 'edited by hand');
    const drifted = await cli(['drift', '--format', 'json']);
    expect(drifted.code).toBe(2);
    const json = JSON.parse(drifted.out) as { stacks: { stack: string; checked: number; drift: { id: string }[] }[] };
    expect(json.stacks.map((s) => [s.stack, s.checked, s.drift.map((d) => d.id)])).toEqual([['web', 3, ['File/a']]]);
  });
});
