import { describe, expect, it } from 'vitest';
import { decide } from '../../src/reconcile/intake.js';
import { mergeGate, releaseGate } from '../../src/reconcile/jobs/apply.js';
import type { Plan } from '../../src/plan/model.js';

/** Intake (forge-neutral events to jobs) and the apply gates, as pure functions. */

const ctx = { branch: 'main' };

describe('intake: forge-neutral events become jobs', () => {
  it('a change request on the tracked branch is planned; drafts and other bases are not', () => {
    const e = { type: 'change-request' as const, number: 3, headSha: 'h', baseRef: 'main', draft: false, trigger: 'opened' };
    expect(decide(e, ctx).jobs).toEqual([
      { kind: 'pr-plan', lane: 'pr:3', dedupeKey: 'pr-plan:3:h', supersede: true, payload: { pr: 3, headSha: 'h', trigger: 'opened' } },
    ]);
    expect(decide({ ...e, draft: true }, ctx)).toEqual({ ignored: 'pull request #3 is a draft', jobs: [] });
    expect(decide({ ...e, baseRef: 'dev' }, ctx).ignored).toMatch(/targets dev/);
  });

  it('a merge remembers its commit; a push to the branch queues it; deletions and other refs do not', () => {
    expect(decide({ type: 'change-request-merged', number: 3, baseRef: 'main', mergeCommit: 'm' }, ctx)).toMatchObject({
      merged: { sha: 'm', pr: 3 },
      jobs: [{ kind: 'branch' }],
    });
    const push = { type: 'push' as const, ref: 'refs/heads/main', branch: 'main', after: 'c', deleted: false, trigger: 'push c' };
    expect(decide(push, ctx).jobs).toMatchObject([{ kind: 'branch', dedupeKey: 'branch:c' }]);
    expect(decide({ ...push, deleted: true }, ctx)).toEqual({ ignored: 'branch deleted', jobs: [] });
    expect(decide({ ...push, ref: 'refs/tags/v1', branch: null }, ctx).ignored).toBe('push to refs/tags/v1');
  });

  it('comments: commands become command jobs where they were asked; chatter and bad commits are ignored', () => {
    const c = { type: 'comment' as const, on: { changeRequest: 9 }, commentId: 5, user: 'ada', body: '/driftless plan' };
    expect(decide(c, ctx).jobs).toEqual([
      { kind: 'command', lane: 'pr:9', dedupeKey: 'command:5', payload: { pr: 9, commentId: 5, user: 'ada', command: { name: 'plan' } } },
    ]);
    expect(decide({ ...c, body: 'lgtm' }, ctx).ignored).toBe('not a driftless command');
    expect(decide({ ...c, on: { commit: 'nope' } }, ctx).ignored).toBe('commit_comment without a commit');
    // On an issue that is not a pull request (a drift issue): its own lane.
    expect(decide({ ...c, on: { issue: 12 }, commentId: 6, body: '/driftless adopt File/motd' }, ctx).jobs).toEqual([
      {
        kind: 'command',
        lane: 'issue:12',
        dedupeKey: 'issue-command:6',
        payload: { pr: null, issue: 12, commentId: 6, user: 'ada', command: { name: 'adopt', resource: 'File/motd' } },
      },
    ]);
    expect(decide({ type: 'ignored', reason: 'ping' }, ctx)).toEqual({ ignored: 'ping', jobs: [] });
  });
});

const plan = (o: Partial<Plan>): Plan => ({
  formatVersion: 1,
  repo: 'r',
  stack: 'web',
  commit: 'c'.repeat(40),
  appliedCommit: null,
  stateSerial: 0,
  changes: [],
  drift: [],
  orphans: [],
  errors: [],
  summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 0 },
  digest: `sha256:${'1'.repeat(64)}`,
  ...o,
});
const change = { id: 'File/a', action: 'create' as const, diff: [], dependsOn: [], reason: 'new' };

