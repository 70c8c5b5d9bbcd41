import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from './config/server-config.js';
import { Workspace } from './engine/workspace.js';
import { JobQueue } from './reconcile/durable/queue.js';
import { Outbox } from './reconcile/durable/outbox.js';
import { ServiceRecords } from './reconcile/durable/records.js';
import { ObserveReads } from './reconcile/durable/observe-reads.js';
import { durableMigrations } from './reconcile/durable/migration.js';
import { DEFAULT_TIMINGS, type ServiceContext, type ServiceTimings } from './reconcile/context.js';
import { Reconciler } from './reconcile/reconciler.js';
import { Scheduler } from './reconcile/scheduler.js';
import { pollProblem } from './reconcile/cron-check.js';
import type { GitHubTimings } from './forge/github/client.js';
import { createForge, createLogin } from './forge/registry.js';
import { repoConfigSource } from './engine/changes.js';
import { buildApp } from './server/app.js';
import { createLogger } from './server/logger.js';
import { createMetrics, type ServiceMetrics } from './server/metrics.js';

export interface ServiceOptions {
  timings?: Partial<ServiceTimings>;
  github?: GitHubTimings;
  log?: Logger;
  /** The clock drift acknowledgements are judged by (tests only; default: the system clock). */
  now?: () => Date;
}

export interface RunningService {
  url: string;
  ctx: ServiceContext;
  app: FastifyInstance;
  reconciler: Reconciler;
  scheduler: Scheduler;
  /** Graceful stop: no new work, running provider steps finish, then everything closes. */
  close(): Promise<void>;
}

/**
 * Start `driftless serve`: the workspace (mirror, state), the forge, the reconciler's loops, the
 * scheduler and the HTTP server. Jobs left running by a dead process are taken back: at once with
 * the embedded store (this process holds the data dir), after their lease with PostgreSQL.
 */
export async function startService(config: ServerConfig, o: ServiceOptions = {}): Promise<RunningService> {
  const log = o.log ?? createLogger();
  const poll = pollProblem(config.poll);
  if (poll) throw new Error(poll);
  let metrics: ServiceMetrics | undefined;
  const forge = createForge(config, log, { github: { ...o.github, onResponse: (status) => metrics?.forgeRequests.inc({ status: String(status) }) } });
  const ws = await Workspace.open(config, 'serve', { migrations: durableMigrations });
  let store: Awaited<ReturnType<typeof ws.store>>;
  try {
    store = await ws.store();
  } catch (err) {
    await ws.close();
    throw err;
  }
  const started = store.db.started;
  if (started?.from === 'template') log.info({ template: started.template }, 'new state data dir unpacked from the template (no initdb)');
  else if (started?.from === 'initdb')
    log.warn({ reason: started.reason }, 'new state data dir made by initdb (slow, ~700 MB peak): the template was not used');
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const timings: ServiceTimings = { ...DEFAULT_TIMINGS, ...o.timings };
  const queue = new JobQueue(store.db, ws.repoName, owner);
  const outbox = new Outbox(store.db, ws.repoName, owner);
  const records = new ServiceRecords(store.db, ws.repoName);
  if (store.db.kind === 'embedded') {
    const n = await queue.recover(true);
    await outbox.recover(true);
    if (n) log.info({ jobs: n }, 'jobs left running by a previous process were queued again');
  }
  const abort = new AbortController();
  let scheduler: Scheduler | undefined;
  let reconciler: Reconciler | undefined;
  const ctx: ServiceContext = {
    ws,
    store,
    queue,
    outbox,
    records,
    observe: new ObserveReads(store.db, ws.repoName),
    forge,
    log,
    branch: config.repo.branch,
    timings,
    signal: abort.signal,
    now: o.now,
    ping: () => store.ping(),
    wake: () => reconciler?.wake(),
    onRepoConfig: (cfg, source) => scheduler?.updateDrift(cfg, source),
  };
  reconciler = new Reconciler(ctx);
  scheduler = new Scheduler(ctx, config.poll);
  let ready = false;
  const hooks = { nextDrift: (stack: string) => scheduler?.nextDrift(stack) ?? null };
  metrics = createMetrics(ctx, hooks);
  const app = await buildApp(ctx, config, log, () => ready, { metrics, hooks, login: createLogin(config) });
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await ws.close();
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  reconciler.start();
  scheduler.start();
  // Catch up at start: the branch head, open pull requests, the drift schedules.
  void (async () => {
    try {
      const head = await ws.resolve(undefined, false);
      const at = await ws.repoAt(head);
      const source = await repoConfigSource(ws, head);
      if (at.repoConfig && source) scheduler!.updateDrift(at.repoConfig, source);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read the repository config at start-up');
    }
    await scheduler!.pollNow();
    ready = true;
  })();
  log.info(
    { url, repo: ws.repoName, branch: config.repo.branch, forge: forge?.name ?? null, state: store.db.kind, poll: config.poll },
    'driftless serve is listening',
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    ctx,
    app,
    reconciler,
    scheduler,
    close() {
      closing ??= (async () => {
        log.info('shutting down: finishing running steps');
        ready = false;
        abort.abort();
        await scheduler!.stop();
        await app.close();
        await reconciler!.stop();
        await ws.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}
