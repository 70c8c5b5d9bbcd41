import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import type { RunningService } from '../../src/service.js';

describe('serve: two replicas sharing one PostgreSQL', () => {
  let w: World;
  let a: RunningService;
  let b: RunningService;
  let stateUrl: string;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    const db = `driftless_replicas_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const u = new URL(inject('pgUrl'));
    u.pathname = `/${db}`;
    stateUrl = u.toString();
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') }, { poll: '*/1 * * * * *', stateUrl });
    [a, b] = await Promise.all([w.start({ stateUrl, dataDir: join(w.root, 'replica-a') }), w.start({ stateUrl, dataDir: join(w.root, 'replica-b') })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await w.close();
  });

  it('both poll, each job runs once: one plan comment, one apply run', async () => {
    w.openPr(11, webFile('r', 'replicated\n'));
    await until('plan comment', () => w.planComment(11)?.includes('File/r'));
    expect(a.ctx.ws.repo.gitdir).not.toBe(b.ctx.ws.repo.gitdir);
    // The same delivery sent to both replicas is taken once.
    const pr = w.gh.pulls.get(11)!;
    const { pullRequestPayload } = await import('../../testkit/webhooks.js');
    const payload = pullRequestPayload({ owner: 'acme', repo: 'infra' }, 'synchronize', { number: 11, headSha: pr.headSha, baseSha: pr.baseSha });
    const [ra, rb] = await Promise.all([
      w.hook('pull_request', payload, { delivery: 'shared-1', svc: a }),
      w.hook('pull_request', payload, { delivery: 'shared-1', svc: b }),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 202]);
    const m = w.mergePr(11);
    await until('applied', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle(a);
    expect(readFileSync(join(w.targetRoot, 'web/r.txt'), 'utf8')).toBe('replicated\n');
    const runs = (await a.ctx.store.runs({ stack: 'web' })).filter((r) => r.kind === 'apply');
    expect(runs).toHaveLength(1);
    const jobs = await a.ctx.queue.list({ limit: 1000 });
    expect(jobs.filter((j) => j.kind === 'apply' && (j.payload as { commit: string }).commit === m.after)).toHaveLength(1);
    expect(jobs.filter((j) => j.kind === 'branch' && j.dedupeKey?.endsWith(m.after))).toHaveLength(1);
    expect(jobs.filter((j) => j.kind === 'pr-plan' && j.dedupeKey === `infra:pr-plan:11:${pr.headSha}`)).toHaveLength(1);
    expect(w.gh.commentsOn(11).filter((c) => c.body.startsWith('<!-- driftless:plan -->'))).toHaveLength(1);
    expect(w.gh.commentsOn(11).filter((c) => c.body.includes('Applied stack `web`'))).toHaveLength(1);
    // Work was shared: both replicas ran jobs.
    expect(w.logs.join('')).toMatch(/"msg":"job \d+ \(\w[\w-]*\) done"/);
    expect(w.gh.rejected()).toEqual([]);
  });
});
