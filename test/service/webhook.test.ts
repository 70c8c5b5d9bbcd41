import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, REPO_CONFIG, webFile, until, WEBHOOK_SECRET } from './harness.js';
import { deliver, pullRequestPayload, issueCommentPayload } from '../../testkit/webhooks.js';

describe('serve: the webhook receiver', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
    w.openPr(3, webFile('b', 'two\n'));
  });
  afterAll(async () => {
    await w.close();
  });

  const jobs = async (): Promise<number> => (await w.svc!.ctx.queue.list({ limit: 1000 })).length;
  const deliveries = (): Promise<number> => w.svc!.ctx.records.deliveryCount();
  const payload = () =>
    pullRequestPayload({ owner: 'acme', repo: 'infra' }, 'opened', { number: 3, headSha: w.gh.pulls.get(3)!.headSha, baseSha: w.gh.pulls.get(3)!.baseSha });

  it('refuses a missing, forged or wrong-secret signature with 401, and nothing happens', async () => {
    const [j0, d0] = [await jobs(), await deliveries()];
    const missing = await deliver(w.url(), 'pull_request', payload(), { signature: null });
    const forged = await deliver(w.url(), 'pull_request', payload(), { signature: 'sha256=' + '0'.repeat(64) });
    const wrongSecret = await deliver(w.url(), 'pull_request', payload(), { secret: 'not-the-secret' });
    const garbage = await deliver(w.url(), 'pull_request', payload(), { signature: 'sha1=abc' });
    expect([missing.status, forged.status, wrongSecret.status, garbage.status]).toEqual([401, 401, 401, 401]);
    expect(await jobs()).toBe(j0);
    expect(await deliveries()).toBe(d0);
    expect(w.gh.requests).toEqual([]);
  });

  it('verifies the signature over the raw bytes (escapes GitHub sends are not re-serialised)', async () => {
    const raw = JSON.stringify(payload()).replace('"action":"opened"', '"action":"opened","note":"caf\\u00e9 \\/ ok"');
    const { sign } = await import('@octokit/webhooks-methods');
    const res = await fetch(`${w.url()}/webhooks/github`, {
      method: 'POST',
      body: raw,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': 'raw-1',
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, raw),
      },
    });
    expect(res.status).toBe(202);
    await until('the plan comment', () => w.planComment(3));
    await w.idle();
  });

  it('refuses malformed payloads of our repository with 400 and the reason; nothing is queued or remembered', async () => {
    const [j0, d0] = [await jobs(), await deliveries()];
    const repo = { owner: 'acme', repo: 'infra' };
    const huge = payload() as Record<string, any>;
    huge.number = 1e300;
    huge.pull_request.number = 1e300;
    const badId = issueCommentPayload(repo, { pr: 3, body: '/driftless plan', user: 'bob', commentId: 1 }) as Record<string, any>;
    badId.comment.id = 'abc';
    const cases: [string, unknown, RegExp][] = [
      ['pull_request', null, /not a JSON object/],
      ['pull_request', huge, /pull_request payload: \/(number|pull_request\/number): must be <= /],
      ['issue_comment', badId, /issue_comment payload: \/comment\/id: must be integer/],
      ['push', { ref: 'refs/heads/main', repository: { full_name: 'acme/infra' } }, /push payload: \(the payload\): missing after/],
    ];
    for (const [event, body, reason] of cases) {
      const r = await deliver(w.url(), event, body as never, { secret: WEBHOOK_SECRET });
      expect(r.status, `${event}: ${JSON.stringify(r.body)}`).toBe(400);
      expect((r.body as { error: string }).error).toMatch(reason);
    }
    expect(await jobs()).toBe(j0);
    expect(await deliveries()).toBe(d0);
  });

  it('ignores other repositories', async () => {
    const j0 = await jobs();
    const other = pullRequestPayload({ owner: 'acme', repo: 'elsewhere' }, 'opened', { number: 3, headSha: 'x', baseSha: 'y' });
    const r = await w.hook('pull_request', other);
    expect(r.status).toBe(202);
    expect(r.body.ignored).toMatch(/acme\/elsewhere is not acme\/infra/);
    expect(await jobs()).toBe(j0);
  });

  it('a duplicate delivery does nothing: one job, one answer', async () => {
    const comment = issueCommentPayload({ owner: 'acme', repo: 'infra' }, { pr: 3, body: '/driftless help', user: 'reader', commentId: 777 });
    const first = await w.hook('issue_comment', comment, { delivery: 'dup-1' });
    const second = await w.hook('issue_comment', comment, { delivery: 'dup-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ duplicate: true });
    await until('the answer', () => w.gh.commentsOn(3).find((c) => c.body.includes('@reader')));
    await w.idle();
    expect(w.gh.commentsOn(3).filter((c) => c.body.includes('@reader'))).toHaveLength(1);
    expect((await w.svc!.ctx.queue.list({ limit: 1000 })).filter((j) => j.kind === 'command')).toHaveLength(1);
  });

  it('caps the payload size', async () => {
    const big = { ...payload(), padding: 'x'.repeat(w.config.server.bodyLimit + 10) };
    const r = await w.hook('pull_request', big);
    expect(r.status).toBe(413);
  });

  it('serves health, readiness and a read-only API without secrets', async () => {
    expect((await fetch(`${w.url()}/healthz`)).status).toBe(200);
    await until('ready', async () => (await fetch(`${w.url()}/readyz`)).status === 200);
    const jobsApi = (await (await fetch(`${w.url()}/api/jobs`)).json()) as { jobs: { kind: string }[] };
    expect(jobsApi.jobs.some((j) => j.kind === 'pr-plan')).toBe(true);
    const texts = await Promise.all(['/api/jobs', '/api/outbox', '/api/stacks', '/api/runs'].map(async (p) => (await fetch(`${w.url()}${p}`)).text()));
    for (const s of w.secrets()) for (const t of [...texts, w.logs.join('')]) expect(t).not.toContain(s);
    // Stored state holds no secret either.
    const dump = await w.svc!.ctx.store.db.query<{ t: string }>(
      `SELECT string_agg(x::text, ' ') AS t FROM (SELECT row_to_json(j)::text AS x FROM jobs j UNION ALL SELECT row_to_json(o)::text FROM outbox o UNION ALL SELECT row_to_json(d)::text FROM deliveries d) s`,
    );
    for (const s of w.secrets()) expect(dump.rows[0].t).not.toContain(s);
  });
});
