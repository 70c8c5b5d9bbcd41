import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, opsFile, until } from './harness.js';
import { tempDir } from '../helpers/git.js';

describe('serve: a pull request from open to applied', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n'), ...opsFile('o', 'ops\n'), 'README.md': 'hi\n' });
    await w.start();
    // The initial commit (no pull request) is held: nothing reviewed it.
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('holds the first commit of the branch (no reviewed plan), with a pending apply status', async () => {
    const head = w.work.head('main');
    const holds = await w.svc!.ctx.records.holds();
    expect(holds.map((h) => h.stack).sort()).toEqual(['ops', 'web']);
    expect(w.statuses(head, 'driftless/apply: web')).toContain('pending');
    expect(w.statuses(head, 'driftless/apply: ops')).toContain('pending');
    expect(existsSync(join(w.targetRoot, 'web/a.txt'))).toBe(false);
  });

  it('PR opened: one plan comment for the touched stack and a plan status on the head', async () => {
    const { head } = w.openPr(1, webFile('b', 'two\n'));
    const r = await w.prOpened(1);
    expect(r.status).toBe(202);
    await until('plan comment', () => w.planComment(1));
    await until('plan status', () => w.statuses(head, 'driftless/plan').includes('success'));
    await w.idle();
    const body = w.planComment(1)!;
    expect(body).toContain('Stack `web`');
    expect(body).toContain('+ File/b');
    expect(body).not.toContain('Stack `ops`');
    // pending first, then the result (a pending not yet sent when the result is ready is replaced by it).
    expect(w.statuses(head, 'driftless/plan').at(-1)).toBe('success');
    expect(
      w.gh.requests.filter((r) => r.operationId === 'repos/create-commit-status' && r.body.context === 'driftless/plan' && r.path.endsWith(head)).length,
    ).toBeLessThanOrEqual(2);
    const status = w.gh.statuses.filter((s) => s.sha === head && s.context === 'driftless/plan').at(-1)!;
    expect(status.description).toContain('2 to create'); // File/a (never applied) and File/b
    expect(w.gh.checkRuns.some((c) => c.sha === head && c.conclusion === 'success')).toBe(true);
    expect(w.gh.commentsOn(1)).toHaveLength(1);
  });

  it('another push: the same comment is edited in place', async () => {
    const before = w.gh.commentsOn(1)[0];
    const { head } = w.openPr(1, webFile('c', 'three\n'));
    await w.prOpened(1, 'synchronize');
    await until('updated comment', () => w.planComment(1)?.includes('File/c'));
    await until('plan status on the new head', () => w.statuses(head, 'driftless/plan').includes('success'));
    await w.idle();
    const comments = w.gh.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(comments[0].id).toBe(before.id);
    expect(comments[0].body).toContain('3 to create');
    expect(w.gh.requests.some((r) => r.operationId === 'issues/update-comment')).toBe(true);
  });

  it('the posted plan is stored whole (the API shows it, not only its digest)', async () => {
    const r = (await (await fetch(`${w.url()}/api/pulls/1`)).json()) as {
      plans: { stack: string; digest: string; plan: { digest: string; changes: { id: string }[] } }[];
    };
    expect(r.plans.map((p) => p.stack)).toEqual(['web']);
    expect(r.plans[0].plan.digest).toBe(r.plans[0].digest);
    expect(r.plans[0].plan.changes.map((c) => c.id).sort()).toEqual(['File/a', 'File/b', 'File/c']);
    expect((await fetch(`${w.url()}/api/pulls/abc`)).status).toBe(400);
  });

  it('merge: the reviewed plan is applied, the note pushed, statuses and a deployment set', async () => {
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('apply status', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/b.txt'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(w.targetRoot, 'web/c.txt'), 'utf8')).toBe('three\n');
    // The result comment on the merged PR.
    const result = w.gh.commentsOn(1).find((c) => c.body.includes('Applied stack `web`'));
    expect(result?.body).toContain('succeeded');
    expect(result?.body).toContain('File/b');
    // A deployment for the stack, with a success status.
    const dep = w.gh.deployments.find((d) => d.sha === m.after && d.environment === 'web');
    expect(dep?.statuses.map((s) => s.state)).toEqual(['success']);
    // The audit note, pushed to the remote: a fresh clone sees it in git log --notes=driftless.
    const clone = tempDir('driftless-clone-');
    execFileSync('git', ['clone', '-q', w.bare, clone]);
    execFileSync('git', ['fetch', '-q', 'origin', 'refs/notes/driftless:refs/notes/driftless'], { cwd: clone });
    const log = execFileSync('git', ['log', '--notes=driftless', '-1', m.after], { cwd: clone, encoding: 'utf8' });
    expect(log).toMatch(/driftless: stack web, run \d+, succeeded/);
    expect(log).toContain('pr: #1');
    expect(log).toContain('ok: create File/b');
    // ops was not touched by PR 1 and stays held; web's hold was released by the apply.
    expect((await w.svc!.ctx.records.holds()).map((h) => h.stack)).toEqual(['ops']);
  });

  it("made only requests that GitHub's OpenAPI description allows, and leaked no secret", async () => {
    expect(w.gh.rejected()).toEqual([]);
    const api = await (await fetch(`${w.url()}/api/runs`)).text();
    const stacks = await (await fetch(`${w.url()}/api/stacks`)).text();
    const everything = [w.logs.join(''), api, stacks, ...w.gh.comments.map((c) => c.body)].join('\n');
    for (const s of w.secrets()) expect(everything).not.toContain(s);
    expect(JSON.parse(api).runs.length).toBeGreaterThan(0);
    // Each apply run keeps the plan it carried out.
    const run = JSON.parse(api).runs.find((r: { stack: string; pr: number | null }) => r.stack === 'web' && r.pr === 1);
    const one = (await (await fetch(`${w.url()}/api/runs/${run.id}`)).json()) as { plan: { digest: string; changes: { id: string }[] } };
    expect(one.plan.digest).toBe(run.digest);
    expect(one.plan.changes.map((c) => c.id)).toContain('File/b');
    expect((await fetch(`${w.url()}/api/runs/999999`)).status).toBe(404);
    const bad = await fetch(`${w.url()}/api/runs?limit=abc`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('limit must be a whole number from 1 to 500');
    expect((await fetch(`${w.url()}/api/jobs?limit=0`)).status).toBe(400);
  });
});
