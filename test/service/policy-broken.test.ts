import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

const GOOD = `name: small-plans
level: advisory
rule: "plan.summary.create < 10"
`;
// The rule misses its closing parenthesis: the file does not load.
const BROKEN = `name: no-todo
level: soft-mandatory
rule: "!change.after.spec.content.contains('TODO'"
message: "{{change.id}} still has a TODO"
`;

/** A policy file on the base branch that does not load blocks plans (fail closed): breaking a policy lets nothing through. */
describe('serve: a broken policy on the base branch', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({
      'driftless.yaml': REPO_CONFIG,
      ...webFile('a', 'one\n'),
      '.driftless/policies/small-plans.yaml': GOOD,
      '.driftless/policies/no-todo.yaml': BROKEN,
    });
    w.extraConfig = ['policy:', '  owners: ["@sec"]'];
    w.writeConfig();
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  }, 120_000);
  afterAll(async () => {
    await w.close();
  }, 120_000);

  it('fails the policy check with the file:line:col error on the PR, its status and the hold after the merge', async () => {
    const pr = w.openPr(1, webFile('b', 'TODO\n'));
    await w.prOpened(1);
    await until('policy status of #1', () => w.statuses(pr.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    const where = '.driftless/policies/no-todo.yaml:3:50: no-todo: rule: Expected RPAREN, got EOF';
    const body = w.planComment(1)!;
    expect(body).toContain('#### Policies for `web`');
    expect(body).toContain('| `.driftless/policies/no-todo.yaml` | hard-mandatory | ❌ does not load |');
    expect(body).toContain(`- ${where}`);
    // The policies that do load are still judged.
    expect(body).toMatch(/\| `small-plans` \| advisory \| ✅ passed/);
    const status = w.gh.statuses.filter((s) => s.sha === pr.head && s.context === 'driftless/policy').at(-1)!;
    expect(status.state).toBe('failure');
    expect(status.description).toBe(`Policy file does not load: ${where}`);
    const check = w.gh.checkRuns.filter((c) => c.sha === pr.head).at(-1)!;
    expect(check.annotations.find((a) => a.path === '.driftless/policies/no-todo.yaml')).toMatchObject({ start_line: 3 });

    // An owner cannot override it: only a fixed policy, reviewed and merged, lifts it.
    await w.comment(1, '/driftless override .driftless/policies/no-todo.yaml please', 'sec', 9001);
    await until('refusal', () => w.gh.commentsOn(1).find((c) => c.body.includes('cannot be overridden')));

    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('a hold at the merge', async () => (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after)!;
    expect(hold.reason).toContain(
      `Blocked by policy on stack \`web\`: policy file \`.driftless/policies/no-todo.yaml\` does not load (${where}); it blocks until a fix is merged.`,
    );
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect(w.gh.commentsOn(1).some((c) => c.body.includes('does not load'))).toBe(true);
    expect(w.gh.rejected()).toEqual([]);
  }, 120_000);
});
