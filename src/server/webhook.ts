import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Forge } from '../forge/forge.js';
import type { ServiceContext } from '../reconcile/context.js';
import { decide } from '../reconcile/intake.js';

export interface WebhookOptions {
  ctx: ServiceContext;
  /** The forge whose webhooks this route takes; without one every delivery is refused. */
  forge: Forge | undefined;
  /** The route's last segment when no forge is configured (answers 401). */
  fallbackPath: string;
  branch: string;
  bodyLimit: number;
  /** Told each delivery's event and result (queued, ignored, duplicate, refused), for the metrics. */
  onDelivery?(event: string, result: 'queued' | 'ignored' | 'duplicate' | 'refused'): void;
}

/**
 * POST /webhooks/<forge>, as an encapsulated plugin: the body is kept raw (the signature is an HMAC
 * over the exact bytes); the forge verifies and parses it into a forge-neutral event; intake turns
 * that into jobs. Refused requests leave no trace; repeated deliveries (remembered in the state
 * store) are acknowledged and ignored.
 */
export async function webhookPlugin(app: FastifyInstance, o: WebhookOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.bodyLimit }, (_req, body, done) => done(null, body));
  const path = o.forge?.webhook.path ?? o.fallbackPath;
  app.post(`/webhooks/${path}`, { bodyLimit: o.bodyLimit }, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer).toString('utf8') : '';
    if (!o.forge) {
      o.onDelivery?.('unknown', 'refused');
      return reply.code(401).send({ error: `webhooks are not accepted: no ${path} forge is configured` });
    }
    const d = await o.forge.webhook.read(req.headers, raw);
    if ('status' in d) {
      o.onDelivery?.('unknown', 'refused'); // an unverified request's event name is not trusted
      if (d.status === 401) req.log.warn({ error: d.error }, 'webhook refused');
      return reply.code(d.status).send({ error: d.error });
    }
    const decision = decide(d.event, { branch: o.branch });
    const { ctx } = o;
    const result = await ctx.store.db.transaction(async (tx) => {
      if (!(await ctx.records.firstDelivery(d.id, d.name, tx))) return { duplicate: true, queued: [] as number[] };
      if (decision.merged) await ctx.records.setMergedPr(decision.merged.sha, decision.merged.pr, tx);
      if (decision.rollback) {
        const r = decision.rollback;
        await ctx.records.addRollback({ ...r, undoes: r.undoes.map((sha) => ({ sha, subject: '' })), requestedBy: null }, tx);
      }
      const ended = decision.ended ? await ctx.records.endRollback(decision.ended.pr, decision.ended.merged ? 'merged' : 'closed', tx) : null;
      if (ended) req.log.info({ pr: ended.pr, stack: ended.stack }, `quarantine of stack ${ended.stack} lifted: rollback #${ended.pr} ${ended.state}`);
      return { duplicate: false, queued: await ctx.queue.enqueue(decision.jobs, tx) };
    });
    o.onDelivery?.(d.name, result.duplicate ? 'duplicate' : decision.ignored ? 'ignored' : 'queued');
    if (result.duplicate) {
      req.log.info({ delivery: d.id, event: d.name }, 'duplicate delivery ignored');
      return reply.code(200).send({ duplicate: true });
    }
    if (result.queued.length) ctx.wake();
    req.log.info(
      { delivery: d.id, event: d.name, jobs: result.queued, ignored: decision.ignored },
      decision.ignored ? `webhook ignored: ${decision.ignored}` : 'webhook queued jobs',
    );
    return reply.code(202).send({ queued: result.queued, ignored: decision.ignored });
  });
}
