import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { manifest } from '../helpers/git.js';
import { WORKFLOW_CONFIG, workflowRepo } from '../helpers/workflow-repo.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { applyWorkflow } from '../../src/engine/apply-workflow.js';
import { planAll } from '../../src/engine/plan-stacks.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const setup = workflowRepo;
const CONFIG = WORKFLOW_CONFIG;

describe('stacks as one workflow', () => {
  it('plans in dependency order with upstream outputs known after apply; applies in order, resolving references across stacks', {
    timeout: 120_000,
  }, async () => {
    const { root, cli, repo } = setup();
    const p = await cli('plan');
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/^Workflow: db -> other -> app -> edge\n/);
    // app's content is db's sha256, unknown until db is applied.
    const appPart = p.out.slice(p.out.indexOf('Stack app'));
    expect(appPart).toContain('(known after apply)');

    const j = JSON.parse((await cli('plan', '--format', 'json')).out);
    expect(j.workflow.stacks).toEqual(['db', 'other', 'app', 'edge']);
    expect(j.plans.map((x: { stack: string }) => x.stack)).toEqual(['db', 'other', 'app', 'edge']);
    expect(j.workflow.edges).toEqual([
      { from: 'app', to: 'db', why: ['dependsOn', '!ref db:File/conf.outputs.sha256 (File/cfg)'] },
      { from: 'edge', to: 'app', why: ['dependsOn', '!ref app:File/cfg.outputs.path (File/site)'] },
    ]);
    expect(j.workflow.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const a = await cli('apply', '--auto-approve');
    expect(a.code, a.err).toBe(0);
    const order = ['db', 'other', 'app', 'edge'].map((s) => a.out.indexOf(`for stack ${s} (run`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order.indexOf(Math.min(...order))).toBe(0); // db first
    expect(order[2]).toBeLessThan(order[3]); // app before edge
    expect(order[0]).toBeLessThan(order[2]);
    expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe(sha('port 5432\n'));
    expect(readFileSync(join(root, 'edge.conf'), 'utf8')).toBe('app.conf');

    // Nothing left to do: the downstream plans see the recorded upstream outputs, not unknowns.
    const again = await cli('plan', '--detailed-exitcode');
    expect(again.code, again.out).toBe(0);
    // So do one stack's plan and its drift check.
    expect((await cli('plan', '--stack', 'edge', '--detailed-exitcode')).code).toBe(0);
    const drift = await cli('drift', '--stack', 'app');
    expect(drift.code, drift.out + drift.err).toBe(0);

    // A change upstream: the dependent's value is known after apply, and the apply carries it through.
    repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 6432\n' }) });
    const p2 = await cli('plan');
    expect(p2.out.slice(p2.out.indexOf('Stack app'))).toContain('(known after apply)');
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe(sha('port 6432\n'));
  });

  it('a failed upstream stack skips its dependents (waiting on it); an independent stack still applies; a fixing commit resumes them', {
    timeout: 120_000,
  }, async () => {
    const { root, cli, repo } = setup();
    // A directory where db's file belongs: db's apply fails.
    mkdirSync(join(root, 'db.conf', 'x'), { recursive: true });
    const a = await cli('apply', '--auto-approve');
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/Apply failed for stack db \(run (\d+)\)/);
    const run = /Apply failed for stack db \(run (\d+)\)/.exec(a.out)![1];
    expect(a.err).toContain(`app: not applied: waiting on \`db\` (failed at run ${run})`);
    expect(a.err).toContain('edge: not applied: waiting on `app`');
    expect(a.out).toContain('Workflow: db failed, other applied, app skipped, edge skipped; stopped by db.');
    expect(readFileSync(join(root, 'other.txt'), 'utf8')).toBe('alone\n');
    expect(existsSync(join(root, 'app.conf'))).toBe(false);

    // The fix: db writes elsewhere; the dependents run with it.
    rmSync(join(root, 'db.conf'), { recursive: true });
    repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db2.conf', content: 'port 5432\n' }) });
    const b = await cli('apply', '--auto-approve');
    expect(b.code, b.err + b.out).toBe(0);
    expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe(sha('port 5432\n'));
    expect(readFileSync(join(root, 'edge.conf'), 'utf8')).toBe('app.conf');
  });

  it('applies a saved workflow only while it is the one reviewed', { timeout: 180_000 }, async () => {
    const { root, cli, repo, dir } = setup();
    const file = join(dir, 'plan.json');
    expect((await cli('plan', '--out', file)).code).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.workflow.stacks).toEqual(['db', 'other', 'app', 'edge']);
    // Someone applies a different db first: the saved workflow is no longer what would happen.
    repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 7000\n' }) });
    expect((await cli('apply', '--auto-approve', '--stack', 'db')).code).toBe(0);
    const stale = await cli('apply', '--plan', file);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/not applied: the workflow at [0-9a-f]{12} \([0-9a-f]{12}\) differs from the reviewed workflow/);
    expect(existsSync(join(root, 'app.conf'))).toBe(false);

    const fresh = join(dir, 'plan2.json');
    expect((await cli('plan', '--out', fresh)).code).toBe(0);
    const ok = await cli('apply', '--plan', fresh);
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe(sha('port 7000\n'));
  });

  it('refuses bad workflows at their places: cycles, unknown stacks, missing dependsOn, missing resources', { timeout: 60_000 }, async () => {
    const cycle = setup({ 'driftless.yaml': CONFIG.replace('    path: stacks/db\n', '    path: stacks/db\n    dependsOn: [edge]\n') });
    const c = await cycle.cli('validate');
    expect(c.code).toBe(1);
    expect(c.err).toContain('driftless.yaml:10:17: stack dependency cycle: app -> db -> edge -> app');

    const unknown = setup({ 'driftless.yaml': CONFIG.replace('dependsOn: [app]', 'dependsOn: [ap]') });
    const u = await unknown.cli('validate');
    expect(u.err).toContain(
      'driftless.yaml:13:17: stacks.edge.dependsOn: names stack ap, which driftless.yaml does not declare (stacks: app, db, edge, other)',
    );

    const refs = setup({
      'stacks/edge/edge.yaml': [
        manifest('File', 'site', { path: 'edge.conf', content: '!ref db:File/conf.outputs.path' }),
        manifest('File', 'b', { path: 'b', content: '!ref other:File/o.outputs.path' }),
        manifest('File', 'c', { path: 'c', content: '!ref db:File/nope.outputs.path' }),
        manifest('File', 'd', { path: 'd', content: '!ref nosuch:File/x.outputs.path' }),
        manifest('File', 'e', { path: 'e', content: '!ref app:File/secret.outputs.path' }),
      ].join('---\n'),
    });
    refs.repo.commit({ 'stacks/app/secret.yaml': manifest('File', 'secret', { path: '!secret API_KEY', content: 'x' }) });
    const r = await refs.cli('validate');
    expect(r.code).toBe(1);
    // db is an ancestor of edge (through app): allowed. other is not.
    expect(r.err).not.toContain('File/site');
    expect(r.err).toContain(
      'stacks/edge/edge.yaml:15:17: File/b: !ref other:File/o.outputs.path uses stack other, which stack edge does not depend on: add other to stacks.edge.dependsOn in driftless.yaml',
    );
    expect(r.err).toContain('stacks/edge/edge.yaml:23:17: File/c: !ref db:File/nope.outputs.path names File/nope, which stack db does not declare');
    expect(r.err).toContain('stacks/edge/edge.yaml:31:17: File/d: !ref nosuch:File/x.outputs.path names stack nosuch, which driftless.yaml does not declare');
    expect(r.err).toContain(
      'stacks/edge/edge.yaml:39:17: File/e: !ref app:File/secret.outputs.path takes a sensitive output (derived from a secret or writeOnly field of app:File/secret); only a writeOnly field may receive it',
    );
  });

  it('an upstream update makes unknown only the outputs derived from the fields it changes; a stack using none of them is not planned again', {
    timeout: 180_000,
  }, async () => {
    const byPath = manifest('File', 'cfg', { path: 'app.conf', content: '!ref db:File/conf.outputs.path' });
    const { repo, root } = setup({ 'stacks/app/app.yaml': byPath });
    const ws = await Workspace.open(testConfig(repo.dir, { root }), 'test');
    const applyAll = async () => {
      const head = await ws.resolve();
      const planned = await planAll(ws, head);
      // Applied only as planned: each stack's plan under its lock has the reviewed digest.
      const r = await applyWorkflow(ws, { commit: head, trigger: 'test', expectWorkflowDigest: planned.workflow!.digest });
      expect(r.refused).toBeUndefined();
      return r.stacks.map((s) => [s.stack, s.status]);
    };
    const prPlan = async () => (await planAll(ws, await ws.resolve(), { stacks: ['db'], withDependents: true, refresh: false })).stacks;
    try {
      await applyAll();
      expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe('db.conf');
      // db's content changes; its output path derives from /spec/path only: app keeps the recorded value.
      repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 7432\n' }) });
      expect((await prPlan()).map((s) => s.stack)).toEqual(['db']);
      const all = await planAll(ws, await ws.resolve());
      expect(all.stacks.map((s) => [s.stack, s.planned!.plan.changes.length])).toEqual([
        ['db', 1],
        ['other', 0],
        ['app', 0],
        ['edge', 0],
      ]);
      expect(await applyAll()).toEqual([
        ['db', 'applied'],
        ['other', 'no-changes'],
        ['app', 'no-changes'],
        ['edge', 'no-changes'],
      ]);

      // app also takes db's sha256 (derived from the content): that value alone is unknown, and app is planned again.
      const bySha = manifest('File', 'sum', { path: 'app.sum', content: '!ref db:File/conf.outputs.sha256' });
      repo.commit({ 'stacks/app/app.yaml': `${byPath}---\n${bySha}` });
      await applyAll();
      repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 8432\n' }) });
      const again = await prPlan();
      expect(again.map((s) => s.stack)).toEqual(['db', 'app']);
      const changes = again[1].planned!.plan.changes;
      expect(changes.map((c) => [c.id, c.diff.map((e) => [e.path, e.unknown ?? false])])).toEqual([['File/sum', [['/spec/content', true]]]]);
      expect(await applyAll()).toEqual([
        ['db', 'applied'],
        ['other', 'no-changes'],
        ['app', 'applied'],
        ['edge', 'no-changes'],
      ]);
      expect(readFileSync(join(root, 'app.sum'), 'utf8')).toBe(sha('port 8432\n'));
      expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe('db.conf');
    } finally {
      await ws.close();
    }
  });

  it('runs independent stacks in parallel, within the bound; a dependent only after its upstream ends', { timeout: 180_000 }, async () => {
    const { repo, root } = setup();
    const ws = await Workspace.open(testConfig(repo.dir, { root }), 'test');
    try {
      const events: string[] = [];
      const r = await applyWorkflow(ws, {
        commit: await ws.resolve(),
        trigger: 'test',
        stackParallelism: 2,
        onStack: (e) => events.push(`${e.phase} ${e.stack}`),
      });
      expect(r.stacks.map((s) => [s.stack, s.status])).toEqual([
        ['db', 'applied'],
        ['other', 'applied'],
        ['app', 'applied'],
        ['edge', 'applied'],
      ]);
      // db and other have no dependencies: both start before either ends.
      expect(events.slice(0, 2).sort()).toEqual(['start db', 'start other']);
      expect(events.indexOf('start app')).toBeGreaterThan(events.indexOf('end db'));
      expect(events.indexOf('start edge')).toBeGreaterThan(events.indexOf('end app'));
      // With a bound of 1, never two at once.
      repo.commit({
        'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 1\n' }),
        'stacks/other/o.yaml': manifest('File', 'o', { path: 'other.txt', content: 'x' }),
      });
      const one: string[] = [];
      await applyWorkflow(ws, { commit: await ws.resolve(), trigger: 'test', stackParallelism: 1, onStack: (e) => one.push(`${e.phase} ${e.stack}`) });
      for (let i = 0; i < one.length; i += 2) expect(one[i + 1]).toBe(one[i].replace('start', 'end'));
    } finally {
      await ws.close();
    }
  });
});
