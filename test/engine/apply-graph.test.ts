import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { applyStack } from '../../src/engine/apply-stack.js';
import { planAll } from '../../src/engine/plan-stacks.js';

describe('apply walks the graph', () => {
  it('a failure skips its dependents; independent branches finish; the outcome is partial', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG,
      'stacks/web/a.yaml': [
        manifest('Directory', 'blocked', { path: 'blocked' }),
        manifest('File', 'inside', { path: 'blocked/inside.txt', content: 'x' }),
        manifest('File', 'after', { path: 'after.txt', content: '!ref File/inside.outputs.sha256' }),
        manifest('File', 'free', { path: 'free.txt', content: 'independent' }),
      ].join('---\n'),
    });
    const config = testConfig(repo.dir);
    const root = config.targets.files.root as string;
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'blocked'), 'a file where a directory belongs');
    const ws = await Workspace.open(config, 'test');
    try {
      const events: string[] = [];
      const r = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test', onProgress: (e) => events.push(`${e.type} ${e.id}`) });
      expect(r.result!.outcome).toBe('partial');
      expect(r.result!.results.map((x) => [x.id, x.outcome])).toEqual([
        ['Directory/blocked', 'failed'],
        ['File/after', 'skipped'],
        ['File/free', 'ok'],
        ['File/inside', 'skipped'],
      ]);
      expect(r.result!.results.find((x) => x.id === 'File/inside')!.error).toBe('skipped: Directory/blocked did not succeed');
      expect(r.result!.results.find((x) => x.id === 'Directory/blocked')!.error).toContain('blocked exists and is not a directory');
      expect(events).toContain('done File/free');
      expect(existsSync(join(root, 'free.txt'))).toBe(true);
      // Only what succeeded is recorded; the rest is still planned.
      const again = await planAll(ws, await ws.resolve());
      expect(again.stacks[0].planned!.plan.summary).toMatchObject({ create: 3, noop: 1 });
    } finally {
      await ws.close();
    }
  });

  it('the digest depends on what the plan does, not on the commit it was made at', async () => {
    const body = manifest('File', 'a', { path: 'a.txt', content: 'one' });
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/a.yaml': body });
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const c1 = repo.head();
      const c2 = repo.commit({ 'README.md': 'unrelated change' });
      const c3 = repo.commit({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'two' }) });
      const plan = async (c: string) => (await planAll(ws, c)).stacks[0].planned!.plan;
      const [p1, p2, p3] = [await plan(c1), await plan(c2), await plan(c3)];
      expect(p1.commit).not.toBe(p2.commit);
      expect(p1.digest).toBe(p2.digest);
      expect(p3.digest).not.toBe(p1.digest);
      expect(JSON.stringify(await plan(c1))).toBe(JSON.stringify(p1));
    } finally {
      await ws.close();
    }
  });

  it('never lets a secret through a provider error into output or state', async () => {
    const leak = '../leak-' + Math.random().toString(36).slice(2);
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/a.yaml': manifest('File', 'a', { path: '!secret WHERE', content: 'x' }) });
    const config = testConfig(repo.dir, { secrets: { WHERE: leak } });
    const ws = await Workspace.open(config, 'test');
    try {
      const r = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test' });
      const failed = r.result!.results[0];
      expect(failed.outcome).toBe('failed');
      expect(failed.error).toContain('path "(sensitive value)"');
      const store = await ws.store();
      const runs = JSON.stringify(await store.runs({}));
      const journal = JSON.stringify(await store.journal(r.result!.runId));
      expect(runs + journal).not.toContain(leak);
      expect(journal).toContain('(sensitive value)');
    } finally {
      await ws.close();
    }
  });
});

describe('rollout of a stack with no hosts', () => {
  it('takes files named cfg@prod and cfg@stage for resources of no host: one wave, no host standings', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': `${FS_REPO_CONFIG}    rollout: { waves: [1, "100%"], maxFailures: 0 }\n`,
      'stacks/web/a.yaml': [
        manifest('File', 'cfg@prod', { path: 'cfg-prod.txt', content: 'p' }),
        manifest('File', 'cfg@stage', { path: 'cfg-stage.txt', content: 's' }),
      ].join('---\n'),
    });
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const r = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test' });
      expect(r.result!.outcome).toBe('succeeded');
      // Not two waves of "hosts" prod and stage: one wave of no host.
      expect(r.result!.waves).toEqual({ waves: [{ hosts: [], failed: [] }] });
      expect(r.result!.rollout!.hosts).toEqual([]);
    } finally {
      await ws.close();
    }
  });
});
