import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRepo, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { buildDesiredSet, type DesiredSet } from '../../src/plan/desired.js';
import { makePlan, newPlanMemo, type PlanMemo } from '../../src/plan/planner.js';
import type { RecordedResource } from '../../src/plan/model.js';
import type { Observed } from '../../src/sdk/provider.js';

/** makePlan on its own: desired (from real manifests) vs recorded vs live, no store, no provider. */

let repo: TestRepo;
let ws: Workspace;
let desired: DesiredSet;

beforeAll(async () => {
  repo = TestRepo.create({
    'driftless.yaml': FS_REPO_CONFIG,
    'stacks/web/a.yaml': `${manifest('Directory', 'etc', { path: 'etc' })}---\n${manifest('File', 'motd', { path: 'etc/motd', content: 'hi\n' })}`,
  });
  ws = await Workspace.open(testConfig(repo.dir), 'test');
  const commit = await ws.resolve();
  const at = await ws.repoAt(commit);
  const loaded = await ws.loader.loadStack(commit, 'web', at.repoConfig!.stacks.web, at.registry);
  desired = buildDesiredSet(loaded.resources, at.registry).set!;
});
afterAll(async () => {
  await ws.close();
  repo.remove();
});

function recordedOf(over: Partial<Record<string, Partial<RecordedResource>>> = {}): Map<string, RecordedResource> {
  const m = new Map<string, RecordedResource>();
  for (const d of desired.resources.values()) {
    m.set(d.id, { id: d.id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec: d.spec, outputs: {}, deps: d.deps, protect: d.protect, ...over[d.id] });
  }
  return m;
}

const plan = (recorded: Map<string, RecordedResource>, o: { prune?: boolean; live?: Map<string, Observed | null>; commit?: string; serial?: number } = {}) =>
  makePlan({
    repo: 'r',
    stack: 'web',
    commit: o.commit ?? 'c1',
    prune: o.prune ?? true,
    desired,
    recorded,
    serial: o.serial ?? 0,
    appliedCommit: null,
    live: o.live,
    secret: () => undefined,
  }).plan;

