import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../reconcile/context.js';
import { listRuns, runPlan, stackStatus } from '../engine/status.js';
import type { Rollback } from '../reconcile/durable/records.js';
import { stackSummaries, type ServerHooks } from './stack-summaries.js';
import { policyRecords } from '../reconcile/policy.js';

/**
 * A small read-only API: runs, stacks (state serial, applied commit, held applies), jobs and the
 * outbox. Nothing here holds secrets: plans and runs mask them already.
 */
export async function apiPlugin(app: FastifyInstance, o: { ctx: ServiceContext; hooks?: ServerHooks }): Promise<void> {
  const { ctx } = o;
  /** `?limit=N`, 1 to 500 (default 50); anything else is a 400 that says so, not silently ignored. */
  const limit = (q: unknown): number => {
    const raw = (q as { limit?: string }).limit;
    if (raw === undefined) return 50;
    const n = Number(raw);
    if (!/^\d+$/.test(String(raw)) || n < 1 || n > 500)
      throw Object.assign(new Error(`limit must be a whole number from 1 to 500, not ${JSON.stringify(raw)}`), { statusCode: 400 });
    return n;
  };

  app.get('/api/runs', async (req) => {
    const q = req.query as { stack?: string };
    return { runs: await listRuns(ctx.ws, { stack: q.stack, limit: limit(req.query) }) };
  });

  app.get('/api/stacks', async () => {
    const head = await ctx.ws.resolve(undefined, false).catch(() => null);
    const at = head ? await ctx.ws.repoAt(head) : null;
    const holds = new Map((await ctx.records.holds()).map((h) => [h.stack, h]));
    const quarantines = new Map((await ctx.records.openRollbacks()).map((r) => [r.stack, r]));
    const names = Object.keys(at?.repoConfig?.stacks ?? {}).sort();
    // The status the overview shows (in-sync, drifted, held, applying, failed, invalid, waiting) and why.
    const summaries = new Map((await stackSummaries(ctx, o.hooks)).stacks.map((s) => [s.name, s]));
    const stacks = [];
    for (const name of names) {
      const cfg = at!.repoConfig!.stacks[name];
      const state = await stackStatus(ctx.ws, name);
      const hold = holds.get(name);
      const [last] = await listRuns(ctx.ws, { stack: name, limit: 1 });
      stacks.push({
        name,
        path: cfg.path,
        apply: cfg.apply,
        prune: cfg.prune,
        drift: cfg.drift ?? null,
        status: summaries.get(name)?.status ?? null,
        reason: summaries.get(name)?.reason ?? null,
        drifted: summaries.get(name)?.drifted ?? 0,
        nextDriftCheck: summaries.get(name)?.nextDriftCheck ?? null,
        serial: state.serial,
        appliedCommit: state.appliedCommit,
        held: hold ? { commit: hold.commit, pr: hold.pr, reason: hold.reason } : null,
        quarantine: quarantineOf(quarantines.get(name)),
        lastRun: last ? { id: last.id, kind: last.kind, outcome: last.outcome, commit: last.commit, error: last.error, finishedAt: last.finishedAt } : null,
      });
    }
    return { repo: ctx.ws.repoName, branch: ctx.branch, head, stacks };
  });

  /** One run with the plan it carried out (masked: plans never hold secret values). */
  app.get('/api/runs/:id', async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    if (!Number.isSafeInteger(id) || id < 1) return reply.code(400).send({ error: 'a run id is a positive integer' });
    const [run] = await listRuns(ctx.ws, { id, limit: 1 });
    if (!run) return reply.code(404).send({ error: `no run ${id}` });
    return { run, plan: await runPlan(ctx.ws, id), policy: await policyRecords(ctx).runResult(id) };
  });

  /** The plans last posted on a pull request, per stack (masked JSON), and the applies held for it. */
  app.get('/api/pulls/:number', async (req, reply) => {
    const pr = Number((req.params as { number: string }).number);
    if (!Number.isSafeInteger(pr) || pr < 1) return reply.code(400).send({ error: 'a pull request number is a positive integer' });
    const policy = policyRecords(ctx);
    return {
      pr,
      plans: await ctx.records.prPlans(pr),
      held: await ctx.records.holds(pr),
      policy: { results: await policy.results(pr), overrides: await policy.overrides({ pr }) },
    };
  });

  app.get('/api/jobs', async (req) => ({ jobs: await ctx.queue.list({ status: (req.query as { status?: string }).status, limit: limit(req.query) }) }));

  app.get('/api/outbox', async (req) => ({
    outbox: (await ctx.outbox.list(limit(req.query))).map((e) => ({
      id: e.id,
      type: e.op.type,
      status: e.status,
      attempts: e.attempts,
      lastError: e.lastError,
      createdAt: e.createdAt,
      deliveredAt: e.deliveredAt,
    })),
  }));
}

/** A stack's quarantine as the API shows it: the open rollback pull request that holds it. */
function quarantineOf(r: Rollback | undefined): { pr: number; target: string; undoes: string[]; reason: string } | null {
  if (!r) return null;
  return { pr: r.pr, target: r.target, undoes: r.undoes.map((u) => u.sha), reason: `quarantined by rollback PR #${r.pr}` };
}
