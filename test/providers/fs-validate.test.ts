import { describe, expect, it } from 'vitest';
import { testConfig, validateFiles } from '../helpers/engine.js';
import { FS_REPO_CONFIG, TestRepo } from '../helpers/git.js';
import { fsProvider } from '../../src/providers/fs/index.js';
import { Workspace } from '../../src/engine/workspace.js';
import { planAll } from '../../src/engine/plan-stacks.js';
import { formatDiagnostic } from '../../src/manifests/diagnostics.js';

const F = 'stacks/web/a.yaml';
const doc = (kind: string, name: string, spec: string): string => `apiVersion: fs.driftless.dev/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('fs provider: what apply would refuse is refused at plan time, at the field', () => {
  it('reports a path with "..", an absolute path and one that leaves the root, each at its value', async () => {
    const body = [
      doc('File', 'up', '  path: a/../../etc/passwd\n  content: x\n'),
      doc('Directory', 'abs', '  path: /etc\n'),
      doc('File', 'out', '  content: x\n  path: ../x\n'),
      doc('File', 'fine', '  path: ok.txt\n'),
    ].join('---\n');
    expect(await validateFiles({ [F]: body })).toEqual([
      'stacks/web/a.yaml:6:9: File/up: spec.path: path "a/../../etc/passwd" leaves the target\'s root',
      'stacks/web/a.yaml:14:9: Directory/abs: spec.path: path "/etc" is absolute; paths are relative to the target\'s root',
      'stacks/web/a.yaml:22:9: File/out: spec.path: path "../x" leaves the target\'s root',
    ]);
  });

  it('reports a ".." inside a path that stays under the root, as apply does', async () => {
    expect(await validateFiles({ [F]: doc('File', 'a', '  path: a/../b\n') })).toEqual([
      'stacks/web/a.yaml:6:9: File/a: spec.path: path "a/../b" uses ".."; paths may not leave the target\'s root',
    ]);
  });

  it('reports a Symlink target that leaves the root at the target, and accepts one that stays inside', async () => {
    const body = [
      doc('Symlink', 'abs', '  path: l1\n  target: /etc/passwd\n'),
      doc('Symlink', 'up', '  path: d/l2\n  target: ../../outside\n'),
      doc('Symlink', 'ok', '  path: d/e/l3\n  target: ../../x\n'),
    ].join('---\n');
    expect(await validateFiles({ [F]: body })).toEqual([
      'stacks/web/a.yaml:7:11: Symlink/abs: spec.target: symlink target "/etc/passwd" leaves the target\'s root (absolute or too many "..")',
      'stacks/web/a.yaml:15:11: Symlink/up: spec.target: symlink target "../../outside" leaves the target\'s root (absolute or too many "..")',
    ]);
  });

  it('leaves values known only at apply (!secret) to apply', async () => {
    expect(await validateFiles({ [F]: doc('File', 'a', '  path: !secret WHERE\n') })).toEqual([]);
  });

  it('keeps a resource with a bad path in the set, so what depends on it reports nothing more', async () => {
    const body = [
      doc('Directory', 'd', '  path: /abs\n'),
      doc('File', 'f', '  path: f\n').replace('metadata:\n  name: f\n', 'metadata:\n  name: f\n  dependsOn: [Directory/d]\n'),
    ].join('---\n');
    expect(await validateFiles({ [F]: body })).toEqual([
      'stacks/web/a.yaml:6:9: Directory/d: spec.path: path "/abs" is absolute; paths are relative to the target\'s root',
    ]);
  });

  it('checks an edited spec on the incremental path too (same id and natural key, a target moved out)', async () => {
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, [F]: doc('Symlink', 'l', '  path: d/l\n  target: x\n') });
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    const errors = async (): Promise<string[]> => {
      const r = await planAll(ws, await ws.resolve(), { validateOnly: true });
      return r.stacks.flatMap((s) => s.diagnostics).map(formatDiagnostic);
    };
    try {
      expect(await errors()).toEqual([]);
      repo.commit({ [F]: doc('Symlink', 'l', '  path: d/l\n  target: ../../x\n') });
      expect(await errors()).toEqual([
        'stacks/web/a.yaml:7:11: Symlink/l: spec.target: symlink target "../../x" leaves the target\'s root (absolute or too many "..")',
      ]);
    } finally {
      await ws.close();
      repo.remove();
    }
  });

  it('the hook itself: JSON pointers under spec, nothing for a valid spec', () => {
    const { File, Symlink } = fsProvider.kinds;
    expect(File!.validate!({ path: 'a/b.txt' }, 'a')).toEqual([]);
    expect(File!.validate!({ path: 'a\0b' }, 'a')).toEqual([{ path: '/path', message: 'path "a\0b" holds a NUL byte' }]);
    expect(Symlink!.validate!({ path: 'x/l', target: '../y' }, 'l')).toEqual([]);
    expect(Symlink!.validate!({ path: 'l', target: '..' }, 'l').map((p) => p.path)).toEqual(['/target']);
  });
});
