import type { ServiceContext } from './context.js';
import { backoff } from './context.js';
import type { Job } from './durable/queue.js';
import type { OutboxItem } from './durable/outbox.js';
import { WorkLoop } from './loop.js';
import { runJob } from './jobs/index.js';
import { deliver } from './deliver.js';

function describe(err: unknown): string {
  const e = err as { status?: number; message?: string };
  return e.status ? `HTTP ${e.status}: ${e.message}` : String(e?.message ?? err);
}

/**
 * The controller: one loop runs jobs (a job per lane at a time, several lanes at once), another
 * delivers the outbox. Failed jobs are retried with back-off up to `jobAttempts`; failed
 * deliveries until they succeed (permanent refusals a few times, then they are marked failed).
 */
export class Reconciler {
  readonly jobs: WorkLoop<Job>;
  readonly deliveries: WorkLoop<OutboxItem>;

  constructor(private readonly ctx: ServiceContext) {
    const t = ctx.timings;
    this.jobs = new WorkLoop<Job>({
      name: 'jobs',
      log: ctx.log,
      concurrency: t.concurrency,
      idleMs: t.idleMs,
      leaseMs: t.leaseMs,
      claim: () => (ctx.signal.aborted ? Promise.resolve(null) : ctx.queue.claim(t.leaseMs)),
      renew: (ids) => ctx.queue.renew(ids, t.leaseMs),
      run: (job) => this.runJob(job),
    });
    this.deliveries = new WorkLoop<OutboxItem>({
      name: 'outbox',
      log: ctx.log,
      concurrency: 2,
      idleMs: t.idleMs,
      leaseMs: t.leaseMs,
      claim: () => ctx.outbox.claim(t.leaseMs),
      renew: async () => undefined,
      run: (item) => this.deliver(item),
    });
  }

  start(): void {
    this.jobs.start();
    this.deliveries.start();
  }

  wake(): void {
    this.jobs.wake();
    this.deliveries.wake();
  }

  private async runJob(job: Job): Promise<void> {
    const { ctx } = this;
    const log = ctx.log.child({ job: job.id, kind: job.kind, lane: job.lane });
    log.info({ attempt: job.attempts }, `job ${job.id} (${job.kind}) started`);
    try {
      const r = await runJob(ctx, job);
      if (r.status === 'requeue') {
        const delay = r.afterMs ?? backoff(ctx.timings, job.attempts);
        await ctx.queue.retry(job.id, delay, r.reason);
        log.warn({ retryInMs: delay }, `job ${job.id} (${job.kind}) queued again: ${r.reason}`);
        return;
      }
      if (r.status === 'failed') {
        await ctx.queue.finish(job.id, 'failed', undefined, r.error);
        log.error({ err: r.error }, `job ${job.id} (${job.kind}) failed for good`);
        return;
      }
      await ctx.queue.finish(job.id, 'done', r.result);
      log.info({ result: r.result }, `job ${job.id} (${job.kind}) done`);
    } catch (err) {
      const msg = describe(err);
      if (job.attempts < ctx.timings.jobAttempts) {
        const delay = backoff(ctx.timings, job.attempts);
        await ctx.queue.retry(job.id, delay, msg);
        log.warn({ err: msg, retryInMs: delay }, `job ${job.id} (${job.kind}) failed; will retry`);
      } else {
        await ctx.queue.finish(job.id, 'failed', undefined, msg);
        log.error({ err: msg }, `job ${job.id} (${job.kind}) failed for good`);
      }
    } finally {
      this.wake();
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const { ctx } = this;
    try {
      await deliver(ctx, item);
      await ctx.outbox.delivered(item.id);
    } catch (err) {
      const msg = describe(err);
      const permanent = ctx.forge?.isPermanent(err) ?? false;
      const giveUp = permanent && item.attempts >= 3;
      await ctx.outbox.failed(item.id, msg, giveUp ? null : backoff(ctx.timings, item.attempts));
      ctx.log[giveUp ? 'error' : 'warn']({ outbox: item.id, op: item.op.type, err: msg }, giveUp ? 'delivery refused for good' : 'delivery failed; will retry');
    }
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    await this.deliveries.stop();
  }
}
