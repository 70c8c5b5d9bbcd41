import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../reconcile/context.js';
import { STACK_STATUSES } from './dashboard/status.js';
import { stackSummaries, type ServerHooks } from './stack-summaries.js';

/** Bounds of `driftless_run_duration_seconds` (seconds). */
export const RUN_DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** The counters the service increments as things happen in this process (the rest is read from the state on each scrape). */
export interface ServiceMetrics {
  registry: Registry;
  webhookDeliveries: Counter<'event' | 'result'>;
  forgeRequests: Counter<'status'>;
}

/** The provider a resource belongs to, from its apiVersion (`fs.driftless.dev/v1` -> `fs`). */
export function providerOf(apiVersion: string): string {
  return apiVersion.split('/')[0].split('.')[0] || 'unknown';
}

/**
 * The Prometheus registry of one service: process metrics (prom-client's defaults), the counters of
 * this process (webhook deliveries, forge requests), and gauges and counters read from the shared
 * state when scraped (stack status, runs, run durations, drift, jobs, outbox, provider operations).
 * The latter are the same on every replica: aggregate them with `max`, not `sum`.
 */
export function createMetrics(ctx: ServiceContext, hooks: ServerHooks = {}): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const webhookDeliveries = new Counter({
    name: 'driftless_webhook_deliveries_total',
    help: 'Webhook deliveries received, by event and result (queued, ignored, duplicate, refused).',
    labelNames: ['event', 'result'] as const,
    registers: [registry],
  });
  const forgeRequests = new Counter({
    name: 'driftless_forge_requests_total',
    help: 'Requests this process sent to the forge API, by HTTP status (0: no answer).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'driftless_stack_status',
    help: "Each stack's status: 1 for the status it is in, 0 for the others.",
    labelNames: ['stack', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { stacks } = await stackSummaries(ctx, hooks);
      for (const s of stacks) for (const status of STACK_STATUSES) this.set({ stack: s.name, status }, s.status === status ? 1 : 0);
    },
  });
  new Gauge({
    name: 'driftless_drifted_resources',
    help: 'Resources found drifted by the last drift check of each stack (0 after an apply or a clean check).',
    labelNames: ['stack'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const checks = await ctx.observe.driftChecks();
      const applies = await ctx.observe.latestRuns(['apply', 'remediate']);
      for (const [stack, d] of checks) {
        const after = applies.get(stack)?.finishedAt;
        this.set({ stack }, !after || d.checkedAt > after ? d.drifted : 0);
      }
    },
  });
  new Counter({
    name: 'driftless_runs_total',
    help: 'Runs recorded in the state, by stack, kind (apply, drift, remediate) and outcome.',
    labelNames: ['stack', 'kind', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await ctx.observe.runCounts()) this.inc({ stack: c.stack, kind: c.kind, outcome: c.outcome }, c.n);
    },
  });
  new Gauge({
    name: 'driftless_jobs_waiting',
    help: 'Jobs queued and not yet started.',
    registers: [registry],
    async collect() {
      this.set(await ctx.observe.jobsWaiting());
    },
  });
  new Gauge({
    name: 'driftless_outbox_pending',
    help: 'Forge and audit writes not yet delivered.',
    registers: [registry],
    async collect() {
      this.set(await ctx.outbox.pending());
    },
  });
  new Counter({
    name: 'driftless_provider_operations_total',
    help: 'Provider calls recorded in the journal, by provider, kind, operation and outcome (ok, failed, recovered, running).',
    labelNames: ['provider', 'kind', 'operation', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await ctx.observe.providerCounts())
        this.inc({ provider: providerOf(c.apiVersion), kind: c.kind, operation: c.operation, outcome: c.outcome }, c.n);
    },
  });
  registry.registerMetric(runDurations(ctx));
  return { registry, webhookDeliveries, forgeRequests };
}

/** `driftless_run_duration_seconds`: a histogram of every finished run's duration, read from the state on each scrape. */
function runDurations(ctx: ServiceContext): Metric {
  const name = 'driftless_run_duration_seconds';
  const help = 'Duration of finished runs (apply, drift, remediate), from start to finish.';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'max',
    async get() {
      const h = await ctx.observe.runDurations(RUN_DURATION_BUCKETS);
      const values = [
        ...RUN_DURATION_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le }, value: h.buckets[i] })),
        { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
        { metricName: `${name}_sum`, labels: {}, value: h.sum },
        { metricName: `${name}_count`, labels: {}, value: h.count },
      ];
      return { name, help, type: 'histogram', aggregator: 'max', values };
    },
  } as unknown as Metric;
}

/** GET /metrics in Prometheus' text format. */
export async function metricsPlugin(app: FastifyInstance, o: { metrics: ServiceMetrics }): Promise<void> {
  app.get('/metrics', async (_req, reply) => {
    const text = await o.metrics.registry.metrics();
    return reply.type(o.metrics.registry.contentType).send(text);
  });
}
