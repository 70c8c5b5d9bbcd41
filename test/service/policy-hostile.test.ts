import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

const NESTED = `name: nested
level: hard-mandatory
match: { kinds: [File] }
rule: "change.after.spec.content.split('').all(a, change.after.spec.content.split('').all(b, a == b || size(a) == 1))"
`;
const REGEX = `name: backtracking
level: hard-mandatory
match: { kinds: [File] }
rule: "!change.after.spec.content.matches('^(a+)+$')"
`;

/** A hostile rule on the base branch: bounded, failing with its error shown, while the service keeps answering. */
describe('serve: hostile policies stay bounded', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({
      'driftless.yaml': REPO_CONFIG,
      ...webFile('a', 'one\n'),
      '.driftless/policies/nested.yaml': NESTED,
      '.driftless/policies/backtracking.yaml': REGEX,
    });
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  }, 120_000);
  afterAll(async () => {
    await w.close();
  });

  it('a quadratic rule over a huge value fails on its budget, a catastrophic regex runs in linear time, /healthz answers meanwhile', async () => {
    const big = `${'a'.repeat(20_000)}!`;
    const files: Record<string, string> = {};
    for (let i = 0; i < 5; i++) Object.assign(files, webFile(`big${i}`, big));
    const pr = w.openPr(1, files);
    let answered = 0;
    let stop = false;
    const probe = (async () => {
      while (!stop) {
        const r = await fetch(`${w.url()}/healthz`).catch(() => null);
        if (r?.ok) answered++;
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await w.prOpened(1);
    await until('policy status of #1', () => w.statuses(pr.head, 'driftless/policy').find((s) => s !== 'pending'));
    stop = true;
    await probe;
    await w.idle();
    const body = w.planComment(1)!;
    expect(body).toMatch(/\| `nested` \| hard-mandatory \| ❌ failed: \d+ of 6 \|/);
    expect(body).toMatch(/error: exceeded the (cost limit \(200000 evaluation steps\)|time budget)/);
    expect(body).toMatch(/\| `backtracking` \| hard-mandatory \| ✅ passed \(6 checked\) \|/);
    expect(answered).toBeGreaterThan(0);
  }, 120_000);
});
