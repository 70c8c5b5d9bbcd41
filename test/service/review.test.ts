import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

describe('serve: the reviewed-plan guard and comment commands', () => {
  let w: World;
  let merge2: { before: string; after: string };
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
    // PR 1 is reviewed and merged: web is applied.
    w.openPr(1, webFile('b', 'two\n'));
    await w.prOpened(1);
    await until('plan of #1', () => w.planComment(1));
    await w.idle();
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('web applied', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('answers /driftless help and /driftless plan', async () => {
    w.openPr(2, webFile('c', 'three\n'));
    await w.prOpened(2);
    await until('plan of #2', () => w.planComment(2)?.includes('File/c'));
    await w.comment(2, '/driftless help', 'reader', 9001);
    await until('help reply', () => w.gh.commentsOn(2).find((c) => c.body.includes('@reader') && c.body.includes('/driftless apply')));
    const before = w.gh.requests.filter((r) => r.operationId === 'pulls/get').length;
    await w.comment(2, '/driftless plan', 'reader', 9002);
    await until('plan reply', () => w.gh.commentsOn(2).find((c) => c.body.includes('planning again')));
    await w.idle();
    expect(w.gh.requests.filter((r) => r.operationId === 'pulls/get').length).toBeGreaterThan(before + 1);
    expect(w.gh.commentsOn(2).filter((c) => c.body.startsWith('<!-- driftless:plan -->'))).toHaveLength(1);
  });

  it('holds the apply when the plan at the merge commit differs from the reviewed one', async () => {
    // Someone changes the stack on main after #2 was reviewed.
    const direct = w.pushMain(webFile('d', 'four\n'), 'direct change');
    await w.hook('push', (await import('../../testkit/webhooks.js')).pushPayload({ owner: 'acme', repo: 'infra' }, direct));
    merge2 = w.mergePr(2);
    await w.merged(2, merge2);
    await until('hold comment on #2', () => w.gh.commentsOn(2).find((c) => c.body.includes('is held')));
    await w.idle();
    const hold = w.gh.commentsOn(2).find((c) => c.body.includes('is held'))!.body;
    expect(hold).toContain('differs from the plan reviewed on #2');
    expect(hold).toContain('+ File/d'); // the new plan is shown
    expect(w.statuses(merge2.after, 'driftless/apply: web')).toEqual(['pending']);
    expect(existsSync(join(w.targetRoot, 'web/c.txt'))).toBe(false);
  });

  it('refuses /driftless apply from a user without write permission', async () => {
    await w.comment(2, '/driftless apply', 'reader', 9003);
    await until('refusal', () => w.gh.commentsOn(2).find((c) => c.body.includes('@reader') && c.body.includes('needs write permission')));
    await w.idle();
    expect(w.gh.requests.some((r) => r.path.endsWith('/collaborators/reader/permission'))).toBe(true);
    expect(existsSync(join(w.targetRoot, 'web/c.txt'))).toBe(false);
    expect((await w.svc!.ctx.records.holds(2)).map((h) => h.stack)).toEqual(['web']);
  });

  it('applies the held plan on /driftless apply by a writer, and reports it', async () => {
    await w.comment(2, '/driftless apply', 'writer', 9004);
    await until('apply status', () => w.statuses(merge2.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/c.txt'), 'utf8')).toBe('three\n');
    expect(readFileSync(join(w.targetRoot, 'web/d.txt'), 'utf8')).toBe('four\n');
    const result = w.gh.commentsOn(2).find((c) => c.body.includes('Applied stack `web`'))!.body;
    expect(result).toContain('applied by @writer');
    const runs = await w.svc!.ctx.store.runs({ stack: 'web', limit: 1 });
    expect(runs[0]).toMatchObject({ actor: 'writer', pr: 2, outcome: 'succeeded', commit: merge2.after });
    expect(await w.svc!.ctx.records.holds()).toEqual([]);
    expect(w.gh.rejected()).toEqual([]);
  });
});
