import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import { serve, type Child } from './child.js';
import { deliver, pullRequestPayload, pushPayload } from '../../testkit/webhooks.js';
import type { RunningService } from '../../src/service.js';
import { listRuns } from '../../src/engine/status.js';

/** Files the pull request adds: enough that the apply is still running when the kill lands. */
const FILES = 300;
/** The first process is killed once this many of them are written. */
const KILL_AT = 60;

const names = Array.from({ length: FILES }, (_, i) => `f${String(i).padStart(4, '0')}`);

function written(w: World): number {
  const dir = join(w.targetRoot, 'web');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('f') && f.endsWith('.txt')).length : 0;
}

async function api<T>(url: string, path: string): Promise<T> {
  const r = await fetch(url + path);
  expect(r.status).toBe(200);
  return (await r.json()) as T;
}

describe('serve: killed with -9 in the middle of a reviewed apply, started again on the same data dir', () => {
  let w: World;
  let first: Child | undefined;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.seedState();
  });
  afterAll(async () => {
    first?.proc.kill('SIGKILL');
    await w.close();
  });

  it('resumes the reviewed plan: every file written once, no hold, the result on the PR and the git note', { timeout: 120_000 }, async () => {
    const files: Record<string, string> = {};
    for (const n of names) Object.assign(files, webFile(n, `content of ${n}\n`));
    w.openPr(9, files);
    first = serve(w);
    const url1 = await first.url;
    const repo = { owner: 'acme', repo: 'infra' };
    const secret = w.env().TEST_WEBHOOK_SECRET!;
    const pr = w.gh.pulls.get(9)!;
    expect(
      (await deliver(url1, 'pull_request', pullRequestPayload(repo, 'opened', { number: 9, headSha: pr.headSha, baseSha: pr.baseSha }), { secret })).status,
    ).toBe(202);
    await until('plan comment of #9', () => w.planComment(9)?.includes(`${FILES + 1} to create`));
    const m = w.mergePr(9);
    const merged = pullRequestPayload(repo, 'closed', { number: 9, headSha: pr.headSha, baseSha: m.before, merged: true, mergeCommitSha: m.after });
    expect((await deliver(url1, 'pull_request', merged, { secret })).status).toBe(202);
    expect((await deliver(url1, 'push', pushPayload(repo, m), { secret })).status).toBe(202);

    // kill -9 once the apply has written some of the files.
    await until('the apply to be under way', () => written(w) >= KILL_AT);
    first.proc.kill('SIGKILL');
    await first.exited;
    const atKill = written(w);
    expect(atKill, 'the kill must land before the apply finished').toBeLessThan(FILES);

    // The service again, on the same data dir (in this process: the crash was real, the restart need not be).
    const svc = await w.start();
    // Until it is applied, or held (as it was before the restart could resume a reviewed apply). The
    // first commit, pushed without a pull request, may be held on its own: that is not this apply.
    await until(
      'the merge applied or held',
      async () => w.statuses(m.after, 'driftless/apply: web').includes('success') || (await svc.ctx.records.holdsAt(m.after)).length,
    );
    expect((await svc.ctx.records.holdsAt(m.after)).map((h) => h.reason)).toEqual([]);
    for (const n of names) expect(readFileSync(join(w.targetRoot, `web/${n}.txt`), 'utf8')).toBe(`content of ${n}\n`);
    expect(readFileSync(join(w.targetRoot, 'web/a.txt'), 'utf8')).toBe('one\n');

    // The stack is at the merge commit; nothing was held, and nothing said it was.
    const { stacks } = await api<{ stacks: { name: string; appliedCommit: string | null; held: unknown }[] }>(svc.url, '/api/stacks');
    expect(stacks.find((s) => s.name === 'web')).toMatchObject({ appliedCommit: m.after, held: null });
    expect(w.gh.commentsOn(9).filter((c) => c.body.includes('driftless:hold:'))).toEqual([]);
    expect(w.statuses(m.after, 'driftless/apply: web')).toEqual(['success']);

    // Two runs at the merge commit: the one the kill cut short, and the one that resumed it.
    const { runs } = await api<{ runs: { id: number; kind: string; commit: string; outcome: string; pr: number | null; trigger: string }[] }>(
      svc.url,
      '/api/runs?stack=web',
    );
    const applies = runs.filter((r) => r.kind === 'apply' && r.commit === m.after);
    expect(applies.map((r) => r.outcome)).toEqual(['succeeded', 'interrupted']);
    const [resumed, cut] = applies;
    expect(resumed.pr).toBe(9);
    expect(resumed.trigger).toContain(`(resumes run ${cut.id})`);
    expect(w.logs.join('')).toContain(`resuming the reviewed apply interrupted in run ${cut.id}`);

    // The journal: every file was written by exactly one of the two runs. A step in flight at the
    // kill was recovered: its file found live (recorded, done) or not (done again by the second run).
    const store = await svc.ctx.ws.store();
    const before = await store.journal(cut.id);
    const after = await store.journal(resumed.id);
    expect(before.filter((e) => e.outcome !== 'ok' && e.outcome !== 'recovered')).toEqual([]);
    const doneBefore = new Set(before.filter((e) => e.outcome === 'ok' || /found the object live/.test(e.error ?? '')).map((e) => e.resourceId));
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(after.every((e) => e.outcome === 'ok')).toBe(true);
    expect(after.filter((e) => doneBefore.has(e.resourceId))).toEqual([]);
    expect(new Set([...doneBefore, ...after.map((e) => e.resourceId)])).toEqual(new Set(['File/a', ...names.map((n) => `File/${n}`)]));

    // The PR gets the result of the resumed run; the git note is on the merge commit.
    const result = await until('the result comment on #9', () => w.gh.commentsOn(9).find((c) => c.body.includes(`driftless:result:web:${resumed.id}`)));
    expect(result.body).toContain(`This run resumes the apply interrupted in run #${cut.id}`);
    await w.idle(svc);
    const note = execFileSync('git', ['--git-dir', w.bare, 'notes', '--ref=driftless', 'show', m.after], { encoding: 'utf8' });
    expect(note).toContain(`run ${resumed.id}, succeeded`);
    expect(note).toContain(`resumes: run ${cut.id}`);
    for (const s of w.secrets()) expect(first.output() + w.logs.join('')).not.toContain(s);
    expect(w.gh.rejected()).toEqual([]);
  });
});

