import type { ServiceContext } from './context.js';
import { backoff } from './context.js';
import type { Job } from './queue.js';
import type { OutboxItem } from './outbox.js';
import { WorkLoop } from './worker.js';
import { runPrPlan, type PrPlanPayload } from './pr-plan.js';
import { runBranch } from './branch.js';
import { runApply, RetryLater, type ApplyPayload } from './apply.js';
import { runCommand, type CommandPayload } from './command.js';
import { runDrift } from './drift.js';
import { deliver } from './deliver.js';
import { isPermanent } from '../forge/forge.js';

async function runJob(ctx: ServiceContext, job: Job): Promise<Record<string, unknown>> {
  const p = job.payload;
  switch (job.kind) {
    case 'pr-plan':
      return runPrPlan(ctx, p as unknown as PrPlanPayload);
    case 'branch':
      return runBranch(ctx, p as { sha: string; trigger: string });
    case 'apply':
      return runApply(ctx, p as unknown as ApplyPayload);
    case 'command':
      return runCommand(ctx, p as unknown as CommandPayload);
    case 'drift':
      return runDrift(ctx, p as { stack: string });
  }
}

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
      const result = await runJob(ctx, job);
      if (result.requeue) {
        await ctx.queue.retry(job.id, 0, 'interrupted by shutdown');
        log.warn('job interrupted by shutdown; queued again');
        return;
      }
      await ctx.queue.finish(job.id, 'done', result);
      log.info({ result }, `job ${job.id} (${job.kind}) done`);
    } catch (err) {
      const msg = describe(err);
      if (err instanceof RetryLater || job.attempts < ctx.timings.jobAttempts) {
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
      const permanent = isPermanent(err);
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
