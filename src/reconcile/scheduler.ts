import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { RepoConfig } from '../manifests/repo-config.js';
import type { ServiceContext } from './context.js';
import { branchJob, driftJob, prPlanJob, type TypedJobSpec } from './jobs/specs.js';
import { cronProblem, scheduleDiagnostics } from './cron-check.js';
import { formatDiagnostic } from '../manifests/diagnostics.js';

function cronLogger(log: Logger): { info(m: string): void; warn(m: string): void; error(m: string | Error): void; debug(m: string | Error): void } {
  return {
    info: () => undefined,
    debug: () => undefined,
    warn: (m) => log.debug({ source: 'node-cron' }, String(m)),
    error: (m) => log.error({ source: 'node-cron' }, String(m instanceof Error ? m.message : m)),
  };
}

/**
 * Time-driven work, with node-cron: the poll (fetch, then queue what webhooks may have missed:
 * the branch head and every open pull request's head) and each stack's drift schedule. Ticks only
 * queue jobs with de-duplication keys, so several replicas ticking together queue each job once.
 */
export class Scheduler {
  private poll: ScheduledTask | null = null;
  private drift = new Map<string, { expr: string; task: ScheduledTask }>();
  private polling: Promise<void> | null = null;
  /** Set by stop(): a job finishing during shutdown must not schedule drift checks that keep the process alive. */
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly pollExpr: string,
  ) {}

  start(): void {
    if (this.pollExpr !== 'off') {
      const problem = cronProblem(this.pollExpr);
      if (problem) throw new Error(`poll: ${problem}`);
      this.poll = cron.schedule(this.pollExpr, () => this.pollNow(), { name: 'driftless-poll', noOverlap: true, logger: cronLogger(this.ctx.log) });
    }
  }

  /** Fetch and queue what is new; also run once at start-up to catch up. Overlapping calls share one run. */
  pollNow(): Promise<void> {
    this.polling ??= this.doPoll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async doPoll(): Promise<void> {
    const { ctx } = this;
    try {
      const head = await ctx.ws.resolve();
      const jobs: TypedJobSpec[] = [branchJob(head, 'poll')];
      if (ctx.forge) {
        const open = await ctx.forge.listOpenPulls(ctx.branch);
        for (const pr of open) {
          if (!pr.draft) jobs.push(prPlanJob(pr.number, pr.headSha, 'poll'));
        }
        // Without webhooks, a rollback pull request that is no longer open ends its quarantine here.
        const still = new Set(open.map((pr) => pr.number));
        for (const r of await ctx.records.openRollbacks()) {
          if (still.has(r.pr)) continue;
          const pull = await ctx.forge.getPull(r.pr);
          if (pull.state !== 'closed') continue;
          const ended = await ctx.records.endRollback(r.pr, pull.merged ? 'merged' : 'closed');
          if (ended) ctx.log.info({ pr: r.pr, stack: r.stack }, `quarantine of stack ${r.stack} lifted: rollback #${r.pr} ${ended.state}`);
        }
      }
      const ids = await ctx.queue.enqueue(jobs);
      if (ids.length) {
        ctx.log.info({ queued: ids.length }, 'poll found new work');
        ctx.wake();
      }
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'poll failed');
    }
  }

  /** Follow the repo config at the branch head: one cron task per stack with a valid drift.schedule. */
  updateDrift(config: RepoConfig, source: string): void {
    if (this.stopped) return;
    const invalid = new Set<string>();
    for (const d of scheduleDiagnostics(config, source)) {
      this.ctx.log.error(`drift schedule refused: ${formatDiagnostic(d)}`);
      invalid.add(d.field?.split('/')[2] ?? '');
    }
    const wanted = new Map<string, string>();
    for (const [name, s] of Object.entries(config.stacks)) {
      if (s.drift?.schedule && !invalid.has(name)) wanted.set(name, s.drift.schedule);
    }
    for (const [name, t] of this.drift) {
      if (wanted.get(name) !== t.expr) {
        void t.task.destroy();
        this.drift.delete(name);
      }
    }
    for (const [name, expr] of wanted) {
      if (this.drift.has(name)) continue;
      const unit = expr.trim().split(/\s+/).length === 6 ? 1000 : 60_000;
      const task = cron.schedule(expr, (c) => this.queueDrift(name, c.date, unit), {
        name: `driftless-drift-${name}`,
        noOverlap: true,
        logger: cronLogger(this.ctx.log),
      });
      this.drift.set(name, { expr, task });
    }
  }

  private async queueDrift(stack: string, at: Date, unit: number): Promise<void> {
    // One key per stack and tick: replicas firing together queue one job.
    const tick = new Date(Math.floor(at.getTime() / unit) * unit).toISOString();
    try {
      const ids = await this.ctx.queue.enqueue([driftJob(stack, String(tick))]);
      if (ids.length) this.ctx.wake();
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, stack }, 'could not queue a drift check');
    }
  }

  /** When the stack's next drift check is due (null: no schedule, or none this process knows). */
  nextDrift(stack: string): Date | null {
    return this.drift.get(stack)?.task.getNextRun() ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) await this.poll.destroy();
    for (const t of this.drift.values()) await t.task.destroy();
    this.drift.clear();
    await this.polling;
  }
}
