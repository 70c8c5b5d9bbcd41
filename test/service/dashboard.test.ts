import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, opsFile, until, OWNER, REPO } from './harness.js';
import { manifest } from '../helpers/git.js';
import { pushPayload } from '../../testkit/webhooks.js';
import { driftJob } from '../../src/reconcile/jobs/specs.js';
import { runCli } from '../helpers/cli.js';

const SECRET = `dash-sekrit-${Math.random().toString(36).slice(2, 12)}`;

/** The dashboard's pages over HTTP: what each shows, the headers, and no secret anywhere. */
describe('serve: dashboard pages', () => {
  let w: World;
  let merge: string;
  let invalidCommit: string;
  const pages = new Map<string, string>();
  const get = async (path: string): Promise<{ status: number; text: string; headers: Headers }> => {
    const res = await fetch(`${w.url()}${path}`);
    const text = await res.text();
    pages.set(path, text);
    return { status: res.status, text, headers: res.headers };
  };
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, 'README.md': 'x\n' }, { secrets: { APP_SECRET: SECRET } });
    await w.start();
    w.openPr(1, {
      'stacks/web/site.yaml': [
        manifest('File', 'a', { path: 'web/a.txt', content: 'one\n' }),
        manifest('File', 's', { path: 'web/s.txt', content: '!secret APP_SECRET' }),
      ].join('---\n'),
      ...opsFile('o', 'ops\n'),
    });
    await w.prOpened(1);
    await until('plan', () => w.planComment(1));
    await w.idle();
    const m = w.mergePr(1);
    merge = m.after;
    await w.merged(1, m);
    await until(
      'applied',
      () => w.statuses(m.after, 'driftless/apply: web').includes('success') && w.statuses(m.after, 'driftless/apply: ops').includes('success'),
    );
    const bad = w.pushMain({ 'stacks/ops/bad.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: bad }\nspec: { path: 7 }\n' }, 'broken');
    invalidCommit = bad.after;
    await w.hook('push', pushPayload({ owner: OWNER, repo: REPO }, bad));
    await until('an invalid run', async () => (await w.svc!.ctx.store.runs({ stack: 'ops' })).find((r) => r.outcome === 'invalid'));
    writeFileSync(join(w.targetRoot, 'web/a.txt'), 'changed by hand\n');
    writeFileSync(join(w.targetRoot, 'web/s.txt'), 'also changed\n');
    await w.svc!.ctx.queue.enqueue([driftJob('web', 'test-1')]);
    w.svc!.ctx.wake();
    await until('a drift run', async () => (await w.svc!.ctx.store.runs({ stack: 'web' })).find((r) => r.outcome === 'drifted'));
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('overview: every stack with its applied commit (linked to the forge), status and why, last run', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const web = r.text.slice(r.text.indexOf('id="stack-web"'));
    expect(web.slice(0, 2000)).toContain(`${w.gh.url}/${OWNER}/${REPO}/commit/${merge}`);
    expect(web.slice(0, 2000)).toContain('s-drifted');
    const ops = r.text.slice(r.text.indexOf('id="stack-ops"'));
    expect(ops.slice(0, 3000)).toContain('s-invalid');
    expect(ops.slice(0, 3000)).toMatch(/stacks\/ops\/bad\.yaml:4:\d+/);
    expect(r.text).not.toMatch(/<script(?![^>]*src="\/assets\/live\.js")/);
  });

  it('/api/stacks gives each stack the status and reason the overview shows', async () => {
    const api = (await (await fetch(`${w.url()}/api/stacks`)).json()) as { stacks: { name: string; status: string; reason: string | null; drifted: number }[] };
    const web = api.stacks.find((s) => s.name === 'web')!;
    const ops = api.stacks.find((s) => s.name === 'ops')!;
    expect(web).toMatchObject({ status: 'drifted', drifted: 2 });
    expect(ops.status).toBe('invalid');
    expect(ops.reason).toMatch(/stacks\/ops\/bad\.yaml:4:\d+/);
  });

  it('stack page: resources with kind, target and the commit that last changed each; the drift with field diffs; the runs', async () => {
    const r = await get('/stacks/web');
    expect(r.status).toBe(200);
    expect(r.text).toContain('File/a');
    expect(r.text).toContain('File/s');
    expect(r.text).toContain('<td>files</td>');
    expect(r.text).toContain(`/commit/${merge}`);
    expect(r.text).toContain('<h2>Drift</h2>');
    expect(r.text).toContain('changed by hand');
    expect(r.text).toContain('/spec/content: (sensitive value)'); // a secret's file: no value, live or recorded
    expect(r.text).not.toContain('also changed');
    expect((await get('/stacks/nope')).status).toBe(404);
  });

  it('run page: the plan with field diffs (secrets masked), the steps, the outcome; an invalid run with its errors', async () => {
    const runs = await w.svc!.ctx.store.runs({ stack: 'web', kind: 'apply' });
    const apply = runs.find((x) => x.outcome === 'succeeded')!;
    const r = await get(`/runs/${apply.id}`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('/spec/content');
    expect(r.text).toMatch(/id="step-\d+" data-outcome="ok"><td>File\/s<\/td><td>create<\/td>/);
    expect(r.text).not.toContain('data-events'); // finished: no live stream
    const invalid = (await w.svc!.ctx.store.runs({ stack: 'ops' })).find((x) => x.outcome === 'invalid')!;
    const i = await get(`/runs/${invalid.id}`);
    expect(i.text).toContain('s-invalid');
    expect(i.text).toContain(`/commit/${invalidCommit}`);
    expect(i.text).toMatch(/stacks\/ops\/bad\.yaml:4:\d+/);
    expect((await get('/runs/999999')).status).toBe(404);
    expect((await get('/runs/x')).status).toBe(400);
  });

  it('events of a finished run: every step, then the end; Last-Event-ID replays only what follows', async () => {
    const apply = (await w.svc!.ctx.store.runs({ stack: 'web', kind: 'apply' })).find((x) => x.outcome === 'succeeded')!;
    const all = await (await fetch(`${w.url()}/runs/${apply.id}/events`)).text();
    const ids = [...all.matchAll(/^id: (\d+)\nevent: step/gm)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(2);
    expect(all).toMatch(/event: end\ndata: \{"outcome":"succeeded"/);
    const rest = await (await fetch(`${w.url()}/runs/${apply.id}/events`, { headers: { 'last-event-id': String(ids[0]) } })).text();
    expect([...rest.matchAll(/event: step/g)]).toHaveLength(1);
    expect(rest).toContain('event: end');
  });

  it('streams of one running run share one journal reader, and each gets every step', async () => {
    const svc = w.svc!;
    const db = svc.ctx.store.db;
    const runId = Number(
      (
        await db.query<{ id: string }>(
          `INSERT INTO runs (repo, stack, kind, trigger, commit, started_at, outcome) VALUES ('infra', 'web', 'apply', 'test', $1, now(), 'running') RETURNING id`,
          [merge],
        )
      ).rows[0].id,
    );
    const journal = (resource: string, outcome: string | null) =>
      db.query(
        `INSERT INTO journal (run_id, repo, stack, resource_id, operation, resource, finished_at, outcome) VALUES ($1, 'infra', 'web', $2, 'create', '{}'::jsonb, now(), $3)`,
        [runId, resource, outcome],
      );
    await journal('File/one', 'ok');
    // every read of the run's steps, and how many are under way at once
    const observe = svc.ctx.observe;
    const steps = observe.steps;
    let inFlight = 0;
    let most = 0;
    observe.steps = async (...a: Parameters<typeof steps>) => {
      most = Math.max(most, ++inFlight);
      try {
        return await steps.apply(observe, a);
      } finally {
        inFlight--;
      }
    };
    const streams = await Promise.all(Array.from({ length: 8 }, () => fetch(`${w.url()}/runs/${runId}/events`)));
    const texts = streams.map(() => '');
    const reading = streams.map(async (res, i) => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) texts[i] += decoder.decode(chunk as Uint8Array, { stream: true });
    });
    try {
      await until('every stream to get the first step', () => texts.every((t) => t.includes('File/one')));
      await journal('File/two', null);
      await until('every stream to see the second step running', () => texts.every((t) => /"resourceId":"File\/two"[^\n]*"outcome":null/.test(t)));
      await db.query(`UPDATE journal SET outcome = 'ok', finished_at = now() WHERE run_id = $1 AND resource_id = 'File/two'`, [runId]);
      await db.query(`UPDATE runs SET outcome = 'succeeded', finished_at = now() WHERE id = $1`, [runId]);
      await Promise.all(reading);
    } finally {
      observe.steps = steps;
    }
    expect(most).toBe(1);
    for (const t of texts) {
      expect([...t.matchAll(/event: step/g)]).toHaveLength(3); // one, two running, two ok
      expect(t).toMatch(/event: end\ndata: \{"outcome":"succeeded"/);
    }
  });

  it('pull request page: every plan posted and which one was applied', async () => {
    const r = await get('/pulls/1');
    expect(r.status).toBe(200);
    // planned once per stack at least (a poll and the webhook may each plan it); each plan was the one applied
    const n = Number(/Plans posted \((\d+)\)/.exec(r.text)?.[1]);
    expect(n).toBeGreaterThanOrEqual(2);
    expect((r.text.match(/s-applied/g) ?? []).length).toBe(n);
    expect(r.text).toMatch(/Stack <a href="\/stacks\/web">web<\/a>.*applied<\/span> by <a href="\/runs\/\d+">/);
    expect(r.text).toContain(`${w.gh.url}/${OWNER}/${REPO}/pull/1`);
  });

  it('resource page: the audit timeline of one resource', async () => {
    const r = await get('/stacks/web/resource?id=File%2Fa');
    expect(r.status).toBe(200);
    expect(r.text).toContain('create');
    expect(r.text).toContain(`/commit/${merge}`);
    expect(r.text).toContain('/spec/content');
    expect(r.text).toContain('/pulls/1');
  });

  it('queue page: jobs and the outbox', async () => {
    const r = await get('/queue');
    expect(r.status).toBe(200);
    expect(r.text).toContain('No job is waiting or running.');
    expect(r.text).toContain('git-note');
  });

  it('the static files, and no secret in any page', async () => {
    const js = await fetch(`${w.url()}/assets/live.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('EventSource');
    expect(pages.size).toBeGreaterThanOrEqual(8);
    for (const [path, text] of pages) for (const s of [SECRET, ...w.secrets()]) expect(text.includes(s), `${path} holds a secret`).toBe(false);
  });

  it('driftless history shows the commit refused as invalid, with its errors', async () => {
    await w.svc!.close(); // the embedded store is the CLI's now
    const r = await runCli(['--config', w.configFile(), 'history', '--stack', 'ops'], { env: w.env() });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`ops  apply  invalid  commit ${invalidCommit.slice(0, 12)}`));
    expect(r.out).toMatch(/error: stacks\/ops\/bad\.yaml:4:\d+/);
  });
});
