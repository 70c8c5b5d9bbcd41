import { decide, GITHUB_PACING, pausedUntil, restedInMs, restedState, type BucketSpec, type PacingState, type RequestCost } from './pacing.js';

/** Holds each GitHub request until the pacing buckets allow it (reads and writes each first come, first served) and counts the waits. */

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface PacingStats {
  /** Requests let through. */
  admitted: number;
  /** Of those, the ones that had to wait for a bucket (or a rate limit pause). */
  waited: number;
  /** Their waits, summed. */
  waitedMs: number;
  /** Requests refused because they would have waited longer than `maxWaitMs`. */
  refused: number;
}

/** A request that would wait too long: thrown to the caller (the outbox sends it later, a job runs again). */
export class PacingRefusedError extends Error {
  constructor(waitMs: number, limitedBy: string | undefined) {
    super(`GitHub pacing: this request would wait ${(waitMs / 1000).toFixed(1)} s for ${limitedBy ?? 'its turn'}; it is tried again later`);
    this.name = 'PacingRefusedError';
  }
}

interface Waiter {
  cost: RequestCost;
  since: number;
  resolve(): void;
  reject(err: Error): void;
}

type Lane = 'read' | 'write';

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface PacerOptions {
  /** The buckets (default: GitHub's documented limits, pacing.ts). */
  specs?: readonly BucketSpec[];
  /**
   * Longest wait of one request before it is refused (default 30 s: half the outbox's lease, so a
   * delivery never outlives its claim while it waits).
   */
  maxWaitMs?: number;
  clock?: PacerClock;
}

/**
 * One client's pacing. A read never queues behind a write waiting for the mutative budget; within
 * reads, and within writes, requests go in arrival order (the outbox decides which write comes
 * first). GitHub's own answers (retry-after, a rate limit reset) pause everything through `pause`.
 */
export class Pacer {
  readonly specs: readonly BucketSpec[];
  readonly stats: PacingStats = { admitted: 0, waited: 0, waitedMs: 0, refused: 0 };
  private state: PacingState;
  private readonly clock: PacerClock;
  private readonly maxWaitMs: number;
  private readonly lanes: Record<Lane, Waiter[]> = { read: [], write: [] };
  private readonly pumping: Record<Lane, boolean> = { read: false, write: false };

  constructor(o: PacerOptions = {}) {
    this.specs = o.specs ?? GITHUB_PACING;
    this.clock = o.clock ?? realClock;
    this.maxWaitMs = o.maxWaitMs ?? 30_000;
    this.state = restedState(this.specs, this.clock.now());
  }

  /** Resolves when a request of this cost may be sent (its cost is then taken); rejects if it would wait too long. */
  admit(cost: RequestCost): Promise<void> {
    const lane: Lane = cost.mutative > 0 || cost.content > 0 ? 'write' : 'read';
    const queue = this.lanes[lane];
    const now = this.clock.now();
    if (!queue.length) {
      const d = decide(this.specs, this.state, cost, now);
      this.state = d.state;
      if (d.waitMs === 0) {
        this.stats.admitted++;
        return Promise.resolve();
      }
    }
    return new Promise<void>((resolve, reject) => {
      queue.push({ cost, since: now, resolve, reject });
      void this.pump(lane);
    });
  }

  /** GitHub said to wait (retry-after, or a rate limit reset): nothing goes for `ms`. */
  pause(ms: number): void {
    this.state = pausedUntil(this.state, this.clock.now() + ms);
  }

  /** How long until the pacing is back to a quiet client's (every bucket full): 0 when it is. */
  restedInMs(): number {
    return restedInMs(this.specs, this.state, this.clock.now());
  }

  private async pump(lane: Lane): Promise<void> {
    if (this.pumping[lane]) return;
    this.pumping[lane] = true;
    const queue = this.lanes[lane];
    try {
      while (queue.length) {
        const head = queue[0];
        const now = this.clock.now();
        const d = decide(this.specs, this.state, head.cost, now);
        this.state = d.state;
        if (d.waitMs === 0) {
          queue.shift();
          this.stats.admitted++;
          this.stats.waited++;
          this.stats.waitedMs += now - head.since;
          head.resolve();
        } else if (now + d.waitMs - head.since > this.maxWaitMs) {
          queue.shift();
          this.stats.refused++;
          head.reject(new PacingRefusedError(now + d.waitMs - head.since, d.limitedBy));
        } else {
          await this.clock.sleep(Math.ceil(d.waitMs));
        }
      }
    } finally {
      this.pumping[lane] = false;
    }
  }
}
