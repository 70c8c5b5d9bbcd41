import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

/** A merge is judged by the apply mode in force before it: a pull request cannot switch its own stack to auto. */
describe('serve: apply settings come from the base branch', () => {
  let w: World;
  const manual = REPO_CONFIG.replace(/(web:[\s\S]*?)apply: auto/, '$1apply: manual');
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': manual, ...webFile('a', 'one\n') });
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('the plan comment says that the mode changes; the merge is held, not applied', async () => {
    expect(manual).toContain('apply: manual');
    w.openPr(5, { 'driftless.yaml': REPO_CONFIG, ...webFile('b', 'two\n') });
    await w.prOpened(5);
    await until('plan comment', () => w.planComment(5));
    await w.idle();
    expect(w.planComment(5)).toContain('changes `apply` of stack `web` from `manual` to `auto`');
    const m = w.mergePr(5);
    await w.merged(5, m);
    await until('a hold for web at the merge', async () => (await w.svc!.ctx.records.holds()).find((h) => h.stack === 'web' && h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.stack === 'web')!;
    expect(hold.reason).toContain('apply: manual');
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect(w.statuses(m.after, 'driftless/apply: web')).toContain('pending');
  });
});
