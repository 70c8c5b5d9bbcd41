import { describe, expect, it } from 'vitest';
import { TestRepo, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { buildDesiredSet, shareWithManifest, type DesiredSet, type DesiredSetMemo } from '../../src/plan/desired.js';
import type { RecordedResource } from '../../src/plan/model.js';

const shape = (s: DesiredSet) => ({
  order: s.order,
  resources: [...s.resources.values()].map((r) => ({ id: r.id, deps: r.deps, spec: r.spec, file: r.loc.file, sensitive: r.sensitive })),
});

describe('desired set: the incremental path gives what a full build gives', () => {
  it('reuses the graph for content edits and rebuilds when dependencies change', async () => {
    const files: Record<string, string> = { 'driftless.yaml': FS_REPO_CONFIG };
    for (let i = 0; i < 20; i++) {
      files[`stacks/web/d${i % 4}/f${i}.yaml`] =
        manifest('Directory', `d${i}`, { path: `d${i}` }) + '---\n' + manifest('File', `f${i}`, { path: `d${i}/f.txt`, content: `v0 ${i}` });
    }
    const repo = TestRepo.create(files);
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const load = async () => {
        const commit = await ws.resolve();
        const at = await ws.repoAt(commit);
        return { loaded: await ws.loader.loadStack(commit, 'web', at.repoConfig!.stacks.web, at.registry), registry: at.registry };
      };
      const memo: DesiredSetMemo = {};
      const first = await load();
      const ra = buildDesiredSet(first.loaded.resources, first.registry, memo);
      expect(ra.issues.map((i) => i.message).concat(first.loaded.diagnostics.map((d) => d.message))).toEqual([]);
      const a = ra.set!;

      // A content edit: the memo path, same graph object, the new spec in place.
      repo.commit({
        'stacks/web/d1/f5.yaml': manifest('Directory', 'd5', { path: 'd5' }) + '---\n' + manifest('File', 'f5', { path: 'd5/f.txt', content: 'v1' }),
      });
      const second = await load();
      const b = buildDesiredSet(second.loaded.resources, second.registry, memo).set!;
      expect(b.graph).toBe(a.graph);
      expect(b.resources.get('File/f5')!.spec.content).toBe('v1');
      expect(shape(b)).toEqual(shape(buildDesiredSet(second.loaded.resources, second.registry).set!));

      // A new dependency: rebuilt, and the order follows it.
      repo.commit({
        'stacks/web/d1/f5.yaml':
          manifest('Directory', 'd5', { path: 'd5' }, { dependsOn: ['File/f7'] }) + '---\n' + manifest('File', 'f5', { path: 'd5/f.txt', content: 'v1' }),
      });
      const third = await load();
      const c = buildDesiredSet(third.loaded.resources, third.registry, memo).set!;
      expect(c.graph).not.toBe(a.graph);
      expect(c.resources.get('Directory/d5')!.deps).toEqual(['File/f7']);
      expect(c.order.indexOf('File/f7')).toBeLessThan(c.order.indexOf('Directory/d5'));
      expect(shape(c)).toEqual(shape(buildDesiredSet(third.loaded.resources, third.registry).set!));

      // A path change (new natural key and parents): rebuilt too.
      repo.commit({
        'stacks/web/d1/f5.yaml':
          manifest('Directory', 'd5', { path: 'd5' }, { dependsOn: ['File/f7'] }) + '---\n' + manifest('File', 'f5', { path: 'd6/g.txt', content: 'v1' }),
      });
      const fourth = await load();
      const d = buildDesiredSet(fourth.loaded.resources, fourth.registry, memo).set!;
      expect(d.resources.get('File/f5')!.deps).toEqual(['Directory/d6']);
      expect(shape(d)).toEqual(shape(buildDesiredSet(fourth.loaded.resources, fourth.registry).set!));
    } finally {
      await ws.close();
    }
  });
});

describe('recorded specs equal to their manifests are shared, not held twice', () => {
  it('shares equal specs only, and leaves !ref and !secret resources alone', async () => {
    const files: Record<string, string> = {
      'driftless.yaml': FS_REPO_CONFIG,
      'stacks/web/a.yaml':
        manifest('File', 'same', { path: 'same.txt', content: 'x' }) + '---\n' + manifest('File', 'edited', { path: 'edited.txt', content: 'new' }),
      'stacks/web/b.yaml':
        'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: linked\nspec:\n  path: linked.txt\n  content: !ref File/same.outputs.sha256\n',
    };
    const repo = TestRepo.create(files);
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const commit = await ws.resolve();
      const at = await ws.repoAt(commit);
      const loaded = await ws.loader.loadStack(commit, 'web', at.repoConfig!.stacks.web, at.registry);
      const set = buildDesiredSet(loaded.resources, at.registry).set!;
      const rec = (id: string, spec: Record<string, unknown>): RecordedResource => ({
        id,
        apiVersion: 'fs.driftless.dev/v1',
        kind: 'File',
        name: id.slice(5),
        spec: spec as never,
        outputs: {},
        deps: [],
        protect: false,
      });
      const copy = (id: string) => JSON.parse(JSON.stringify(set.resources.get(id)!.spec)) as Record<string, unknown>;
      const same = shareWithManifest(rec('File/same', copy('File/same')), set);
      expect(same.spec).toBe(set.resources.get('File/same')!.spec);
      // Equal dependency lists are shared too; a different one is kept.
      expect(same.deps).toBe(set.resources.get('File/same')!.deps);
      const moved = shareWithManifest({ ...rec('File/same', copy('File/same')), deps: ['Directory/elsewhere'] }, set);
      expect(moved.deps).toEqual(['Directory/elsewhere']);
      expect(moved.spec).toBe(set.resources.get('File/same')!.spec);
      const edited = shareWithManifest(rec('File/edited', { ...copy('File/edited'), content: 'old' }), set);
      expect(edited.spec.content).toBe('old');
      expect(edited.spec).not.toBe(set.resources.get('File/edited')!.spec);
      const linked = shareWithManifest(rec('File/linked', { path: 'linked.txt', content: 'abc' }), set);
      expect(linked.spec).toEqual({ path: 'linked.txt', content: 'abc' });
      const gone = shareWithManifest(rec('File/gone', { path: 'g' }), set);
      expect(gone.spec).toEqual({ path: 'g' });
    } finally {
      await ws.close();
      repo.remove();
    }
  });
});
