import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

/** Server-side requirements per stack pattern: approvals read through GitHub's reviews API, checked after the merge. */
describe('serve: apply requirements', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    w.extraConfig = ['requirements:', '  - stacks: ["we*"]', '    approvals: { count: 2, from: ["@ada", "@bob"] }', '    mergeable: true'];
    w.writeConfig();
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  }, 120_000);
  afterAll(async () => {
    await w.close();
  });

  it('unmet approvals show on the PR and hold the apply after the merge; met ones let it through', async () => {
    const pr = w.openPr(1, webFile('b', 'two\n'));
    // One approval counts, one is not from the listed users, one approved an older head.
    w.gh.reviews.set(1, [
      { user: 'ada', state: 'APPROVED', commitId: pr.head },
      { user: 'eve', state: 'APPROVED', commitId: pr.head },
      { user: 'bob', state: 'APPROVED', commitId: 'e'.repeat(40) },
    ]);
    await w.prOpened(1);
    await until('plan of #1', () => w.planComment(1)?.includes('File/b'));
    await w.idle();
    expect(w.planComment(1)).toContain('stack `web` needs 2 approvals from @ada, @bob at the head');
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('a hold at the merge', async () => (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after)!;
    expect(hold.reason).toContain(
      `Requirements not met: stack \`web\` needs 2 approvals from @ada, @bob at the head \`${pr.head.slice(0, 12)}\`; it has 1 (@ada)`,
    );
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect(w.gh.commentsOn(1).some((c) => c.body.includes('Requirements not met'))).toBe(true);

    const pr2 = w.openPr(2, webFile('c', 'three\n'));
    w.gh.reviews.set(2, [
      { user: 'ada', state: 'APPROVED', commitId: pr2.head },
      { user: 'bob', state: 'CHANGES_REQUESTED', commitId: pr2.head },
      { user: 'bob', state: 'COMMENTED', commitId: pr2.head },
      { user: 'bob', state: 'APPROVED', commitId: pr2.head },
    ]);
    await w.prOpened(2);
    await until('plan of #2', () => w.planComment(2)?.includes('File/c'));
    await w.idle();
    expect(w.planComment(2)).not.toContain('Requirement not met');
    const m2 = w.mergePr(2);
    await w.merged(2, m2);
    await until('web applied at #2', async () => {
      const held = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m2.after);
      if (held) throw new Error(`held: ${held.reason}`);
      return w.statuses(m2.after, 'driftless/apply: web').includes('success');
    });
    expect(readFileSync(join(w.targetRoot, 'web/c.txt'), 'utf8')).toBe('three\n');
    expect(w.gh.requests.filter((r) => r.operationId === 'pulls/list-reviews').length).toBeGreaterThan(0);
    expect(w.gh.rejected()).toEqual([]);
  }, 120_000);
});
