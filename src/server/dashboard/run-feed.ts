import type { ServiceContext } from '../../reconcile/context.js';
import type { Step } from '../../reconcile/durable/observe-reads.js';
import { listRuns } from '../../engine/status.js';

/** How often a run's journal is read while someone follows it (ms). */
export const STREAM_POLL_MS = 100;
/** Steps read per poll at most. */
export const BATCH = 500;

/** One read of a run: its record (read first), then its steps after `from`, the lowest position a follower is at. */
export interface RunSnapshot {
  from: number;
  steps: Step[];
  run: { outcome: string; finishedAt: string | null } | undefined;
}

interface Follower {
  position: () => number;
  onSnapshot: (s: RunSnapshot) => void;
  onError: (err: Error) => void;
  /** The service is stopping: the reader ends. */
  onStop: () => void;
}

interface Feed {
  followers: Set<Follower>;
  wake: (() => void) | null;
}

/** Per service, per run: the one reader of that run in this process. */
const feeds = new WeakMap<ServiceContext, Map<number, Feed>>();

/**
 * Follow a run's journal. Every follower of one run in this process shares one reader: one read of
 * the run and one of its steps per poll period, however many tabs are open (each follower takes the
 * steps past its own position). The reader stops when its last follower leaves. Returns `leave`.
 */
export function followRun(ctx: ServiceContext, runId: number, follower: Follower): () => void {
  let byRun = feeds.get(ctx);
  if (!byRun) feeds.set(ctx, (byRun = new Map()));
  const running = byRun.get(runId);
  const feed = running ?? { followers: new Set<Follower>(), wake: null };
  feed.followers.add(follower);
  if (running)
    running.wake?.(); // read now: the newcomer gets what it missed at once
  else {
    byRun.set(runId, feed);
    void read(ctx, runId, feed, byRun);
  }
  const f = feed;
  return () => {
    f.followers.delete(follower);
    if (!f.followers.size) f.wake?.();
  };
}

async function read(ctx: ServiceContext, runId: number, feed: Feed, byRun: Map<number, Feed>): Promise<void> {
  // One listener per reader, not per stream: many tabs do not pile listeners on the service's signal.
  const stop = (): void => feed.wake?.();
  ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    while (feed.followers.size && !ctx.signal.aborted) {
      const from = Math.min(...[...feed.followers].map((f) => f.position()));
      try {
        // The run first: when it says finished, the steps read after it are all there are.
        const [run] = await listRuns(ctx.ws, { id: runId, limit: 1 });
        const steps = await ctx.observe.steps(runId, from, BATCH);
        const snapshot: RunSnapshot = { from, steps, run: run ? { outcome: run.outcome, finishedAt: run.finishedAt } : undefined };
        for (const f of [...feed.followers]) f.onSnapshot(snapshot);
      } catch (err) {
        for (const f of [...feed.followers]) f.onError(err as Error);
        feed.followers.clear();
        break;
      }
      if (!feed.followers.size) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, STREAM_POLL_MS);
        feed.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      feed.wake = null;
    }
    if (ctx.signal.aborted) for (const f of [...feed.followers]) f.onStop();
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    if (byRun.get(runId) === feed) byRun.delete(runId);
  }
}
