import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verify } from '@octokit/webhooks-methods';
import type { ServiceContext } from '../reconcile/context.js';
import { decideEvent, type EventContext } from '../reconcile/events.js';

export interface WebhookOptions {
  ctx: ServiceContext;
  secret: string | undefined;
  events: EventContext;
  bodyLimit: number;
}

/**
 * POST /webhooks/github, as an encapsulated plugin: the JSON body is kept raw (the signature is an
 * HMAC over the exact bytes), verified in constant time, then parsed. Unsigned or forged requests
 * get 401 and leave no trace; repeated deliveries (X-GitHub-Delivery, remembered in the state
 * store) are acknowledged and ignored.
 */
export async function webhookPlugin(app: FastifyInstance, o: WebhookOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.bodyLimit }, (_req, body, done) => done(null, body));
  app.post('/webhooks/github', { bodyLimit: o.bodyLimit }, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer).toString('utf8') : '';
    const signature = req.headers['x-hub-signature-256'];
    if (!o.secret) return reply.code(401).send({ error: 'webhooks are not accepted: github.webhookSecret is not configured' });
    if (typeof signature !== 'string' || !signature.startsWith('sha256=')) return reply.code(401).send({ error: 'missing X-Hub-Signature-256' });
    let valid = false;
    try {
      valid = await verify(o.secret, raw, signature);
    } catch {
      valid = false;
    }
    if (!valid) {
      req.log.warn({ delivery: req.headers['x-github-delivery'] }, 'webhook with a wrong signature refused');
      return reply.code(401).send({ error: 'signature does not match' });
    }
    const event = String(req.headers['x-github-event'] ?? '');
    const delivery = String(req.headers['x-github-delivery'] ?? '');
    if (!event || !delivery) return reply.code(400).send({ error: 'missing X-GitHub-Event or X-GitHub-Delivery' });
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return reply.code(400).send({ error: 'the body is not JSON' });
    }
    const decision = decideEvent(event, payload, o.events);
    const { ctx } = o;
    const result = await ctx.store.db.transaction(async (tx) => {
      if (!(await ctx.records.firstDelivery(delivery, event, tx))) return { duplicate: true, queued: [] as number[] };
      if (decision.merged) await ctx.records.setMergedPr(decision.merged.sha, decision.merged.pr, tx);
      return { duplicate: false, queued: await ctx.queue.enqueue(decision.jobs, tx) };
    });
    if (result.duplicate) {
      req.log.info({ delivery, event }, 'duplicate delivery ignored');
      return reply.code(200).send({ duplicate: true });
    }
    if (result.queued.length) ctx.wake();
    req.log.info(
      { delivery, event, action: payload.action, jobs: result.queued, ignored: decision.ignored },
      decision.ignored ? `webhook ignored: ${decision.ignored}` : 'webhook queued jobs',
    );
    return reply.code(202).send({ queued: result.queued, ignored: decision.ignored });
  });
}
