import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import { PolicyRecords } from '../../src/reconcile/durable/policy-records.js';

const SOFT = `name: no-todo
level: soft-mandatory
match: { kinds: [File] }
rule: "!change.after.spec.content.contains('TODO')"
message: "{{change.id}} still has a TODO"
`;

/** Teams as policy owners and approvers: membership read through GitHub's team memberships API. */
describe('serve: teams as policy owners and approvers', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n'), '.driftless/policies/no-todo.yaml': SOFT });
    w.extraConfig = [
      'policy:',
      '  owners: ["@acme/security"]',
      'requirements:',
      '  - stacks: ["we*"]',
      '    approvals: { count: 2, from: ["@acme/sre", "@carol"] }',
    ];
    w.writeConfig();
    w.gh.teams.set(
      'acme/security',
      new Map([
        ['sec', 'active'],
        ['newbie', 'pending'],
      ]),
    );
    w.gh.teams.set(
      'acme/sre',
      new Map([
        ['ada', 'active'],
        ['bob', 'active'],
      ]),
    );
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  }, 120_000);
  afterAll(async () => {
    await w.close();
  }, 120_000);

  it('an override by a team member is accepted, by a non-member refused; approvals count from team members only', async () => {
    const pr = w.openPr(1, webFile('todo', 'TODO: later\n'));
    w.gh.reviews.set(1, [
      { user: 'ada', state: 'APPROVED', commitId: pr.head },
      { user: 'eve', state: 'APPROVED', commitId: pr.head }, // in no listed team
    ]);
    await w.prOpened(1);
    await until('policy status of #1', () => w.statuses(pr.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    expect(w.statuses(pr.head, 'driftless/policy')).toEqual(['failure']);
    expect(w.planComment(1)).toContain(`stack \`web\` needs 2 approvals from @acme/sre, @carol at the head \`${pr.head.slice(0, 12)}\`; it has 1 (@ada)`);

    // An invitation to the owning team not yet accepted is no membership.
    await w.comment(1, '/driftless override no-todo trust me', 'newbie', 8001);
    await until('non-member refused', () => w.gh.commentsOn(1).find((c) => c.body.includes('@newbie') && c.body.includes('only a policy owner')));
    await w.idle();
    const records = new PolicyRecords(w.svc!.ctx.records.db, w.svc!.ctx.records.repo);
    expect(await records.overrides({ pr: 1 })).toEqual([]);
    expect(w.gh.commentsOn(1).find((c) => c.body.includes('@newbie'))!.body).toContain('(@acme/security)');

    await w.comment(1, '/driftless override no-todo tracked in #12', 'sec', 8002);
    await until('policy status passes', () => w.statuses(pr.head, 'driftless/policy').at(-1) === 'success');
    expect((await records.overrides({ pr: 1 }))[0]).toMatchObject({ by: 'sec', reason: 'tracked in #12' });

    // A second approval from a member of @acme/sre meets the requirement: applied after the merge.
    w.gh.reviews.get(1)!.push({ user: 'bob', state: 'APPROVED', commitId: pr.head });
    await w.idle();
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('web applied', async () => {
      const held = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after);
      if (held) throw new Error(`held: ${held.reason}`);
      return w.statuses(m.after, 'driftless/apply: web').includes('success');
    });
    expect(readFileSync(join(w.targetRoot, 'web/todo.txt'), 'utf8')).toBe('TODO: later\n');
    const asked = w.gh.requests.filter((r) => r.operationId === 'teams/get-membership-for-user-in-org').map((r) => r.path);
    expect(asked).toContain('/orgs/acme/teams/sre/memberships/bob');
    expect(asked).toContain('/orgs/acme/teams/security/memberships/newbie');
    expect(w.gh.rejected()).toEqual([]);
  }, 120_000);
});
