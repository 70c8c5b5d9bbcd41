import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { applyStack } from '../../src/engine/apply-stack.js';
import type { ProgressEvent } from '../../src/apply/executor.js';

describe('executePlan over the step graph', () => {
  it('creates dependencies first, deletes dependents first; a failed delete skips the deletes of what it depended on', async () => {
    const docs = {
      top: manifest('Directory', 'top', { path: 'top' }),
      sub: manifest('Directory', 'sub', { path: 'top/sub' }),
      a: manifest('File', 'a', { path: 'top/sub/a.txt', content: 'a' }),
      b: manifest('File', 'b', { path: 'top/b.txt', content: 'b' }),
      keep: manifest('File', 'keep', { path: 'keep.txt', content: 'kept' }),
    };
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG,
      ...Object.fromEntries(Object.entries(docs).map(([k, v]) => [`stacks/web/${k}.yaml`, v])),
    });
    const config = testConfig(repo.dir);
    const root = config.targets.files.root as string;
    const ws = await Workspace.open(config, 'test');
    try {
      const events: ProgressEvent[] = [];
      const at = (type: string, id: string) => events.findIndex((e) => e.type === type && e.id === id);
      const first = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test', parallelism: 4, onProgress: (e) => events.push(e) });
      expect(first.result!.outcome).toBe('succeeded');
      expect(first.result!.results.map((r) => `${r.action} ${r.id} ${r.outcome}`)).toEqual([
        'create Directory/sub ok',
        'create Directory/top ok',
        'create File/a ok',
        'create File/b ok',
        'create File/keep ok',
      ]);
      expect(at('done', 'Directory/top')).toBeLessThan(at('start', 'Directory/sub'));
      expect(at('done', 'Directory/sub')).toBeLessThan(at('start', 'File/a'));
      expect(at('done', 'Directory/top')).toBeLessThan(at('start', 'File/b'));

      // A file the stack does not manage keeps top/sub from being deleted.
      writeFileSync(join(root, 'top/sub/extra.txt'), 'not managed');
      repo.commit({ 'stacks/web/top.yaml': null, 'stacks/web/sub.yaml': null, 'stacks/web/a.yaml': null, 'stacks/web/b.yaml': null });
      events.length = 0;
      const second = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test', parallelism: 4, onProgress: (e) => events.push(e) });
      const r = second.result!;
      expect(r.outcome).toBe('partial');
      expect(r.results.map((x) => `${x.action} ${x.id} ${x.outcome}`)).toEqual([
        'delete Directory/sub failed',
        'delete Directory/top skipped',
        'delete File/a ok',
        'delete File/b ok',
      ]);
      expect(r.results.find((x) => x.id === 'Directory/sub')!.error).toContain('directory top/sub is not empty');
      expect(r.results.find((x) => x.id === 'Directory/top')!.error).toBe('skipped: Directory/sub did not succeed');
      expect(at('done', 'File/a')).toBeLessThan(at('start', 'Directory/sub'));
      expect(at('start', 'Directory/top')).toBe(-1);
      expect(events[at('skipped', 'Directory/top')]).toEqual({
        type: 'skipped',
        id: 'Directory/top',
        action: 'delete',
        error: 'skipped: Directory/sub did not succeed',
        total: 4,
      });
      expect(existsSync(join(root, 'top/sub/a.txt'))).toBe(false);
      expect(existsSync(join(root, 'top/b.txt'))).toBe(false);
      expect(existsSync(join(root, 'top/sub/extra.txt'))).toBe(true);

      // One journal entry per provider call, none for the skipped step.
      const store = await ws.store();
      const journal = (await store.journal(r.runId)).map((j) => `${j.operation} ${j.resourceId} ${j.outcome}`).sort();
      expect(journal).toEqual(['delete Directory/sub failed', 'delete File/a ok', 'delete File/b ok']);
      const [run] = await store.runs({ id: r.runId });
      expect(run.outcome).toBe('partial');
      expect(run.results).toEqual(r.results);
      // What failed or was skipped is still recorded, so the next plan deletes it again.
      expect([...(await store.resources(ws.key('web'))).keys()].sort()).toEqual(['Directory/sub', 'Directory/top', 'File/keep']);
    } finally {
      await ws.close();
      repo.remove();
    }
  });

  it('a shutdown starts nothing more: running steps finish, the rest are skipped, the run is interrupted', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG,
      'stacks/web/a.yaml': [
        manifest('File', 'one', { path: 'one.txt', content: '1' }),
        manifest('File', 'two', { path: 'two.txt', content: '2' }),
        manifest('Directory', 'dir', { path: 'dir' }),
        manifest('File', 'inside', { path: 'dir/inside.txt', content: 'x' }),
      ].join('---\n'),
    });
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const ctl = new AbortController();
      const started: string[] = [];
      const commit = await ws.resolve();
      const r = await applyStack(ws, {
        commit,
        stack: 'web',
        trigger: 'test',
        parallelism: 1,
        signal: ctl.signal,
        onProgress: (e) => {
          if (e.type === 'start') started.push(e.id);
          if (e.type === 'done') ctl.abort();
        },
      });
      expect(started).toEqual(['Directory/dir']);
      expect(r.result!.outcome).toBe('interrupted');
      expect(r.result!.results.map((x) => `${x.id} ${x.outcome} ${x.error ?? ''}`.trim())).toEqual([
        'Directory/dir ok',
        'File/inside skipped skipped: shutting down',
        'File/one skipped skipped: shutting down',
        'File/two skipped skipped: shutting down',
      ]);
      const store = await ws.store();
      expect((await store.stackState(ws.key('web'))).appliedCommit).toBeNull();
    } finally {
      await ws.close();
      repo.remove();
    }
  });
});
