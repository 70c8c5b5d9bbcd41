import { describe, expect, it } from 'vitest';
import {
  decide,
  GITHUB_PACING,
  pausedUntil,
  requestCost,
  restedInMs,
  restedState,
  windowLimit,
  type BucketSpec,
  type PacingState,
  type RequestCost,
} from '../../../src/forge/github/pacing.js';

const STATUS = requestCost('POST', '/repos/{owner}/{repo}/statuses/{sha}');
const COMMENT = requestCost('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments');
const READ = requestCost('GET', '/repos/{owner}/{repo}/pulls/{pull_number}');

/** A client that sends as soon as the pacing lets it, for `durationMs` of simulated time: the send times. */
function greedy(specs: readonly BucketSpec[], next: (i: number) => RequestCost, durationMs: number): { at: number; cost: RequestCost }[] {
  let state: PacingState = restedState(specs, 0);
  let now = 0;
  const sent: { at: number; cost: RequestCost }[] = [];
  while (now <= durationMs) {
    const cost = next(sent.length);
    const d = decide(specs, state, cost, now);
    state = d.state;
    if (d.waitMs > 0) now += d.waitMs;
    else sent.push({ at: now, cost });
  }
  return sent;
}

/** The most of `measure` spent in any closed window of `windowMs` (windows start at a send). */
function busiestWindow(sent: { at: number; cost: RequestCost }[], measure: keyof RequestCost, windowMs: number): number {
  let most = 0;
  let j = 0;
  let sum = 0;
  for (let i = 0; i < sent.length; i++) {
    while (j < sent.length && sent[j].at - sent[i].at <= windowMs) sum += sent[j++].cost[measure];
    most = Math.max(most, sum);
    sum -= sent[i].cost[measure];
  }
  return most;
}

describe('GitHub pacing (token buckets over an injected clock)', () => {
  it('prices requests as GitHub documents: reads 1 point, writes 5, comments create content, statuses do not', () => {
    expect(READ).toEqual({ points: 1, mutative: 0, content: 0 });
    expect(STATUS).toEqual({ points: 5, mutative: 1, content: 0 });
    expect(COMMENT).toEqual({ points: 5, mutative: 1, content: 1 });
    expect(requestCost('POST', '/repos/{owner}/{repo}/check-runs')).toEqual({ points: 5, mutative: 1, content: 0 });
    expect(requestCost('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}')).toEqual({ points: 5, mutative: 1, content: 0 });
    expect(requestCost('POST', '/repos/acme/infra/commits/abc/comments').content).toBe(1);
    expect(requestCost('POST', '/repos/{owner}/{repo}/issues').content).toBe(1);
    expect(requestCost('GET', 'https://ghe.example/api/v3/repos/acme/infra/issues/1/comments?page=2')).toEqual(READ);
    // Installation tokens are authentication, outside the limits.
    expect(requestCost('POST', '/app/installations/{installation_id}/access_tokens')).toEqual({ points: 0, mutative: 0, content: 0 });
  });

  it('a burst of 8 writes goes at once; the 9th waits for the refill (one second), then goes', () => {
    let s = restedState(GITHUB_PACING, 0);
    for (let i = 0; i < 8; i++) {
      const d = decide(GITHUB_PACING, s, i % 2 ? COMMENT : STATUS, 0);
      expect(d.waitMs).toBe(0);
      s = d.state;
    }
    const ninth = decide(GITHUB_PACING, s, STATUS, 0);
    expect(ninth.waitMs).toBe(1000);
    expect(ninth.limitedBy).toMatch(/mutative/);
    expect(decide(GITHUB_PACING, ninth.state, STATUS, 999).waitMs).toBeGreaterThan(0);
    expect(decide(GITHUB_PACING, ninth.state, STATUS, 1000).waitMs).toBe(0);
    // Reads are not held by the write budget.
    expect(decide(GITHUB_PACING, s, READ, 0).waitMs).toBe(0);
  });

  it('keeps 80 comments a minute, 500 an hour and 900 points a minute over a simulated hour of a greedy client', () => {
    // Comments, with a read before each (as an upsert lists the comments first).
    const sent = greedy(GITHUB_PACING, (i) => (i % 2 ? COMMENT : READ), 3_600_000);
    const comments = sent.filter((x) => x.cost.content > 0);
    expect(busiestWindow(sent, 'content', 60_000)).toBeLessThanOrEqual(80);
    expect(busiestWindow(sent, 'content', 3_600_000)).toBeLessThanOrEqual(500);
    expect(busiestWindow(sent, 'points', 60_000)).toBeLessThanOrEqual(900);
    // ... and uses what it may: the hour's 500 (the burst, then one every 7.3 s).
    expect(comments.length).toBeGreaterThanOrEqual(499);
    expect(comments.length).toBeLessThanOrEqual(500);
    // Statuses (no content): one a second after the burst, within the points.
    const statuses = greedy(GITHUB_PACING, () => STATUS, 3_600_000);
    expect(busiestWindow(statuses, 'points', 60_000)).toBeLessThanOrEqual(900);
    expect(busiestWindow(statuses, 'mutative', 60_000)).toBeLessThanOrEqual(8 + 60);
    expect(statuses.length).toBeGreaterThanOrEqual(3600);
    // Reads alone: 900 points a minute.
    const reads = greedy(GITHUB_PACING, () => READ, 600_000);
    expect(busiestWindow(reads, 'points', 60_000)).toBeLessThanOrEqual(900);
    expect(reads.length).toBeGreaterThanOrEqual(8000);
  });

  it('a window limit alone is kept to the request, whatever its burst', () => {
    for (const burst of [1, 10, 40, 79]) {
      const spec = [windowLimit('content per minute', 'content', 80, 60_000, burst)];
      const sent = greedy(spec, () => COMMENT, 600_000);
      const busiest = busiestWindow(sent, 'content', 60_000);
      expect(busiest).toBeLessThanOrEqual(80);
      // Waits are whole milliseconds, rounded up: at most one request of a minute is lost to it.
      expect(busiest).toBeGreaterThanOrEqual(79);
      expect(sent.length).toBeGreaterThanOrEqual(10 * (79 - burst) + burst);
    }
  });

  it('a rate limit answer from GitHub holds everything until it passes; rested means every bucket full', () => {
    let s = pausedUntil(restedState(GITHUB_PACING, 0), 40_000);
    const d = decide(GITHUB_PACING, s, READ, 10_000);
    expect(d.waitMs).toBe(30_000);
    expect(d.limitedBy).toMatch(/rate limit/);
    expect(restedInMs(GITHUB_PACING, s, 10_000)).toBe(30_000);
    expect(decide(GITHUB_PACING, s, READ, 40_000).waitMs).toBe(0);
    s = restedState(GITHUB_PACING, 0);
    expect(restedInMs(GITHUB_PACING, s, 0)).toBe(0);
    s = decide(GITHUB_PACING, s, COMMENT, 0).state;
    // One comment: the hour's bucket takes longest to refill (490 tokens an hour).
    expect(restedInMs(GITHUB_PACING, s, 0)).toBeCloseTo(3_600_000 / 490, 6);
  });
});
