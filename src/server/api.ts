import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../reconcile/context.js';

/**
 * A small read-only API: runs, stacks (state serial, applied commit, held applies), jobs and the
 * outbox. Nothing here holds secrets: plans and runs mask them already.
 */
export async function apiPlugin(app: FastifyInstance, o: { ctx: ServiceContext }): Promise<void> {
  const { ctx } = o;
  const limit = (q: unknown): number => Math.max(1, Math.min(Number((q as { limit?: string }).limit ?? 50) || 50, 500));

  app.get('/api/runs', async (req) => {
    const q = req.query as { stack?: string };
    return { runs: await ctx.store.runs({ repo: ctx.ws.repoName, stack: q.stack, limit: limit(req.query) }) };
  });

  app.get('/api/stacks', async () => {
    const head = await ctx.ws.resolve(undefined, false).catch(() => null);
    const at = head ? await ctx.ws.repoAt(head) : null;
    const holds = new Map((await ctx.records.holds()).map((h) => [h.stack, h]));
    const names = Object.keys(at?.repoConfig?.stacks ?? {}).sort();
    const stacks = [];
    for (const name of names) {
      const cfg = at!.repoConfig!.stacks[name];
      const state = await ctx.store.stackState(ctx.ws.key(name));
      const hold = holds.get(name);
      stacks.push({
        name,
        path: cfg.path,
        apply: cfg.apply,
        prune: cfg.prune,
        drift: cfg.drift ?? null,
        serial: state.serial,
        appliedCommit: state.appliedCommit,
        held: hold ? { commit: hold.commit, pr: hold.pr, reason: hold.reason } : null,
      });
    }
    return { repo: ctx.ws.repoName, branch: ctx.branch, head, stacks };
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
