import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, until } from './harness.js';
import { manifest } from '../helpers/git.js';
import { parseMermaid } from '../helpers/mermaid.js';

const CONFIG = `version: 1
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
`;
const db = (content: string, path = 'db.conf') => ({ 'stacks/db/db.yaml': manifest('File', 'conf', { path, content }) });
const APP = { 'stacks/app/app.yaml': manifest('File', 'cfg', { path: 'app.conf', content: '!ref db:File/conf.outputs.sha256' }) };
const EDGE = { 'stacks/edge/edge.yaml': manifest('File', 'site', { path: 'edge.conf', content: '!ref app:File/cfg.outputs.path' }) };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('serve: a merge applies its stacks as one workflow', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': CONFIG, 'README.md': 'hi\n' });
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('the plan comment shows the workflow as a Mermaid diagram; the merge applies db, then app, then edge', { timeout: 180_000 }, async () => {
    w.openPr(1, { ...db('port 5432\n'), ...APP, ...EDGE });
    await w.prOpened(1);
    await until('plan comment', () => w.planComment(1)?.includes('### Workflow'));
    await w.idle();
    const body = w.planComment(1)!;
    expect(body).toContain('Applied in this order: `db` → `app` → `edge`.');
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(body)![1];
    expect(await parseMermaid(diagram)).toBe('flowchart-v2');
    expect(diagram).toContain('["+ File/conf"]:::create');
    expect(diagram).toContain('s0 ==> s1');

    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('edge applied', () => existsSync(join(w.targetRoot, 'edge.conf')), 60_000);
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'app.conf'), 'utf8')).toBe(sha('port 5432\n'));
    expect(readFileSync(join(w.targetRoot, 'edge.conf'), 'utf8')).toBe('app.conf');
    const runs = await w.svc!.ctx.ws.store().then((s) => s.runs({ commit: m.after, kind: 'apply' }));
    const order = runs
      .filter((r) => r.outcome === 'succeeded')
      .sort((a, b) => a.id - b.id)
      .map((r) => r.stack);
    expect(order).toEqual(['db', 'app', 'edge']);
    const progress = w.gh.commentsOn(1).find((c) => c.body.includes('Workflow at'))!.body;
    expect(progress).toContain('3 of 3 stacks applied');
    expect(progress).toMatch(/\| `db` \| ✅ succeeded \| #\d+ \| [\d.]+ m?s \|/);
  });

  it('a failed upstream stack: its dependents wait on it (status, PR, git note); a fixing commit resumes them', { timeout: 180_000 }, async () => {
    // The PR changes db only; app uses db's sha256, so it is planned again (and reviewed) with it.
    w.openPr(2, db('port 6432\n', 'db2.conf'));
    await w.prOpened(2);
    await until('plan comment', () => w.planComment(2)?.includes('### Workflow'));
    await w.idle();
    expect(w.planComment(2)).toContain('Planned again because they use outputs that change upstream: `app`');
    expect(w.planComment(2)).toContain('(known after apply)');
    // A directory where db's new file belongs: db's apply fails.
    mkdirSync(join(w.targetRoot, 'db2.conf', 'x'), { recursive: true });
    const m = w.mergePr(2);
    await w.merged(2, m);
    await until('app waiting', () => w.gh.commentsOn(2).find((c) => c.body.includes('Stack `app` is waiting on `db`')), 60_000);
    await w.idle();
    const failedRun = (await (await w.svc!.ctx.ws.store()).runs({ stack: 'db', commit: m.after, kind: 'apply' }))[0];
    expect(failedRun.outcome).toBe('failed');
    expect(w.gh.commentsOn(2).some((c) => c.body.includes(`waiting on \`db\` (failed at run ${failedRun.id})`))).toBe(true);
    expect(
      w.gh.statuses.some(
        (s) => s.sha === m.after && s.context === 'driftless/apply: app' && s.description?.includes(`waiting on db (failed at run ${failedRun.id})`),
      ),
    ).toBe(true);
    const note = execFileSync('git', ['--git-dir', w.bare, 'notes', '--ref=driftless', 'show', m.after], { encoding: 'utf8' });
    expect(note).toContain(`stack app`);
    expect(note).toContain(`waiting on db (failed at run ${failedRun.id})`);
    const progress = w.gh.commentsOn(2).find((c) => c.body.includes('Workflow at'))!.body;
    expect(progress).toContain('Stopped by `db`');
    expect(readFileSync(join(w.targetRoot, 'app.conf'), 'utf8')).toBe(sha('port 5432\n')); // untouched
    // The overview and /api/stacks say app waits on db, with the run that failed.
    const api = (await (await fetch(`${w.url()}/api/stacks`)).json()) as { stacks: { name: string; status: string; reason: string | null }[] };
    expect(api.stacks.find((x) => x.name === 'app')).toMatchObject({ status: 'waiting', reason: `waiting on \`db\` (failed at run ${failedRun.id})` });
    expect(await (await fetch(`${w.url()}/`)).text()).toContain(`waiting on \`db\` (failed at run ${failedRun.id})`);

    // The fix: the directory goes; a new commit to db (reviewed with its dependents) applies the workflow.
    rmSync(join(w.targetRoot, 'db2.conf'), { recursive: true });
    w.openPr(3, db('port 6433\n', 'db2.conf'));
    await w.prOpened(3);
    await until('plan comment', () => w.planComment(3));
    await w.idle();
    const m3 = w.mergePr(3);
    await w.merged(3, m3);
    await until(
      'app applied with the new db',
      () => existsSync(join(w.targetRoot, 'app.conf')) && readFileSync(join(w.targetRoot, 'app.conf'), 'utf8') === sha('port 6433\n'),
      60_000,
    );
    await w.idle();
    const last = await (await w.svc!.ctx.ws.store()).runs({ commit: m3.after, kind: 'apply' });
    expect(last.find((r) => r.stack === 'app')?.outcome).toBe('succeeded');
  });

  it('an upstream change that leaves the outputs a stack uses alone: the stack is not planned again, and its apply finds nothing to do', {
    timeout: 180_000,
  }, async () => {
    // db's mode changes: its sha256 (from the content) and path stay what app and edge use.
    w.openPr(4, { 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db2.conf', content: 'port 6433\n', mode: '0600' }) });
    await w.prOpened(4);
    await until('plan comment', () => w.planComment(4));
    await w.idle();
    const body = w.planComment(4)!;
    expect(body).not.toContain('Planned again');
    expect(body).not.toContain('(known after apply)');
    const m = w.mergePr(4);
    await w.merged(4, m);
    await until(
      'db applied',
      async () => (await (await w.svc!.ctx.ws.store()).runs({ stack: 'db', commit: m.after, kind: 'apply' }))[0]?.outcome === 'succeeded',
      60_000,
    );
    await w.idle();
    const runs = await (await w.svc!.ctx.ws.store()).runs({ commit: m.after, kind: 'apply' });
    expect(runs.filter((r) => r.stack !== 'db' && !['succeeded', 'no-changes'].includes(r.outcome))).toEqual([]);
    expect(readFileSync(join(w.targetRoot, 'app.conf'), 'utf8')).toBe(sha('port 6433\n'));
  });
});

