import { throttling } from '@octokit/plugin-throttling';

/** GitHub's secondary rate limits as token buckets: pure decisions from a bucket state, a request's cost and the time. */

/**
 * What one request costs, per measure. GitHub's documented secondary limits (docs.github.com, REST API,
 * "Rate limits for the REST API" → "About secondary rate limits" and "Calculating points for the
 * secondary rate limit"):
 * - no more than 100 concurrent requests (plugin-throttling's global group keeps a client at 10);
 * - no more than 900 points per minute for REST endpoints: GET, HEAD and OPTIONS cost 1 point,
 *   POST, PATCH, PUT and DELETE cost 5;
 * - in general no more than 80 content-generating requests per minute and 500 per hour.
 * And its advice ("Best practices for using the REST API" → "Pause between mutative requests"): for a
 * large number of POST, PATCH, PUT or DELETE requests, wait at least one second between each.
 */
export interface RequestCost {
  points: number;
  /** A POST, PATCH, PUT or DELETE. */
  mutative: number;
  /** A write that creates content people are notified of (comments, issues, reviews…). */
  content: number;
}
export type Measure = keyof RequestCost;

export interface BucketSpec {
  name: string;
  measure: Measure;
  /** Tokens of a rested bucket: what may go at once. */
  burst: number;
  /** Tokens added back per `perMs`. */
  refill: number;
  perMs: number;
}

/**
 * A bucket holding at most B tokens and refilled at r lets at most B + r·T through in any window of
 * length T; so a limit of L per window W is kept by refilling L − B per W.
 */
export function windowLimit(name: string, measure: Measure, limit: number, perMs: number, burst: number): BucketSpec {
  return { name, measure, burst, refill: limit - burst, perMs };
}

/**
 * The production pacing: a pull request's writes (a pending status, the plan comment, the final
 * status and the check run) and those of the next event go at once; sustained, mutative requests
 * average one a second, content creation stays within 80 a minute and 500 an hour, points within 900
 * a minute. Which requests GitHub counts as content-generating is not documented: here, writes to
 * the paths GitHub's OpenAPI description marks as triggering notifications (plugin-throttling's list,
 * where octokit spaced them 3 s apart), e.g. comments and issues, not statuses or check runs.
 */
export const GITHUB_PACING: readonly BucketSpec[] = [
  { name: 'mutative requests (one a second on average)', measure: 'mutative', burst: 8, refill: 1, perMs: 1000 },
  windowLimit('content creation per minute (80)', 'content', 80, 60_000, 10),
  windowLimit('content creation per hour (500)', 'content', 500, 3_600_000, 10),
  windowLimit('points per minute (900)', 'points', 900, 60_000, 100),
];

export interface PacingState {
  /** When the tokens were counted. */
  at: number;
  /** Tokens per bucket, in the order of the specs. */
  tokens: number[];
  /** Nothing goes before this time (GitHub answered with a rate limit). */
  pausedUntil: number;
}

export interface Decision {
  /** 0: send now (the state has the cost taken); else ask again after this many whole ms. */
  waitMs: number;
  state: PacingState;
  /** What holds the request back, when it waits. */
  limitedBy?: string;
}

/** Every bucket full. */
export function restedState(specs: readonly BucketSpec[], now: number): PacingState {
  return { at: now, tokens: specs.map((s) => s.burst), pausedUntil: now };
}

function refilled(specs: readonly BucketSpec[], s: PacingState, now: number): PacingState {
  const dt = Math.max(0, now - s.at);
  return { ...s, at: Math.max(now, s.at), tokens: specs.map((b, i) => Math.min(b.burst, s.tokens[i] + (dt * b.refill) / b.perMs)) };
}

/** May a request of this cost go at `now`? If so the returned state has its cost taken from every bucket. */
export function decide(specs: readonly BucketSpec[], s: PacingState, cost: RequestCost, now: number): Decision {
  const state = refilled(specs, s, now);
  let waitMs = Math.max(0, state.pausedUntil - now);
  let limitedBy = waitMs > 0 ? 'a rate limit answer from GitHub' : undefined;
  specs.forEach((b, i) => {
    const need = Math.min(cost[b.measure], b.burst);
    const deficit = need - state.tokens[i];
    if (need <= 0 || deficit <= 0) return;
    const w = (deficit * b.perMs) / b.refill;
    if (w > waitMs) {
      waitMs = w;
      limitedBy = b.name;
    }
  });
  // Whole milliseconds, rounded up: a rounding error of the refill never lets a request go early,
  // and a wait never shrinks to less than the clock can tell.
  if (waitMs > 0) return { waitMs: Math.ceil(waitMs), state, limitedBy };
  return { waitMs: 0, state: { ...state, tokens: state.tokens.map((t, i) => t - cost[specs[i].measure]) } };
}

/** Hold everything until `until` (GitHub's retry-after or rate limit reset). */
export function pausedUntil(s: PacingState, until: number): PacingState {
  return { ...s, pausedUntil: Math.max(s.pausedUntil, until) };
}

/** How long until every bucket is full again and no pause holds: 0 for a quiet client. */
export function restedInMs(specs: readonly BucketSpec[], s: PacingState, now: number): number {
  const state = refilled(specs, s, now);
  return Math.max(state.pausedUntil - now, 0, ...specs.map((b, i) => ((b.burst - state.tokens[i]) * b.perMs) / b.refill));
}

// Requests for installation tokens are GitHub App authentication, outside these limits (as octokit's
// throttling treats them).
const AUTH_PATH = /^\/app\/installations\/[^/]+\/access_tokens$/;

/** What a request costs: `url` is octokit's route (`/repos/{owner}/{repo}/…`) or a full URL. */
export function requestCost(method: string, url: string): RequestCost {
  const m = method.toUpperCase();
  const path = new URL(url, 'http://github.invalid').pathname;
  const write = m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS';
  if (write && m === 'POST' && AUTH_PATH.test(path)) return { points: 0, mutative: 0, content: 0 };
  return { points: write ? 5 : 1, mutative: write ? 1 : 0, content: write && throttling.triggersNotification(path) ? 1 : 0 };
}