describe('makePlan', () => {
  it('a kind read before its first apply (probe): no change when live is as declared, the pending reason otherwise, plain "new" when not read', () => {
    const motd = desired.resources.get('File/motd')!;
    const probe = { when: () => true, pending: 'will run: its guard says so' };
    const saved = motd.info;
    motd.info = { ...saved!, probe };
    try {
      const done = plan(new Map(), { live: new Map([['File/motd', { spec: motd.spec }]]) });
      expect(done.changes.map((c) => c.id)).toEqual(['Directory/etc']);
      expect(done.summary.noop).toBe(1);
      const pending = plan(new Map(), { live: new Map([['File/motd', { spec: { ...motd.spec, content: '(will run)' } }]]) });
      expect(pending.changes.find((c) => c.id === 'File/motd')).toMatchObject({ action: 'create', reason: 'will run: its guard says so' });
      expect(plan(new Map(), { live: new Map() }).changes.find((c) => c.id === 'File/motd')?.reason).toBe('new');
    } finally {
      motd.info = saved;
    }
  });

  it('creates everything from empty state, dependencies first', () => {
    const p = plan(new Map());
    expect(p.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['create Directory/etc', 'create File/motd']);
    expect(p.changes[1].dependsOn).toEqual(['Directory/etc']);
    expect(p.summary).toEqual({ create: 2, update: 0, replace: 0, delete: 0, noop: 0 });
  });

  it('is empty when the recorded state equals the manifests', () => {
    const p = plan(recordedOf());
    expect(p.changes).toEqual([]);
    expect(p.summary.noop).toBe(2);
  });

  it('updates a changed field, and replaces when a replace-on field changes (naming it)', () => {
    const motd = desired.resources.get('File/motd')!;
    const updated = plan(recordedOf({ 'File/motd': { spec: { ...motd.spec, content: 'old\n' } } }));
    expect(updated.changes).toMatchObject([{ id: 'File/motd', action: 'update', diff: [{ path: '/spec/content', before: 'old\n', after: 'hi\n' }] }]);
    const replaced = plan(recordedOf({ 'File/motd': { spec: { ...motd.spec, path: 'etc/old' } } }));
    expect(replaced.changes[0]).toMatchObject({ id: 'File/motd', action: 'replace' });
    expect(replaced.changes[0].reason).toContain('/spec/path');
  });

  it('deletes what is no longer declared, or lists it as an orphan with prune: false', () => {
    const rec = recordedOf();
    rec.set('File/gone', {
      id: 'File/gone',
      apiVersion: 'fs.driftless.dev/v1',
      kind: 'File',
      name: 'gone',
      spec: { path: 'gone' },
      outputs: {},
      deps: [],
      protect: false,
    });
    expect(plan(rec).changes.map((c) => `${c.action} ${c.id}`)).toEqual(['delete File/gone']);
    const kept = plan(rec, { prune: false });
    expect(kept.changes).toEqual([]);
    expect(kept.orphans).toEqual(['File/gone']);
  });

  it('refuses to delete a protected resource (a plan error, not a change applied)', () => {
    const rec = recordedOf();
    rec.set('File/keep', {
      id: 'File/keep',
      apiVersion: 'fs.driftless.dev/v1',
      kind: 'File',
      name: 'keep',
      spec: { path: 'keep' },
      outputs: {},
      deps: [],
      protect: true,
    });
    expect(plan(rec).errors.join('\n')).toContain('File/keep');
  });

  it('reports drift from live state and plans its repair; an object deleted outside is gone', () => {
    const rec = recordedOf();
    const motd = rec.get('File/motd')!;
    const live = new Map<string, Observed | null>([
      ['Directory/etc', { spec: rec.get('Directory/etc')!.spec }],
      ['File/motd', { spec: { ...motd.spec, content: 'edited by hand\n' } }],
    ]);
    const p = plan(rec, { live });
    expect(p.drift).toMatchObject([{ id: 'File/motd', diff: [{ path: '/spec/content', before: 'hi\n', after: 'edited by hand\n' }] }]);
    expect(p.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['update File/motd']);
    const gone = plan(rec, {
      live: new Map([
        ['Directory/etc', { spec: rec.get('Directory/etc')!.spec }],
        ['File/motd', null],
      ]),
    });
    expect(gone.drift).toMatchObject([{ id: 'File/motd', gone: true }]);
  });

  it('is deterministic, and its digest covers only what it would do (not commit or serial)', () => {
    const a = plan(new Map(), { commit: 'c1', serial: 1 });
    const b = plan(new Map(), { commit: 'c2', serial: 7 });
    expect(JSON.stringify(plan(new Map(), { commit: 'c1', serial: 1 }))).toBe(JSON.stringify(a));
    expect(b.digest).toBe(a.digest);
    expect(plan(recordedOf()).digest).not.toBe(a.digest);
  });
});

describe('the plan memo (a long-lived workspace)', () => {
  it('remembers the diff of a spec against each of its records, also when several resources share the spec', () => {
    // Two resources sharing one spec object, as the copies a host manifest spreads over do.
    const motd = desired.resources.get('File/motd')!;
    const twin = { ...motd, id: 'File/motd-2', name: 'motd-2' };
    const shared: DesiredSet = { ...desired, resources: new Map([...desired.resources, [twin.id, twin]]), order: [...desired.order, twin.id] };
    const recorded = recordedOf({ 'File/motd': { spec: { ...motd.spec, content: 'old\n' } } });
    recorded.set(twin.id, { ...recorded.get('File/motd')!, id: twin.id, name: twin.name, spec: { ...motd.spec, content: 'older\n' } });
    const memo: PlanMemo = newPlanMemo();
    const run = (m?: PlanMemo) =>
      makePlan({
        repo: 'r',
        stack: 'web',
        commit: 'c1',
        prune: true,
        desired: shared,
        recorded,
        serial: 0,
        appliedCommit: null,
        secret: () => undefined,
        memo: m,
      });
    const without = run().plan.changes;
    expect(without.map((c) => [c.id, c.action])).toEqual([
      ['File/motd', 'update'],
      ['File/motd-2', 'update'],
    ]);
    expect(run(memo).plan.changes).toEqual(without);
    // The second plan takes both diffs from the memo: the same as computed.
    expect(run(memo).plan.changes).toEqual(without);
    // A new record of one of them (after an apply) is compared afresh.
    recorded.set(twin.id, { ...recorded.get(twin.id)!, spec: motd.spec });
    expect(run(memo).plan.changes.map((c) => c.id)).toEqual(['File/motd']);
  });
});