describe('serve: stopped (SIGTERM) in the middle of a reviewed apply, started again', () => {
  // All 300: with 120, an apply on a fast, quiet machine could finish between the 10th file and the stop.
  const few = names;
  let w: World;
  let again: RunningService | undefined;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
  });
  afterAll(async () => {
    await again?.close();
    await w.close();
  });

  it('the next process resumes the reviewed plan instead of holding it', async () => {
    const files: Record<string, string> = {};
    for (const n of few) Object.assign(files, webFile(n, `content of ${n}\n`));
    w.openPr(3, files);
    const svc = await w.start();
    await w.prOpened(3);
    await until('plan comment of #3', () => w.planComment(3)?.includes(`${few.length + 1} to create`));
    const m = w.mergePr(3);
    await w.merged(3, m);
    await until('the apply to be under way', () => written(w) >= 10);
    await svc.close();
    expect(written(w), 'the stop must come before the apply finished').toBeLessThan(few.length);

    again = await w.start();
    await until(
      'the merge applied or held',
      async () => w.statuses(m.after, 'driftless/apply: web').includes('success') || (await again!.ctx.records.holdsAt(m.after)).length,
    );
    expect((await again.ctx.records.holdsAt(m.after)).map((h) => h.reason)).toEqual([]);
    for (const n of few) expect(readFileSync(join(w.targetRoot, `web/${n}.txt`), 'utf8')).toBe(`content of ${n}\n`);
    const runs = (await listRuns(again.ctx.ws, { stack: 'web' })).filter((r) => r.commit === m.after);
    expect(runs.map((r) => r.outcome)).toEqual(['succeeded', 'interrupted']);
    expect(runs[0].trigger).toContain(`(resumes run ${runs[1].id})`);
    const result = await until('the result comment on #3', () => w.gh.commentsOn(3).find((c) => c.body.includes(`driftless:result:web:${runs[0].id}`)));
    expect(result.body).toContain(`This run resumes the apply interrupted in run #${runs[1].id}`);
    expect(w.gh.rejected()).toEqual([]);
  });
});
