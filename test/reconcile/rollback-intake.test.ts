import { describe, expect, it } from 'vitest';
import { decide } from '../../src/reconcile/intake.js';
import { parseGitHubEvent } from '../../src/forge/github/webhook.js';
import { parseCommand } from '../../src/forge/commands.js';
import { parseRollbackMarker, rollbackMarker } from '../../src/git/rollback.js';
import { pullRequestPayload } from '../../testkit/webhooks.js';

const ctx = { owner: 'acme', repo: 'infra', branch: 'main' };
const repo = { owner: 'acme', repo: 'infra' };
const decideEvent = (event: string, payload: Record<string, unknown>) => decide(parseGitHubEvent(event, payload, ctx), ctx);
const T = 'a'.repeat(40);
const U1 = 'b'.repeat(40);
const U2 = 'c'.repeat(40);

function rollbackPr(o: { ref?: string; fullName?: string; body?: string } = {}): Record<string, unknown> {
  const p = pullRequestPayload(repo, 'opened', { number: 7, headSha: 'd'.repeat(40), baseSha: 'e'.repeat(40) });
  p.pull_request.head.ref = o.ref ?? `driftless/rollback-web-${T.slice(0, 12)}`;
  p.pull_request.head.repo.full_name = o.fullName ?? 'acme/infra';
  p.pull_request.body = o.body ?? `Restores…\n\n${rollbackMarker('web', T, [U1, U2])}`;
  return p;
}

describe('rollback: commands, markers and events', () => {
  it('parses /driftless rollback REF [STACK...]', () => {
    expect(parseCommand('/driftless rollback v1.2 web ops')).toEqual({ name: 'rollback', ref: 'v1.2', stacks: ['web', 'ops'] });
    expect(parseCommand('/driftless ROLLBACK abc123')).toEqual({ name: 'rollback', ref: 'abc123', stacks: [] });
    expect(parseCommand('/driftless rollback')).toEqual({ name: 'rollback', ref: null, stacks: [] });
  });

  it('reads back the marker it writes', () => {
    expect(parseRollbackMarker(`x\n${rollbackMarker('web', T, [U1, U2])}\n`)).toEqual({ stack: 'web', target: T, undoes: [U1, U2] });
    expect(parseRollbackMarker(rollbackMarker('web', T, []))).toEqual({ stack: 'web', target: T, undoes: [] });
    expect(parseRollbackMarker('no marker')).toBeNull();
  });

  it('a rollback pull request of a branch of this repository quarantines its stack; a fork or another branch name does not', () => {
    expect(decideEvent('pull_request', rollbackPr()).rollback).toEqual({
      pr: 7,
      branch: `driftless/rollback-web-${T.slice(0, 12)}`,
      commit: 'd'.repeat(40),
      stack: 'web',
      target: T,
      undoes: [U1, U2],
    });
    expect(decideEvent('pull_request', rollbackPr({ fullName: 'mallory/infra' })).rollback).toBeUndefined();
    expect(decideEvent('pull_request', rollbackPr({ ref: 'feature' })).rollback).toBeUndefined();
    expect(decideEvent('pull_request', rollbackPr({ body: 'plain' })).rollback).toBeUndefined();
  });

  it('a pull request closed, merged or not, ends a quarantine it holds', () => {
    const closed = decideEvent('pull_request', pullRequestPayload(repo, 'closed', { number: 7, headSha: 'h', baseSha: 'b' }));
    expect(closed).toMatchObject({ jobs: [], ended: { pr: 7, merged: false } });
    expect(closed.ignored).toContain('closed without merging');
    const merged = decideEvent(
      'pull_request',
      pullRequestPayload(repo, 'closed', { number: 7, headSha: 'h', baseSha: 'b', merged: true, mergeCommitSha: 'm' }),
    );
    expect(merged.ended).toEqual({ pr: 7, merged: true });
  });
});
