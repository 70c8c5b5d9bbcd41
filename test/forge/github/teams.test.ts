import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startGitHubDouble, type GitHubDouble } from '../../../testkit/github-double.js';
import { githubClient } from '../../../src/forge/github/client.js';
import { GitHubForge } from '../../../src/forge/github/github-forge.js';
import { SecretValue } from '../../../src/sdk/secret-value.js';
import { filterAmong, isAmong, principals } from '../../../src/reconcile/owners.js';

const TOKEN = 'ghp_teams_test_token';

/** Teams as owners and approvers: membership asked through GitHub's team memberships API, answers reused briefly. */
describe('team membership through GitHub', () => {
  let gh: GitHubDouble;
  const forge = (): GitHubForge =>
    new GitHubForge(
      githubClient({ baseUrl: gh.url, owner: 'acme', repo: 'infra', token: new SecretValue(TOKEN, 'test') }, pino({ level: 'silent' })),
      'acme',
      'infra',
    );
  const asked = (): string[] => gh.requests.filter((r) => r.operationId === 'teams/get-membership-for-user-in-org').map((r) => `${r.path} ${r.status}`);
  beforeAll(async () => {
    gh = await startGitHubDouble({ owner: 'acme', repo: 'infra', token: TOKEN });
    gh.teams.set(
      'acme/sre',
      new Map([
        ['Ada', 'active'],
        ['pat', 'pending'],
      ]),
    );
  });
  afterAll(async () => {
    await gh.close();
  });

  it('an active member is one; a pending invitation or an unknown user is not (404)', async () => {
    const f = forge();
    expect(await f.teamMember('acme', 'sre', 'ada')).toBe(true);
    expect(await f.teamMember('acme', 'sre', 'pat')).toBe(false);
    expect(await f.teamMember('acme', 'sre', 'eve')).toBe(false);
    expect(await f.teamMember('acme', 'nosuchteam', 'ada')).toBe(false);
    expect(asked()).toEqual([
      '/orgs/acme/teams/sre/memberships/ada 200',
      '/orgs/acme/teams/sre/memberships/pat 200',
      '/orgs/acme/teams/sre/memberships/eve 404',
      '/orgs/acme/teams/nosuchteam/memberships/ada 404',
    ]);
    expect(gh.rejected()).toEqual([]);
  });

  it('users and teams together; each team answer is asked once and reused', async () => {
    gh.requests.length = 0;
    const f = forge();
    const among = principals(['@bob', '@acme/sre']);
    expect(await filterAmong(f, among, ['eve', 'Bob', 'ada', 'pat'])).toEqual(['Bob', 'ada']);
    expect(await isAmong(f, among, 'ADA')).toBe(true);
    expect(await isAmong(f, among, 'eve')).toBe(false);
    // bob is named: GitHub is not asked about him; eve, ada and pat once each.
    expect(asked().sort()).toEqual([
      '/orgs/acme/teams/sre/memberships/ada 200',
      '/orgs/acme/teams/sre/memberships/eve 404',
      '/orgs/acme/teams/sre/memberships/pat 200',
    ]);
    // Without a forge, a team's members are unknown: only named users count.
    expect(await filterAmong(undefined, among, ['bob', 'ada'])).toEqual(['bob']);
  });
});
