import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, webFile, until } from './harness.js';
import { Pacer } from '../../src/forge/github/pacer.js';
import { requestCost } from '../../src/forge/github/pacing.js';
import type { RecordedRequest } from '../../testkit/github-double.js';

const ONE_STACK = `version: 1
stacks:
  web:
    path: stacks/web
    targets:
      fs: files
    apply: auto
`;

/** A write as the double saw it: the operation, and the state of a status. */
function write(r: RecordedRequest): string {
  return r.operationId === 'repos/create-commit-status' ? `status:${r.body.state}` : String(r.operationId);
}

describe('serve: the plan comment goes first, with production pacing', () => {
  let w: World;
  // GitHub's documented limits, as `driftless serve` runs; the test reads its counters.
  const pacer = new Pacer();
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': ONE_STACK, ...webFile('a', 'one\n') });
    await w.start({ pacer });
    // The first commit is held (nothing reviewed it): a status and a commit comment, before the test.
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('a pull request: the comment, then the status, then the check run; nothing waited for the pacer', async () => {
    const { head } = w.openPr(1, webFile('b', 'two\n'));
    const before = w.gh.requests.length;
    await w.prOpened(1);
    await until('the plan status', () => w.statuses(head, 'driftless/plan').includes('success'));
    await until('the check run', () => w.gh.checkRuns.some((c) => c.sha === head));
    await w.idle();
    const writes = w.gh.requests.slice(before).filter((r) => r.method !== 'GET');
    // The pending status goes out while the plan is made, unless the plan was done first (then the
    // final status replaced it); the plan's own writes go in the order people wait for them.
    expect(writes.map(write).filter((x) => x !== 'status:pending')).toEqual(['issues/create-comment', 'status:success', 'checks/create']);
    expect(writes.map(write).indexOf('status:pending')).toBeLessThanOrEqual(0);
    // Every request went through the pacer, and none had to wait: the burst covers a pull request's writes.
    expect(pacer.stats.admitted).toBe(w.gh.requests.length);
    expect(pacer.stats).toMatchObject({ waited: 0, waitedMs: 0, refused: 0 });
    expect(w.gh.rejected()).toEqual([]);
  });

  it('a busy client: writes are paced, and each comment still precedes its status and check run', async () => {
    const prs = [2, 3].map((n) => ({ n, head: w.openPr(n, webFile(`p${n}`, `pr ${n}\n`)).head }));
    // As if the service had just sent a burst of writes elsewhere: the write budget is spent.
    for (let i = 0; i < 8; i++) await pacer.admit(requestCost('POST', '/repos/{owner}/{repo}/statuses/{sha}'));
    const before = w.gh.requests.length;
    const admitted = pacer.stats.admitted;
    await Promise.all(prs.map((p) => w.prOpened(p.n)));
    for (const p of prs) {
      await until(`the plan status of #${p.n}`, () => w.statuses(p.head, 'driftless/plan').includes('success'));
      await until(`the check run of #${p.n}`, () => w.gh.checkRuns.some((c) => c.sha === p.head));
    }
    await w.idle();
    const sent = w.gh.requests.slice(before);
    for (const p of prs) {
      const at = (pred: (r: RecordedRequest) => boolean): number => sent.findIndex(pred);
      const comment = at((r) => r.operationId === 'issues/create-comment' && r.path.includes(`/issues/${p.n}/`));
      const status = at((r) => r.operationId === 'repos/create-commit-status' && r.path.endsWith(p.head) && r.body.state === 'success');
      const check = at((r) => r.operationId === 'checks/create' && r.body.head_sha === p.head);
      expect(comment).toBeGreaterThanOrEqual(0);
      expect(comment).toBeLessThan(status);
      expect(status).toBeLessThan(check);
    }
    // Six writes or more, sent within seconds of a spent budget refilled at one a second: some waited; none was refused.
    expect(pacer.stats.waited).toBeGreaterThan(0);
    expect(pacer.stats.refused).toBe(0);
    expect(pacer.stats.admitted - admitted).toBe(sent.length);
    expect(w.gh.rejected()).toEqual([]);
  });
});
