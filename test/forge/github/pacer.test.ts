import { describe, expect, it } from 'vitest';
import { Pacer, PacingRefusedError, type PacerClock } from '../../../src/forge/github/pacer.js';
import { requestCost } from '../../../src/forge/github/pacing.js';

const STATUS = requestCost('POST', '/repos/{owner}/{repo}/statuses/{sha}');
const READ = requestCost('GET', '/repos/{owner}/{repo}/pulls/{pull_number}');

/** Simulated time: a sleep moves the clock on as soon as the caller yields. */
function simulated(): PacerClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      await null;
      slept.push(ms);
      now += ms;
    },
  };
}

describe('the pacer (a queue over the pacing buckets)', () => {
  it('lets a burst through at once and holds the next write until the refill, in arrival order', async () => {
    const clock = simulated();
    const pacer = new Pacer({ clock });
    for (let i = 0; i < 8; i++) await pacer.admit(STATUS);
    expect(pacer.stats).toEqual({ admitted: 8, waited: 0, waitedMs: 0, refused: 0 });
    const order: number[] = [];
    const later = [9, 10].map((n) => pacer.admit(STATUS).then(() => order.push(n)));
    // A read does not queue behind the writes waiting for the write budget.
    void pacer.admit(READ);
    expect(pacer.stats.admitted).toBe(9);
    await Promise.all(later);
    expect(order).toEqual([9, 10]);
    expect(clock.now()).toBe(2000);
    expect(pacer.stats).toEqual({ admitted: 11, waited: 2, waitedMs: 3000, refused: 0 });
  });

  it('refuses a request that would wait longer than maxWaitMs (a rate limit pause), and counts it', async () => {
    const clock = simulated();
    const pacer = new Pacer({ clock, maxWaitMs: 30_000 });
    pacer.pause(60_000);
    expect(pacer.restedInMs()).toBe(60_000);
    await expect(pacer.admit(READ)).rejects.toBeInstanceOf(PacingRefusedError);
    await expect(pacer.admit(STATUS)).rejects.toThrow(/would wait 60\.0 s for a rate limit answer from GitHub/);
    expect(pacer.stats.refused).toBe(2);
    expect(clock.slept).toEqual([]);
    pacer.pause(20_000);
    // A shorter pause does not shorten the longer one already running.
    expect(pacer.restedInMs()).toBe(60_000);
  });
});
