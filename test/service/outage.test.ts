import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

describe('serve: GitHub failures and invalid manifests', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('a 502 while commenting is retried until delivered; the apply runs once, unaffected', async () => {
    w.openPr(8, webFile('g', 'gateway\n'));
    await w.prOpened(8);
    await until('plan comment', () => w.planComment(8));
    await w.idle();
    // GitHub fails: every comment write and the first statuses answer 502 for a while.
    w.gh.failNext('issues/create-comment', 502, 5);
    w.gh.failNext('repos/create-commit-status', 502, 3);
    w.gh.failNext('issues/list-comments', 502, 2);
    const m = w.mergePr(8);
    await w.merged(8, m);
    await until('result comment delivered', () => w.gh.commentsOn(8).find((c) => c.body.includes('Applied stack `web`')));
    await until('apply status delivered', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/g.txt'), 'utf8')).toBe('gateway\n');
    const runs = (await w.svc!.ctx.store.runs({ stack: 'web' })).filter((r) => r.kind === 'apply');
    expect(runs).toHaveLength(1);
    expect(runs[0].outcome).toBe('succeeded');
    expect(w.gh.commentsOn(8).filter((c) => c.body.includes('Applied stack `web`'))).toHaveLength(1);
    expect(w.gh.requests.filter((r) => r.status === 502).length).toBe(10);
    const outbox = await w.svc!.ctx.outbox.list(200);
    expect(outbox.some((e) => e.op.type === 'comment.upsert' && e.attempts > 1 && e.status === 'delivered')).toBe(true);
  });

  it('invalid manifests: a failing status, the errors in the comment as file:line:col, annotations on the lines', async () => {
    const bad = { 'stacks/web/bad.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: bad\nspec:\n  path: web/bad.txt\n  mode: "999"\n' };
    const { head } = w.openPr(9, bad);
    await w.prOpened(9);
    await until('failure status', () => w.statuses(head, 'driftless/plan').includes('failure'));
    await w.idle();
    const body = w.planComment(9)!;
    expect(body).toMatch(/`stacks\/web\/bad\.yaml:7:\d+: File\/bad: [^`]*mode/);
    const run = w.gh.checkRuns.find((c) => c.sha === head)!;
    expect(run.conclusion).toBe('failure');
    expect(run.annotations).toEqual([expect.objectContaining({ path: 'stacks/web/bad.yaml', start_line: 7, end_line: 7, annotation_level: 'failure' })]);
  });

  it('more than 50 validation errors: annotations are sent 50 per request', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++)
      files[`stacks/web/bad${i}.yaml`] =
        `apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: bad${i}\nspec:\n  path: web/bad${i}.txt\n  mode: "999"\n`;
    const { head } = w.openPr(11, files);
    const before = w.gh.requests.length;
    await w.prOpened(11);
    await until('failure status', () => w.statuses(head, 'driftless/plan').includes('failure'));
    await w.idle();
    const run = w.gh.checkRuns.find((c) => c.sha === head)!;
    expect(run.annotations).toHaveLength(60);
    const calls = w.gh.requests.slice(before).filter((r) => r.operationId === 'checks/create' || r.operationId === 'checks/update');
    expect(calls.map((r) => r.body.output.annotations.length).sort()).toEqual([10, 50]);
  });

  it('a bad drift schedule in driftless.yaml is reported at its line, naming the stack and field', async () => {
    const cfg = REPO_CONFIG.replace('  ops:\n', '    drift:\n      schedule: "0 0 1 * 1"\n  ops:\n');
    const { head } = w.openPr(10, { 'driftless.yaml': cfg });
    await w.prOpened(10);
    await until('failure status', () => w.statuses(head, 'driftless/plan').includes('failure'));
    await w.idle();
    expect(w.planComment(10)).toMatch(/`driftless\.yaml:9:\d+: stacks\.web\.drift\.schedule: "0 0 1 \* 1" restricts both day-of-month/);
    expect(w.gh.rejected()).toEqual([]);
  });
  it('rate limits: octokit waits out a near reset; a far one is left to the outbox; nothing is lost or sent twice', async () => {
    const planComments = (): { id: number; body: string }[] => w.gh.commentsOn(12).filter((c) => c.body.startsWith('<!-- driftless:plan -->'));
    // Near: a primary limit on the comment (reset in 1 s), a secondary one on the status (retry-after
    // 40 s, within the client's 60 s). The harness scales octokit's waits to 5 ms per second.
    w.gh.rateLimitNext('issues/create-comment', { kind: 'primary', waitS: 1 });
    w.gh.rateLimitNext('repos/create-commit-status', { kind: 'secondary', waitS: 40 });
    const first = w.openPr(12, webFile('r', 'rate\n'));
    await w.prOpened(12);
    await until('plan comment', () => w.planComment(12));
    await until('plan status', () => w.statuses(first.head, 'driftless/plan').includes('success'));
    await w.idle();
    const statusTries = w.gh.requests.filter((r) => r.operationId === 'repos/create-commit-status' && r.status === 403);
    expect(statusTries).toHaveLength(1);
    const statusRetry = w.gh.requests.find((r) => r.operationId === 'repos/create-commit-status' && r.receivedAt > statusTries[0].receivedAt)!;
    expect(statusRetry.status).toBe(201);
    expect(statusRetry.receivedAt - statusTries[0].receivedAt).toBeGreaterThanOrEqual(190); // retry-after: 40 honoured (40 × 5 ms)
    expect(w.gh.requests.filter((r) => r.operationId === 'issues/create-comment' && r.status === 403)).toHaveLength(1);
    expect(planComments()).toHaveLength(1);
    expect(w.logs.join('')).toContain('GitHub rate limit reached');
    expect(w.logs.join('')).toContain('GitHub secondary rate limit reached');
    const outbox = await w.svc!.ctx.outbox.list(500);
    const created = outbox.filter((e) => e.op.type === 'comment.upsert' && e.op.issue === 12);
    expect(created.map((e) => [e.status, e.attempts])).toEqual([['delivered', 1]]); // octokit handled it in one delivery

    // Far: the reset is an hour away, longer than the client will wait; the outbox retries later.
    w.gh.rateLimitNext('issues/update-comment', { kind: 'primary', waitS: 3600 });
    w.openPr(12, webFile('r', 'rate limited\n'));
    await w.prOpened(12, 'synchronize');
    await until('plan comment updated', () => w.planComment(12)?.includes('rate limited'));
    await w.idle();
    expect(w.gh.requests.filter((r) => r.operationId === 'issues/update-comment' && r.status === 403)).toHaveLength(1);
    expect(planComments()).toHaveLength(1);
    const updated = (await w.svc!.ctx.outbox.list(500)).filter((e) => e.op.type === 'comment.upsert' && e.op.issue === 12 && e.status === 'delivered');
    expect(Math.max(...updated.map((e) => e.attempts))).toBe(2);
    for (const secret of w.secrets()) expect(w.logs.join('')).not.toContain(secret);
    expect(w.gh.rejected()).toEqual([]);
  });
});
