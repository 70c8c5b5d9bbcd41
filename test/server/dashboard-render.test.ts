import { describe, expect, it } from 'vitest';
import { esc, html } from '../../src/server/dashboard/html.js';
import { stackStatus } from '../../src/server/dashboard/status.js';
import { nextEvents, lastEventId } from '../../src/server/dashboard/events.js';
import { whyWaiting } from '../../src/server/dashboard/queue.js';
import { renderOverview } from '../../src/server/dashboard/overview.js';
import { heldPolicySection, policyReasons, runPolicySection, type StoredPolicyReport } from '../../src/server/dashboard/policy.js';
import type { Step, OpenJob, LatestRun } from '../../src/reconcile/durable/observe-reads.js';

const step = (id: number, outcome: string | null): Step => ({
  id,
  runId: 1,
  stack: 'web',
  resourceId: `File/r${id}`,
  operation: 'create',
  outcome,
  error: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: outcome ? '2026-01-01T00:00:01.000Z' : null,
});
const run = (o: Partial<LatestRun>): LatestRun => ({
  id: 1,
  stack: 'web',
  kind: 'apply',
  outcome: 'succeeded',
  commit: 'a'.repeat(40),
  pr: null,
  error: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

describe('dashboard rendering (pure)', () => {
  it('escapes every interpolated value, and only Html passes as it is', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const evil = '<script>alert(1)</script>';
    expect(html`<p>${evil}</p>`.text).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html`<p>${[html`<b>${evil}</b>`, null, false, 0]}</p>`.text).toBe('<p><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>0</p>');
    const page = renderOverview({
      ctx: { repo: 'r' },
      branch: 'main',
      head: null,
      stacks: [
        {
          name: 'web',
          path: 'p',
          appliedCommit: null,
          status: 'invalid',
          reason: `stacks/web/x.yaml:1:1: ${evil}`,
          lastRun: null,
          drifted: 0,
          nextDriftCheck: null,
          quarantinedBy: 12,
        },
      ],
    });
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)');
    // A quarantine shows beside the status, with the rollback pull request.
    expect(page).toMatch(/quarantined by rollback <a [^>]*>#12<\/a>/);
  });

  it("says a stack's status and why, most important first", () => {
    const none = { lastApply: undefined, running: undefined, hold: undefined, drift: undefined, queued: false, lock: undefined };
    expect(stackStatus(none).status).toBe('in-sync');
    expect(stackStatus({ ...none, running: run({ outcome: 'running', id: 7 }) })).toEqual({ status: 'applying', reason: `run #7 at ${'a'.repeat(12)}` });
    expect(stackStatus({ ...none, lastApply: run({ outcome: 'invalid', error: 'x.yaml:1:2: bad' }) })).toEqual({
      status: 'invalid',
      reason: 'x.yaml:1:2: bad',
    });
    expect(stackStatus({ ...none, lastApply: run({ outcome: 'failed' }) }).status).toBe('failed');
    expect(stackStatus({ ...none, hold: { reason: 'manual', commit: 'c', pr: 1 } })).toEqual({ status: 'held', reason: 'manual' });
    // A dependent stack of a workflow whose upstream failed: waiting on it, with the run that failed.
    expect(stackStatus({ ...none, lastApply: run({ outcome: 'refused', error: 'waiting on `db` (failed at run 12)' }) })).toEqual({
      status: 'waiting',
      reason: 'waiting on `db` (failed at run 12)',
    });
    expect(stackStatus({ ...none, lastApply: run({ outcome: 'refused', error: 'the plan changed' }) }).status).toBe('in-sync');
    const drift = { stack: 'web', checkedAt: '2026-01-01T00:00:05.000Z', drifted: 2, runId: 3 };
    expect(stackStatus({ ...none, lastApply: run({}), drift }).status).toBe('drifted');
    // an apply after the check ends the drift it found
    expect(stackStatus({ ...none, lastApply: run({ finishedAt: '2026-01-01T00:00:09.000Z' }), drift }).status).toBe('in-sync');
    expect(stackStatus({ ...none, drift: { ...drift, drifted: 0 } }).status).toBe('in-sync');
    expect(stackStatus({ ...none, queued: true, lock: { holder: 'pid 1 on h', since: 't' } }).reason).toBe('the stack lock is held by pid 1 on h since t');
  });

  it('streams each step once per state, with a watermark that a reconnect can resume from', () => {
    const sent = new Map<number, string>();
    // 5 running, 6 finished: both sent; the watermark stays before 5 (still running)
    let r = nextEvents([step(5, null), step(6, 'ok')], 4, sent);
    expect(r.events.map((e) => [e.id, e.step.id])).toEqual([
      [4, 5],
      [4, 6],
    ]);
    expect(r.cursor).toBe(4);
    // nothing changed: nothing sent
    r = nextEvents([step(5, null), step(6, 'ok')], r.cursor, sent);
    expect(r.events).toEqual([]);
    // 5 finishes: sent again; the watermark passes 6 too (already sent finished)
    r = nextEvents([step(5, 'ok'), step(6, 'ok'), step(7, null)], r.cursor, sent);
    expect(r.events.map((e) => [e.id, e.step.id])).toEqual([
      [5, 5],
      [6, 7],
    ]);
    expect(r.cursor).toBe(6);
    expect([...sent.keys()]).toEqual([7]); // bounded: only what is past the watermark
    expect(lastEventId('12')).toBe(12);
    expect(lastEventId('x')).toBe(0);
    expect(lastEventId(undefined)).toBe(0);
  });

  it('says why a job waits', () => {
    const job = (o: Partial<OpenJob>): OpenJob => ({
      id: 1,
      kind: 'apply',
      lane: 'stack:web',
      status: 'queued',
      attempts: 0,
      owner: null,
      runAfter: 't',
      later: false,
      createdAt: 't0',
      startedAt: null,
      error: null,
      payload: {},
      ...o,
    });
    const running = job({ id: 1, status: 'running', owner: 'host:42:abc', startedAt: 't1' });
    const queued = job({ id: 2 });
    expect(whyWaiting(running, [running, queued], new Map())).toBe('running on host:42:abc since t1');
    expect(whyWaiting(queued, [running, queued], new Map())).toBe('behind job 1 (apply, running) in lane stack:web');
    expect(whyWaiting(queued, [queued], new Map([['web', { holder: 'pid 9 on b', since: 't2' }]]))).toBe(
      'the lock of stack web is held by pid 9 on b since t2',
    );
    expect(whyWaiting(job({ later: true, runAfter: 't3', error: 'GitHub rate limit' }), [], new Map())).toBe('retry at t3: GitHub rate limit');
    expect(whyWaiting(queued, [queued], new Map())).toBe('ready: waiting for a free worker');
  });

  it('policy results: per policy and change, overrides with who, when, why and plan; every value escaped', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const digest = `sha256:${'d'.repeat(64)}`;
    const report: StoredPolicyReport = {
      stack: 'web',
      digest,
      blocked: null,
      results: [
        {
          name: 'no-todo',
          level: 'soft-mandatory',
          file: 'p/no-todo.yaml',
          checked: 2,
          outcome: 'failed',
          failures: [{ change: 'File/t', message: `TODO ${evil}` }],
        },
        {
          name: 'small',
          level: 'advisory',
          file: 'p/small.yaml',
          checked: 1,
          outcome: 'warned',
          failures: [{ change: null, message: '12 files', error: 'oops' }],
        },
        { name: 'fine', level: 'hard-mandatory', file: 'p/fine.yaml', checked: 3, outcome: 'passed', failures: [] },
        {
          name: 'p/bad.yaml',
          level: 'hard-mandatory',
          file: 'p/bad.yaml',
          checked: 1,
          outcome: 'failed',
          failures: [{ change: null, message: 'p/bad.yaml:3:50: bad: rule: Expected RPAREN, got EOF', line: 3 }],
          broken: true,
        },
      ],
      overrides: [
        { policy: 'no-todo', digest, by: 'sec', reason: `tracked ${evil}`, at: '2026-01-02T03:04:05.000Z' },
        { policy: 'no-todo', digest: `sha256:${'e'.repeat(64)}`, by: 'old', reason: 'an older plan', at: '2026-01-01T00:00:00.000Z' },
      ],
    };
    const page = runPolicySection(report).text;
    expect(page).not.toContain('<img');
    expect(page).toContain('TODO &lt;img src=x onerror=alert(1)&gt;');
    expect(page).toMatch(/data-policy="no-todo" data-outcome="overridden">.*overridden<\/span> by @sec/);
    expect(page).toMatch(/data-policy="small" data-outcome="warned">.*warned<\/span> 1 of 1.*12 files.*\(error: oops\)/);
    expect(page).toMatch(/data-policy="fine" data-outcome="passed">.*3 checked/);
    expect(page).toMatch(/data-policy="p\/bad.yaml" data-outcome="failed">.*does not load.*p\/bad.yaml:3:50: bad: rule: Expected RPAREN, got EOF/);
    // Only the override of this plan counts.
    expect(page).toContain('<td>@sec</td><td><time datetime="2026-01-02T03:04:05.000Z">2026-01-02 03:04:05Z</time></td><td>tracked &lt;img');
    expect(page).toContain(`<code>${'d'.repeat(12)}</code>`);
    expect(page).not.toContain('@old');
    expect(runPolicySection(null).text).toContain('No policy judged this run.');

    const reason = `The plan at the merge commit differs. Blocked by policy on stack \`web\`: hard-mandatory policy \`x\` failed (1 change). Requirements not met: stack \`web\` needs 2 approvals ${evil}.`;
    expect(policyReasons(reason)).toEqual([
      'Blocked by policy on stack `web`: hard-mandatory policy `x` failed (1 change).',
      `Requirements not met: stack \`web\` needs 2 approvals ${evil}.`,
    ]);
    const held = heldPolicySection({
      hold: { stack: 'web', commit: 'c'.repeat(40), pr: 4, digest, reason },
      judged: { commit: 'b'.repeat(40), report },
      ctx: { repo: 'r' },
    }).text;
    expect(held).not.toContain('<img');
    expect(held).toContain('<li class="reason">Blocked by policy on stack `web`');
    expect(held).toMatch(/As last judged on <a href="\/pulls\/4">#4<\/a> at <code class="sha">bbbbbbbbbbbb<\/code>/);
    expect(heldPolicySection({ hold: { stack: 'web', commit: 'c'.repeat(40), pr: null, digest, reason: 'No reviewed plan.' }, ctx: { repo: 'r' } }).text).toBe(
      '',
    );
  });
});
