import type { Logger } from 'pino';
import type { Workspace } from '../engine/workspace.js';
import type { StateStore } from '../state/store.js';
import type { Forge } from '../forge/forge.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import type { JobQueue } from './durable/queue.js';
import type { Outbox } from './durable/outbox.js';
import type { ServiceRecords } from './durable/records.js';
import type { ObserveReads } from './durable/observe-reads.js';

/** Timings of the service; defaults suit production, tests shorten them. */
export interface ServiceTimings {
  /** How long a claimed job or outbox entry stays ours without renewal. */
  leaseMs: number;
  /** How often idle workers look for work another replica queued. */
  idleMs: number;
  /** First retry delay of a failed job or outbox delivery (doubles each time). */
  retryBaseMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
  /** Attempts of a job before it is marked failed. */
  jobAttempts: number;
  /** Jobs run at once by one process (different lanes). */
  concurrency: number;
}

export const DEFAULT_TIMINGS: ServiceTimings = {
  leaseMs: 60_000,
  idleMs: 2_000,
  retryBaseMs: 2_000,
  retryMaxMs: 5 * 60_000,
  jobAttempts: 5,
  concurrency: 4,
};

/** Everything a job handler may use. No handler keeps state of its own between jobs. */
export interface ServiceContext {
  ws: Workspace;
  store: StateStore;
  queue: JobQueue;
  outbox: Outbox;
  records: ServiceRecords;
  /** Drift checks, run steps, resource history and counts, for the dashboard and the metrics. */
  observe: ObserveReads;
  forge?: Forge;
  log: Logger;
  branch: string;
  timings: ServiceTimings;
  /** Aborted on shutdown: applies stop starting new steps. */
  signal: AbortSignal;
  /** Does the state store answer? (readiness) */
  ping(): Promise<void>;
  /** The clock drift acknowledgements are judged by (default: the system clock; tests set it). */
  now?: () => Date;
  /** Wake the job and outbox workers (work was queued by this process). */
  wake(): void;
  /** A new repository config was seen at the tracked branch's head (drift schedules follow it). */
  onRepoConfig(config: RepoConfig, source: string, commit: string): void;
}

export function backoff(t: ServiceTimings, attempts: number): number {
  return Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}
