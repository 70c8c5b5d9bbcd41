import type { ServiceContext } from '../reconcile/context.js';
import type { LatestRun } from '../reconcile/durable/observe-reads.js';
import { stackStatus, type StackStatus } from './dashboard/status.js';

/** What the overview and the metrics show of one stack. */
export interface StackSummary {
  name: string;
  path: string;
  appliedCommit: string | null;
  status: StackStatus;
  reason: string | null;
  lastRun: LatestRun | null;
  drifted: number;
  nextDriftCheck: string | null;
  /** The open rollback pull request that quarantines the stack (new commits are planned, not applied). */
  quarantinedBy: number | null;
  /** The stacks it waits for (`dependsOn` in driftless.yaml). */
  dependsOn?: string[];
}

/** Server-side hooks the pages need from the composition root (the drift schedules live in the scheduler). */
export interface ServerHooks {
  nextDrift?(stack: string): Date | null;
}

type Configured = Record<string, { path: string; dependsOn?: string[] }>;
/** The stacks of the repository config at the last head asked about, per service (the overview is asked often, the head changes seldom). */
const lastConfig = new WeakMap<ServiceContext, { head: string; stacks: Configured }>();

async function configuredStacks(ctx: ServiceContext, head: string): Promise<Configured> {
  const memo = lastConfig.get(ctx);
  if (memo?.head === head) return memo.stacks;
  const stacks: Configured = (await ctx.ws.repoAt(head)).repoConfig?.stacks ?? {};
  lastConfig.set(ctx, { head, stacks });
  return stacks;
}

/**
 * Every stack of the tracked branch's repository config with its status, from the shared state in a
 * fixed number of queries (not one per stack), so the overview stays cheap with many stacks.
 */
export async function stackSummaries(ctx: ServiceContext, hooks: ServerHooks = {}): Promise<{ head: string | null; stacks: StackSummary[] }> {
  const head = await ctx.ws.resolve(undefined, false).catch(() => null);
  const configured = head ? await configuredStacks(ctx, head) : {};
  const [applied, holds, drift, locks, latest, lastApply, running, queued, rollbacks] = await Promise.all([
    ctx.observe.appliedCommits(),
    ctx.records.holds(),
    ctx.observe.driftChecks(),
    ctx.observe.locks(),
    ctx.observe.latestRuns(),
    ctx.observe.latestRuns(['apply', 'remediate']),
    ctx.observe.runningRuns(),
    ctx.observe.queuedLanes(),
    ctx.records.openRollbacks(),
  ]);
  const quarantines = new Map(rollbacks.map((r) => [r.stack, r.pr]));
  const held = new Map(holds.map((h) => [h.stack, h]));
  const stacks = Object.keys(configured)
    .sort()
    .map((name): StackSummary => {
      const s = stackStatus({
        lastApply: lastApply.get(name),
        running: running.get(name),
        hold: held.get(name),
        drift: drift.get(name),
        queued: queued.has(`stack:${name}`),
        lock: locks.get(name),
      });
      const d = drift.get(name);
      return {
        name,
        path: configured[name].path,
        appliedCommit: applied.get(name) ?? null,
        ...s,
        lastRun: latest.get(name) ?? null,
        drifted: s.status === 'drifted' && d ? d.drifted : 0,
        nextDriftCheck: hooks.nextDrift?.(name)?.toISOString() ?? null,
        quarantinedBy: quarantines.get(name) ?? null,
        dependsOn: configured[name].dependsOn ?? [],
      };
    });
  return { head, stacks };
}
