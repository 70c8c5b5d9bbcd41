import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServiceContext } from '../../reconcile/context.js';
import type { Plan } from '../../plan/model.js';
import { listRuns, runPlan } from '../../engine/status.js';
import { policyRecords } from '../../reconcile/policy.js';
import { providerOf } from '../metrics.js';
import { stackSummaries, type ServerHooks } from '../stack-summaries.js';
import { DASHBOARD_CSS, LIVE_JS } from './assets.js';
import { streamRun } from './events.js';
import { html, layout, type PageContext } from './html.js';
import { renderOverview } from './overview.js';
import { renderPull } from './pull.js';
import { renderQueue } from './queue.js';
import { renderResource } from './resource.js';
import { renderRun } from './run.js';
import type { StoredPolicyReport } from './policy.js';
import { renderStack, type StackResource } from './stack.js';

/** Resources listed on a stack page at most (the total is shown). */
const RESOURCES_SHOWN = 1000;

/** The strict Content-Security-Policy of every answer: this origin's stylesheet and script only, nothing inline. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

function positive(raw: string): number | null {
  return /^\d{1,12}$/.test(raw) && Number(raw) > 0 ? Number(raw) : null;
}

function notFound(reply: FastifyReply, ctx: PageContext, what: string): FastifyReply {
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(layout({ title: 'Not found', body: html`<h1>Not found</h1><p>${what}</p>`, ctx }));
}

/**
 * The dashboard: server-rendered pages over the shared state (read-only), their two static files,
 * and the live progress of runs as server-sent events. The security headers and CSP_DIRECTIVES are
 * set for every answer of the server (app.ts).
 */
export async function dashboardPlugin(app: FastifyInstance, o: { ctx: ServiceContext; hooks: ServerHooks }): Promise<void> {
  const { ctx, hooks } = o;
  const page: PageContext = { repo: ctx.ws.repoName, links: ctx.forge?.links };
  const send = (reply: FastifyReply, text: string) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(text);

  app.get('/assets/dashboard.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(DASHBOARD_CSS));
  app.get('/assets/live.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(LIVE_JS));

  app.get('/', async (_req, reply) => {
    const { head, stacks } = await stackSummaries(ctx, hooks);
    return send(reply, renderOverview({ ctx: page, branch: ctx.branch, head, stacks }));
  });

  app.get('/stacks/:stack', async (req, reply) => {
    const name = (req.params as { stack: string }).stack;
    const { stacks } = await stackSummaries(ctx, hooks);
    const summary = stacks.find((s) => s.name === name);
    if (!summary) return notFound(reply, page, `No stack ${name} in the repository config at the branch head.`);
    const head = await ctx.ws.resolve(undefined, false);
    const targets = (await ctx.ws.repoAt(head)).repoConfig?.stacks[name]?.targets ?? {};
    const [recorded, changed, checks, holds, runs] = await Promise.all([
      ctx.store.resources(ctx.ws.key(name)),
      ctx.observe.lastChanged(name),
      ctx.observe.driftChecks(),
      ctx.records.holds(),
      listRuns(ctx.ws, { stack: name, limit: 50 }),
    ]);
    const ids = [...recorded.keys()].sort();
    const resources: StackResource[] = ids.slice(0, RESOURCES_SHOWN).map((id) => {
      const r = recorded.get(id)!;
      const c = changed.get(id);
      return {
        id,
        kind: r.kind,
        apiVersion: r.apiVersion,
        target: targets[providerOf(r.apiVersion)] ?? null,
        lastChange: c ? { runId: c.runId, commit: c.commit } : null,
      };
    });
    const check = checks.get(name);
    const drift = check?.runId ? ((await runPlan(ctx.ws, check.runId)) as Plan | null) : null;
    const hold = holds.find((h) => h.stack === name);
    const judged = hold?.pr ? (await policyRecords(ctx).results(hold.pr)).find((r) => r.stack === name) : undefined;
    const heldPolicy = judged ? { commit: judged.commit, report: judged.report as StoredPolicyReport | null } : null;
    return send(reply, renderStack({ ctx: page, summary, hold, heldPolicy, drift, resources, total: ids.length, runs }));
  });

  app.get('/stacks/:stack/resource', async (req, reply) => {
    const name = (req.params as { stack: string }).stack;
    const id = (req.query as { id?: string }).id;
    if (!id) return reply.code(400).send({ error: 'give the resource as ?id=KIND/NAME' });
    const events = await ctx.observe.resourceHistory(name, id);
    const plans = new Map<number, Plan | null>();
    for (const runId of new Set(events.map((e) => e.runId))) plans.set(runId, (await runPlan(ctx.ws, runId)) as Plan | null);
    return send(reply, renderResource({ ctx: page, stack: name, id, events, plans }));
  });

  app.get('/runs/:id', async (req, reply) => {
    const id = positive((req.params as { id: string }).id);
    if (!id) return reply.code(400).send({ error: 'a run id is a positive integer' });
    const [run] = await listRuns(ctx.ws, { id, limit: 1 });
    if (!run) return notFound(reply, page, `No run ${id}.`);
    const [plan, steps, judged] = await Promise.all([runPlan(ctx.ws, id), ctx.observe.steps(id, 0, 5000), policyRecords(ctx).runResult(id)]);
    return send(reply, renderRun({ ctx: page, run, plan: plan as Plan | null, steps, policy: (judged?.report ?? null) as StoredPolicyReport | null }));
  });

  app.get('/runs/:id/events', async (req, reply) => {
    const id = positive((req.params as { id: string }).id);
    if (!id) return reply.code(400).send({ error: 'a run id is a positive integer' });
    return streamRun(ctx, req, reply, id);
  });

  app.get('/pulls/:number', async (req, reply) => {
    const pr = positive((req.params as { number: string }).number);
    if (!pr) return reply.code(400).send({ error: 'a pull request number is a positive integer' });
    const [posted, runs, holds] = await Promise.all([ctx.observe.postedPlans(pr), listRuns(ctx.ws, { pr, limit: 200 }), ctx.records.holds(pr)]);
    return send(reply, renderPull({ ctx: page, pr, posted, runs, holds }));
  });

  app.get('/queue', async (_req, reply) => {
    const [jobs, locks, outbox] = await Promise.all([ctx.observe.openJobs(), ctx.observe.locks(), ctx.outbox.list(100)]);
    return send(reply, renderQueue({ ctx: page, jobs, locks, outbox }));
  });
}
