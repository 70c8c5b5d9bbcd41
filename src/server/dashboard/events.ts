import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../reconcile/context.js';
import type { Step } from '../../reconcile/durable/observe-reads.js';
import { listRuns } from '../../engine/status.js';
import { BATCH, followRun } from './run-feed.js';

/** A comment line this often keeps proxies from closing an idle stream (ms). */
const HEARTBEAT_MS = 15_000;

/**
 * The events of one poll (pure): the steps that are new or changed since they were last sent, each
 * with the stream position after it. The position is a watermark: every journal entry up to it is
 * finished and was sent in its final state, so a browser reconnecting with `Last-Event-ID` gets every
 * entry after it again (the page updates rows by entry id, so a repeat is harmless). `sent` (entry
 * id -> outcome sent) holds only entries past the watermark: it is pruned here.
 */
export function nextEvents(steps: readonly Step[], cursor: number, sent: Map<number, string>): { events: { id: number; step: Step }[]; cursor: number } {
  const events: { id: number; step: Step }[] = [];
  let mark = cursor;
  let blocked = false;
  for (const s of steps) {
    if (!blocked && s.outcome !== null) mark = s.id;
    else blocked = true;
    const state = s.outcome ?? '';
    if (sent.get(s.id) !== state) {
      sent.set(s.id, state);
      events.push({ id: mark, step: s });
    }
  }
  for (const id of sent.keys()) if (id <= mark) sent.delete(id);
  return { events, cursor: mark };
}

function frame(event: string, id: number, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `Last-Event-ID` as a stream position (0 when absent or not a position). */
export function lastEventId(header: unknown): number {
  const v = Array.isArray(header) ? header[0] : header;
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : 0;
}

/**
 * GET /runs/:id/events: a run's steps as server-sent events (`step`, then `end` with the outcome),
 * read from the journal in the shared state, so a browser on any replica follows a run executed by
 * another. The streams of one run share one reader (run-feed.ts). Memory per stream: the steps past
 * its watermark (those still running), no more.
 */
export async function streamRun(ctx: ServiceContext, req: FastifyRequest, reply: FastifyReply, runId: number): Promise<void> {
  const [run] = await listRuns(ctx.ws, { id: runId, limit: 1 });
  if (!run) return void reply.code(404).send({ error: `no run ${runId}` });
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 500\n\n');
  const sent = new Map<number, string>();
  let cursor = lastEventId(req.headers['last-event-id']);
  let quietSince = Date.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const leave = followRun(ctx, runId, {
    position: () => cursor,
    onSnapshot: (snap) => {
      // A read that started past this stream's position (it joined during the read) is not for it.
      if (snap.from > cursor) return;
      const next = nextEvents(
        snap.steps.filter((s) => s.id > cursor),
        cursor,
        sent,
      );
      cursor = next.cursor;
      for (const e of next.events) res.write(frame('step', e.id, e.step));
      if (next.events.length) quietSince = Date.now();
      if (snap.run && snap.run.outcome !== 'running' && snap.steps.length < BATCH) {
        res.write(frame('end', cursor, { outcome: snap.run.outcome, finishedAt: snap.run.finishedAt }));
        done();
      } else if (Date.now() - quietSince > HEARTBEAT_MS) {
        res.write(': still running\n\n');
        quietSince = Date.now();
      }
    },
    onError: (err) => {
      req.log.warn({ run: runId, err: err.message }, 'run event stream ended by an error');
      done();
    },
    onStop: () => done(),
  });
  req.raw.on('close', done);
  if (ctx.signal.aborted) done();
  try {
    await finished;
  } finally {
    leave();
    req.raw.off('close', done);
    res.end();
  }
}
