import { describe, expect, it } from 'vitest';
import { cronProblem, scheduleDiagnostics, pollProblem } from '../../src/reconcile/cron-check.js';
import { parseRepoConfig } from '../../src/manifests/repo-config.js';
import { affectedStacks } from '../../src/plan/affected.js';
import { decide } from '../../src/reconcile/intake.js';
import { parseGitHubEvent } from '../../src/forge/github/webhook.js';
import { parseCommand } from '../../src/forge/commands.js';
import { pullRequestPayload, pushPayload, issueCommentPayload, commitCommentPayload } from '../../testkit/webhooks.js';

const ctx = { owner: 'acme', repo: 'infra', branch: 'main' };
/** A GitHub delivery through the GitHub parser, then intake: what the webhook route does. */
const decideEvent = (event: string, payload: Record<string, unknown>, c: typeof ctx) => decide(parseGitHubEvent(event, payload, c), c);
const repo = { owner: 'acme', repo: 'infra' };

describe('cron schedules', () => {
  it('accepts standard expressions', () => {
    for (const e of ['*/15 * * * *', '0 3 * * 1-5', '0 0 1 * *', '*/5 * * * * *']) expect(cronProblem(e)).toBeNull();
  });

  it('refuses day-of-month together with day-of-week (node-cron ANDs them, cron ORs them)', () => {
    expect(cronProblem('0 0 1 * 1')).toMatch(/restricts both day-of-month \(1\) and day-of-week \(1\)/);
    expect(cronProblem('0 0 1-7 * mon')).toMatch(/both/);
  });

  it('refuses invalid expressions', () => {
    expect(cronProblem('every day')).toMatch(/not a cron expression/);
    expect(cronProblem('61 * * * *')).toMatch(/not a valid cron expression/);
    expect(pollProblem('off')).toBeNull();
    expect(pollProblem('* * *')).toMatch(/^poll: /);
  });

  it('reports a bad drift.schedule at driftless.yaml:line:col, naming the stack and field', () => {
    const source =
      'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets: { fs: files }\n    drift:\n      schedule: "0 0 1 * 1"\n  ok:\n    path: stacks/ok\n    targets: { fs: files }\n    drift:\n      schedule: "*/5 * * * *"\n';
    const { config, diagnostics } = parseRepoConfig(source);
    expect(diagnostics).toEqual([]);
    const ds = scheduleDiagnostics(config!, source);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ file: 'driftless.yaml', line: 7, col: 17 });
    expect(ds[0].message).toMatch(/^stacks\.web\.drift\.schedule: "0 0 1 \* 1" restricts both/);
  });
});

describe('stacks touched by a change', () => {
  const { config } = parseRepoConfig(
    'version: 1\nstacks:\n  web: { path: stacks/web, targets: { fs: f } }\n  webx: { path: stacks/webx, targets: { fs: f } }\n  ops: { path: ./stacks/ops/, targets: { fs: f } }\n',
  );
  it('selects stacks with a changed path below their directory', () => {
    expect(affectedStacks(config!, ['stacks/web/a.yaml'])).toEqual(['web']);
    expect(affectedStacks(config!, ['stacks/webx/a.yaml', 'stacks/ops/deep/b.yml'])).toEqual(['ops', 'webx']);
    expect(affectedStacks(config!, ['README.md', 'stacks/other/x.yaml'])).toEqual([]);
  });
  it('selects every stack when driftless.yaml or a custom schema changes', () => {
    expect(affectedStacks(config!, ['driftless.yaml'])).toEqual(['ops', 'web', 'webx']);
    expect(affectedStacks(config!, ['.driftless/schemas/Thing.schema.json'])).toEqual(['ops', 'web', 'webx']);
  });
});

