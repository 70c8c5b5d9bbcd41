import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceContext } from '../reconcile/context.js';
import { webhookPlugin } from './webhook.js';
import { apiPlugin } from './api.js';
import helmet from '@fastify/helmet';
import { CSP_DIRECTIVES, dashboardPlugin } from './dashboard/routes.js';
import { OPEN_DASHBOARD, type ServerConfig } from '../config/server-config.js';
import { metricsPlugin, type ServiceMetrics } from './metrics.js';
import type { ServerHooks } from './stack-summaries.js';
import type { ForgeLogin } from '../forge/forge.js';
import { installAuth } from './auth.js';

/**
 * The HTTP side: the webhook receiver (encapsulated, raw body), health endpoints, the read-only
 * API, the metrics and the dashboard.
 */
export async function buildApp(
  ctx: ServiceContext,
  config: ServerConfig,
  log: Logger,
  isReady: () => boolean,
  o: { metrics?: ServiceMetrics; hooks?: ServerHooks; login?: ForgeLogin } = {},
): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: log as unknown as FastifyBaseLogger, bodyLimit: config.server.bodyLimit, return503OnClosing: true });
  // Security headers and a strict Content-Security-Policy on every answer (pages, API, metrics).
  await app.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, crossOriginEmbedderPolicy: false });
  // Before every route: the login (dashboard.auth) and the metrics token guard all of them.
  installAuth(app, {
    config: config.dashboard ?? OPEN_DASHBOARD,
    login: o.login,
    readPermission: ctx.forge ? (user) => ctx.forge!.readPermission(user) : undefined,
    page: { repo: ctx.ws.repoName, links: ctx.forge?.links },
    log,
  });
  await app.register(webhookPlugin, {
    ctx,
    forge: ctx.forge,
    fallbackPath: 'github',
    branch: config.repo.branch,
    bodyLimit: config.server.bodyLimit,
    onDelivery: (event, result) => o.metrics?.webhookDeliveries.inc({ event, result }),
  });
  if (o.metrics) await app.register(metricsPlugin, { metrics: o.metrics });
  await app.register(apiPlugin, { ctx, hooks: o.hooks });
  await app.register(dashboardPlugin, { ctx, hooks: o.hooks ?? {} });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    if (!isReady() || ctx.signal.aborted) return reply.code(503).send({ ready: false });
    try {
      await ctx.ping();
    } catch (err) {
      return reply.code(503).send({ ready: false, error: `state store: ${(err as Error).message}` });
    }
    return { ready: true, jobsPending: await ctx.queue.pending(), outboxPending: await ctx.outbox.pending() };
  });
  return app;
}
