import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startGitHubDouble, type GitHubDouble } from '../../../testkit/github-double.js';
import { githubClient } from '../../../src/forge/github/client.js';
import { GitHubForge } from '../../../src/forge/github/github-forge.js';
import { Pacer } from '../../../src/forge/github/pacer.js';
import { SecretValue } from '../../../src/sdk/secret-value.js';

const TOKEN = 'ghp_client_test_token';

describe('the GitHub client: pacing and GitHub’s own answers', () => {
  let gh: GitHubDouble;
  beforeAll(async () => {
    gh = await startGitHubDouble({ owner: 'acme', repo: 'infra', token: TOKEN });
    gh.pulls.set(1, {
      number: 1,
      headSha: 'a'.repeat(40),
      headRef: 'pr-1',
      baseRef: 'main',
      baseSha: 'b'.repeat(40),
      mergeable: true,
      state: 'open',
      merged: false,
      mergeCommitSha: null,
      draft: false,
      user: 'alice',
    });
  });
  afterAll(async () => {
    await gh.close();
  });

  it('every request passes the pacer; a secondary rate limit holds the other requests until its retry-after', async () => {
    const pacer = new Pacer();
    // retry-after is scaled to 50 ms a second: 40 s is a 2 s pause.
    const client = githubClient({ baseUrl: gh.url, owner: 'acme', repo: 'infra', token: new SecretValue(TOKEN, 'test') }, pino({ level: 'silent' }), {
      pacer,
      retryBaseMs: 50,
    });
    const forge = new GitHubForge(client, 'acme', 'infra');
    await forge.getPull(1);
    expect(pacer.stats).toMatchObject({ admitted: 1, waited: 0 });
    gh.rateLimitNext('repos/create-commit-status', { kind: 'secondary', waitS: 40 });
    const status = forge.setStatus('a'.repeat(40), 'driftless/plan', 'pending', 'Planning…');
    const limited = (): boolean => gh.requests.some((r) => r.operationId === 'repos/create-commit-status' && r.status === 403);
    while (!limited()) await new Promise((r) => setTimeout(r, 5));
    // A read made while GitHub's retry-after runs waits for it too.
    const read = forge.getPull(1);
    await Promise.all([status, read]);
    const after403 = gh.requests.slice(gh.requests.findIndex((r) => r.status === 403) + 1).map((r) => `${r.operationId} ${r.status}`);
    expect(after403.sort()).toEqual(['pulls/get 200', 'repos/create-commit-status 201']);
    expect(pacer.stats.waited).toBeGreaterThanOrEqual(1);
    expect(pacer.stats.admitted).toBe(gh.requests.length);
    expect(gh.rejected()).toEqual([]);
  });
});