describe('apply gates', () => {
  const base = { forge: true, auto: true, pr: 4, stack: 'web', commit: 'c'.repeat(40) };
  it('after a merge: the reviewed plan proceeds; another plan is held, or refused when it has errors', async () => {
    const g = mergeGate({ ...base, reviewed: plan({}).digest });
    expect(await g(plan({ changes: [change] }))).toEqual({ proceed: true });
    const other = plan({ changes: [change], digest: `sha256:${'2'.repeat(64)}` });
    expect(await g(other)).toMatchObject({ proceed: false, hold: expect.stringContaining('differs from the plan reviewed on #4') });
    expect(await g({ ...other, errors: ['protected'] })).toMatchObject({ proceed: false, refuse: expect.stringContaining('differs from the reviewed plan') });
    // An empty plan proceeds even when it is not the reviewed one: it changes nothing (a merged adoption of drift).
    expect(await g(plan({ digest: `sha256:${'3'.repeat(64)}` }))).toEqual({ proceed: true });
  });

  it('nothing reviewed, or apply: manual: a plan with changes is held, an empty one proceeds', async () => {
    expect(await mergeGate({ ...base, reviewed: null })(plan({ changes: [change] }))).toEqual({
      proceed: false,
      hold: 'No plan for stack `web` was reviewed on #4.',
    });
    expect(await mergeGate({ ...base, reviewed: null, pr: null })(plan({ changes: [change] }))).toMatchObject({
      hold: expect.stringContaining('not merged through a pull request'),
    });
    expect(await mergeGate({ ...base, auto: false, reviewed: 'x' })(plan({ changes: [change] }))).toMatchObject({
      hold: expect.stringContaining('apply: manual'),
    });
    expect(await mergeGate({ ...base, reviewed: null })(plan({}))).toEqual({ proceed: true });
  });

  it('without a forge: auto applies, manual holds', async () => {
    expect(await mergeGate({ ...base, forge: false, reviewed: null })(plan({ changes: [change] }))).toEqual({ proceed: true });
    expect(await mergeGate({ ...base, forge: false, auto: false, reviewed: null })(plan({ changes: [change] }))).toMatchObject({
      hold: expect.stringContaining('apply: manual'),
    });
  });

  it('after an apply of the reviewed plan was cut short: what is left of it resumes, anything else is held', async () => {
    const b = { ...change, id: 'File/b' };
    const reviewed = plan({ changes: [change, b] });
    const cut = { runs: [7], reviewed: reviewed.changes, done: new Set(['File/a']) };
    const asked: number[] = [];
    const g = mergeGate({
      ...base,
      reviewed: reviewed.digest,
      cutShort: async () => {
        asked.push(1);
        return cut;
      },
    });
    expect(await g(reviewed)).toEqual({ proceed: true });
    expect(asked).toEqual([]); // the same digest needs no look-up
    const rest = plan({ changes: [b], digest: `sha256:${'3'.repeat(64)}` });
    expect(await g(rest)).toEqual({ proceed: true, resumes: [7] });
    const more = plan({ changes: [b, { ...change, id: 'File/c' }], digest: `sha256:${'4'.repeat(64)}` });
    expect(await g(more)).toEqual({
      proceed: false,
      hold: expect.stringMatching(
        /differs from the plan reviewed on #4 .*not what is left of it after the apply interrupted in run 7: File\/c: create was not in the reviewed plan\.$/,
      ),
    });
    expect(await g({ ...rest, errors: ['protected'] })).toMatchObject({ proceed: false, refuse: expect.stringContaining('differs from the reviewed plan') });
    // No interrupted apply of the reviewed plan: held as any other plan.
    expect(await mergeGate({ ...base, reviewed: reviewed.digest, cutShort: async () => null })(rest)).toMatchObject({
      proceed: false,
      hold: expect.stringContaining('differs from the plan reviewed on #4'),
    });
  });

  it('a release applies exactly the held plan', async () => {
    const held = plan({ changes: [change] });
    expect(await releaseGate(held.digest, held.commit)(held)).toEqual({ proceed: true });
    expect(await releaseGate(held.digest, held.commit)({ ...held, digest: `sha256:${'9'.repeat(64)}` })).toMatchObject({
      hold: expect.stringContaining('changed again'),
    });
  });
});
