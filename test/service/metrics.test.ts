import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, opsFile, until, OWNER, REPO } from './harness.js';
import { pushPayload } from '../../testkit/webhooks.js';
import { driftJob } from '../../src/reconcile/jobs/specs.js';

/** Parse Prometheus' text format into `name{labels}` -> value (labels sorted as written). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** GET /metrics: what happened to the stacks, read from the shared state, and this process's counters. */
describe('serve: GET /metrics', () => {
  let w: World;
  let applyCommit: string;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, 'README.md': 'x\n' });
    await w.start();
    w.openPr(1, { ...webFile('a', 'one\n'), ...opsFile('o', 'ops\n') });
    await w.prOpened(1);
    await until('plan', () => w.planComment(1));
    await w.idle();
    const m = w.mergePr(1);
    applyCommit = m.after;
    await w.merged(1, m);
    await until(
      'applied',
      () => w.statuses(m.after, 'driftless/apply: web').includes('success') && w.statuses(m.after, 'driftless/apply: ops').includes('success'),
    );
    // web: a commit refused as invalid; ops: drift found by a check
    const bad = w.pushMain({ 'stacks/web/bad.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: bad }\nspec: { path: 7 }\n' }, 'broken');
    await w.hook('push', pushPayload({ owner: OWNER, repo: REPO }, bad));
    await until('an invalid run', async () => (await w.svc!.ctx.store.runs({ stack: 'web' })).find((r) => r.outcome === 'invalid'));
    writeFileSync(join(w.targetRoot, 'ops/o.txt'), 'changed by hand\n');
    await w.svc!.ctx.queue.enqueue([driftJob('ops', 'test-1')]);
    w.svc!.ctx.wake();
    await until('a drift run', async () => (await w.svc!.ctx.store.runs({ stack: 'ops' })).find((r) => r.outcome === 'drifted'));
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('exposes stack status, runs, durations, drift, queue, outbox, webhooks, forge requests, provider operations and process metrics', async () => {
    const res = await fetch(`${w.url()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const m = parse(text);
    expect(m.get('driftless_stack_status{stack="web",status="invalid"}')).toBe(1);
    expect(m.get('driftless_stack_status{stack="web",status="in-sync"}')).toBe(0);
    expect(m.get('driftless_stack_status{stack="ops",status="drifted"}')).toBe(1);
    expect(m.get('driftless_runs_total{stack="web",kind="apply",outcome="succeeded"}')).toBe(1);
    expect(m.get('driftless_runs_total{stack="web",kind="apply",outcome="invalid"}')).toBe(1);
    expect(m.get('driftless_runs_total{stack="ops",kind="drift",outcome="drifted"}')).toBe(1);
    expect(m.get('driftless_drifted_resources{stack="ops"}')).toBe(1);
    // every finished run but the invalid one (refused before it started), each one well under an hour
    const runs = (await w.svc!.ctx.store.runs({ limit: 1000 })).filter((r) => r.finishedAt && r.outcome !== 'invalid');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(m.get('driftless_run_duration_seconds_count')).toBe(runs.length);
    expect(m.get('driftless_run_duration_seconds_bucket{le="+Inf"}')).toBe(runs.length);
    expect(m.get('driftless_run_duration_seconds_bucket{le="3600"}')).toBe(runs.length);
    expect(m.get('driftless_run_duration_seconds_sum')).toBeGreaterThan(0);
    expect(m.get('driftless_jobs_waiting')).toBe(0);
    expect(m.get('driftless_outbox_pending')).toBe(0);
    expect(m.get('driftless_webhook_deliveries_total{event="pull_request",result="queued"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('driftless_webhook_deliveries_total{event="push",result="queued"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('driftless_forge_requests_total{status="200"}')).toBeGreaterThan(0);
    expect(m.get('driftless_provider_operations_total{provider="fs",kind="File",operation="create",outcome="ok"}')).toBe(2);
    expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE driftless_run_duration_seconds histogram');
    for (const s of w.secrets()) expect(text).not.toContain(s);
    expect(applyCommit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('counts a refused webhook delivery', async () => {
    const res = await fetch(`${w.url()}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    const m = parse(await (await fetch(`${w.url()}/metrics`)).text());
    expect(m.get('driftless_webhook_deliveries_total{event="unknown",result="refused"}')).toBe(1);
  });
});