describe('serve: a drift repair upstream checks the stacks that use the repaired outputs', () => {
  let w: World;
  const config = CONFIG.replace(
    '    path: stacks/db\n    targets: { fs: files }\n',
    '    path: stacks/db\n    targets: { fs: files }\n    drift: { schedule: "*/1 * * * * *", remediate: true }\n',
  );
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': config, 'README.md': 'hi\n' });
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('repairs db, then checks app (which uses db File/conf) but not edge', { timeout: 180_000 }, async () => {
    expect(config).toContain('remediate: true');
    w.openPr(1, { ...db('port 5432\n'), ...APP, ...EDGE });
    await w.prOpened(1);
    await until('plan comment', () => w.planComment(1));
    await w.idle();
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('edge applied', () => existsSync(join(w.targetRoot, 'edge.conf')), 60_000);
    // Someone edits db's file: the scheduled check repairs it, and app is checked against the repaired output.
    writeFileSync(join(w.targetRoot, 'db.conf'), 'port 9999\n');
    await until('db repaired', () => readFileSync(join(w.targetRoot, 'db.conf'), 'utf8') === 'port 5432\n', 60_000);
    const doneOn = (lane: string) => w.logs.some((l) => l.includes(`"kind":"drift","lane":"infra:stack:${lane}"`) && l.includes('(drift) done'));
    await until('app checked', () => doneOn('app') || undefined, 60_000);
    expect(w.logs.join('')).toContain('"dependents":["app"],"msg":"checking the stacks that use the repaired outputs"');
    expect(doneOn('edge')).toBe(false);
  });
});
