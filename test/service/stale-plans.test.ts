import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

describe('serve: plans of open pull requests are made again when an apply moves the state under them', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
    // Three PRs on the web stack, planned against the same (empty) recorded state.
    w.openPr(1, webFile('b', 'two\n'));
    w.openPr(2, webFile('c', 'three\n'));
    w.openPr(3, webFile('d', 'four\n'));
    for (const n of [1, 2, 3]) await w.prOpened(n);
    await until('three plans', () => [1, 2, 3].every((n) => w.planComment(n)) || undefined);
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('a PR whose merge ref GitHub has updated gets its plan made again; one whose merge ref is behind keeps its old plan', async () => {
    expect(w.planComment(2)).toContain('File/a');
    const before3 = w.planComment(3);
    const before1 = w.planComment(1);
    const m = w.mergePr(1);
    w.refreshMergeRef(2); // GitHub has merged #2 into the new main; #3's merge ref still has the old base
    await w.merged(1, m);
    await until('web applied', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await until('#2 planned again', () => !w.planComment(2)!.includes('+ File/a') || undefined);
    await w.idle();
    const plan2 = w.planComment(2)!;
    expect(plan2).toContain('+ File/c');
    expect(plan2).not.toContain('File/b'); // not shown as deleted: the merge ref has it
    // #3: planning at its old merge ref would show File/b deleted; its comment is left as it was.
    expect(w.planComment(3)).toBe(before3);
    expect(w.logs.join('')).toContain('has not yet updated refs/pull/3/merge');
    // #1 is merged and applied: not planned again (when the push is handled before the pull request's
    // closing, the re-plan may ask GitHub about #1, and finds it closed), and its reviewed plan is used up.
    expect(w.planComment(1)).toBe(before1);
    expect(await w.svc!.ctx.records.reviewedDigest(1, 'web')).toBeNull();
    expect(w.gh.rejected()).toEqual([]);
  });
});