describe('webhook events to jobs', () => {
  it('plans a pull request on opened / synchronize / reopened / ready_for_review, one job per head', () => {
    for (const action of ['opened', 'synchronize', 'reopened', 'ready_for_review']) {
      const d = decideEvent('pull_request', pullRequestPayload(repo, action, { number: 4, headSha: 'h1', baseSha: 'b1' }), ctx);
      expect(d.jobs).toEqual([
        { kind: 'pr-plan', lane: 'pr:4', dedupeKey: 'pr-plan:4:h1', supersede: true, payload: { pr: 4, headSha: 'h1', trigger: `pull_request ${action}` } },
      ]);
    }
  });
  it('ignores other repositories, other base branches, drafts and unhandled actions', () => {
    expect(
      decideEvent('pull_request', pullRequestPayload({ owner: 'evil', repo: 'infra' }, 'opened', { number: 4, headSha: 'h', baseSha: 'b' }), ctx).ignored,
    ).toMatch(/evil\/infra is not acme\/infra/);
    expect(decideEvent('pull_request', pullRequestPayload(repo, 'opened', { number: 4, headSha: 'h', baseSha: 'b', baseRef: 'dev' }), ctx).jobs).toEqual([]);
    expect(decideEvent('pull_request', pullRequestPayload(repo, 'opened', { number: 4, headSha: 'h', baseSha: 'b', draft: true }), ctx).jobs).toEqual([]);
    expect(decideEvent('pull_request', pullRequestPayload(repo, 'labeled', { number: 4, headSha: 'h', baseSha: 'b' }), ctx).jobs).toEqual([]);
  });
  it('a merged pull request remembers its merge commit and queues the branch', () => {
    const d = decideEvent(
      'pull_request',
      pullRequestPayload(repo, 'closed', { number: 4, headSha: 'h', baseSha: 'b', merged: true, mergeCommitSha: 'm1' }),
      ctx,
    );
    expect(d.merged).toEqual({ sha: 'm1', pr: 4 });
    expect(d.jobs[0]).toMatchObject({ kind: 'branch', dedupeKey: 'branch:m1' });
    expect(decideEvent('pull_request', pullRequestPayload(repo, 'closed', { number: 4, headSha: 'h', baseSha: 'b' }), ctx).jobs).toEqual([]);
  });
  it('a push to the tracked branch queues the branch; other branches do not', () => {
    expect(decideEvent('push', pushPayload(repo, { before: 'a', after: 'c' }), ctx).jobs[0]).toMatchObject({
      kind: 'branch',
      dedupeKey: 'branch:c',
      supersede: true,
    });
    expect(decideEvent('push', pushPayload(repo, { ref: 'refs/heads/dev', before: 'a', after: 'c' }), ctx).jobs).toEqual([]);
  });
  it('comment commands on pull requests become command jobs', () => {
    const d = decideEvent('issue_comment', issueCommentPayload(repo, { pr: 9, body: '/driftless apply\nplease', user: 'bob', commentId: 55 }), ctx);
    expect(d.jobs).toEqual([
      { kind: 'command', lane: 'pr:9', dedupeKey: 'command:55', payload: { pr: 9, commentId: 55, user: 'bob', command: { name: 'apply' } } },
    ]);
    expect(decideEvent('issue_comment', issueCommentPayload(repo, { pr: 9, body: 'looks good', user: 'bob', commentId: 56 }), ctx).jobs).toEqual([]);
  });
  it('a comment on an issue that is not a pull request (no `issue.pull_request`) is a command on that issue', () => {
    const d = decideEvent('issue_comment', issueCommentPayload(repo, { pr: 12, body: '/driftless adopt', user: 'bob', commentId: 57, onIssue: true }), ctx);
    expect(d.jobs).toEqual([
      {
        kind: 'command',
        lane: 'issue:12',
        dedupeKey: 'issue-command:57',
        payload: { pr: null, issue: 12, commentId: 57, user: 'bob', command: { name: 'adopt', resource: null } },
      },
    ]);
  });
  it('comment commands on a commit become command jobs for that commit; edits, bots and chatter do not', () => {
    const sha = 'a'.repeat(40);
    const d = decideEvent('commit_comment', commitCommentPayload(repo, { sha, body: '/driftless apply', user: 'bob', commentId: 77 }), ctx);
    expect(d.jobs).toEqual([
      {
        kind: 'command',
        lane: `commit:${sha}`,
        dedupeKey: 'commit-command:77',
        payload: { pr: null, commit: sha, commentId: 77, user: 'bob', command: { name: 'apply' } },
      },
    ]);
    expect(decideEvent('commit_comment', commitCommentPayload(repo, { sha, body: 'nice', user: 'bob', commentId: 78 }), ctx).ignored).toBe(
      'not a driftless command',
    );
    const edited = { ...commitCommentPayload(repo, { sha, body: '/driftless apply', user: 'bob', commentId: 79 }), action: 'edited' };
    expect(decideEvent('commit_comment', edited, ctx).ignored).toBe('commit_comment action edited');
    const bot = commitCommentPayload(repo, { sha, body: '/driftless apply', user: 'driftless[bot]', commentId: 80 });
    bot.comment.user.type = 'Bot';
    expect(decideEvent('commit_comment', bot, ctx).ignored).toBe('comment by a bot');
    const other = commitCommentPayload({ owner: 'someone', repo: 'else' }, { sha, body: '/driftless apply', user: 'bob', commentId: 81 });
    expect(decideEvent('commit_comment', other, ctx).jobs).toEqual([]);
  });
  it('parses commands from the first line only', () => {
    expect(parseCommand('/driftless plan')).toEqual({ name: 'plan' });
    expect(parseCommand('  /driftless   HELP  ')).toEqual({ name: 'help' });
    expect(parseCommand('/driftless')).toEqual({ name: 'help' });
    expect(parseCommand('/driftless destroy')).toEqual({ name: 'unknown', word: 'destroy' });
    expect(parseCommand('/driftless adopt')).toEqual({ name: 'adopt', resource: null });
    expect(parseCommand('/driftless adopt File/motd extra')).toEqual({ name: 'adopt', resource: 'File/motd' });
    expect(parseCommand('lgtm\n/driftless apply')).toBeNull();
  });
});
