import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import { manifest } from '../helpers/git.js';
import { PolicyRecords } from '../../src/reconcile/durable/policy-records.js';

const HARD = `name: no-world-writable-files
description: files are not world-writable
level: hard-mandatory
match: { kinds: [fs.driftless.dev/v1/File] }
rule: "!(has(change.after.spec.mode) && (change.after.spec.mode.endsWith('6') || change.after.spec.mode.endsWith('7')))"
message: "files must not be world-writable: {{change.id}}"
`;
const SOFT = `name: no-todo
level: soft-mandatory
match: { kinds: [File], actions: [create, update] }
rule: "!change.after.spec.content.contains('TODO')"
message: "{{change.id}} still has a TODO"
`;
const ADVICE = `name: small-plans
level: advisory
rule: "plan.summary.create < 3"
message: "{{plan.summary.create}} files created at once"
`;

const wide = (name: string) => ({ [`stacks/web/${name}.yaml`]: manifest('File', name, { path: `web/${name}.txt`, content: 'open\n', mode: '0666' }) });

/** Policies of the base branch judge pull requests: results on the PR, holds after the merge, overrides by owners. */
describe('serve: policies', () => {
  let w: World;
  const records = () => new PolicyRecords(w.svc!.ctx.records.db, w.svc!.ctx.records.repo);
  beforeAll(async () => {
    w = await World.create({
      'driftless.yaml': REPO_CONFIG,
      ...webFile('a', 'one\n'),
      '.driftless/policies/no-world-writable.yaml': HARD,
      '.driftless/policies/no-todo.yaml': SOFT,
      '.driftless/policies/small-plans.yaml': ADVICE,
    });
    w.extraConfig = ['policy:', '  owners: ["@sec"]'];
    w.writeConfig();
    w.gh.permissions.set('sec', 'write');
    await w.start();
    await w.svc!.scheduler.pollNow();
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  }, 120_000);

  it('hard-mandatory: the PR shows the failure (comment, status, annotation); the merge is held', async () => {
    const pr = w.openPr(1, { ...wide('wide'), ...webFile('b', 'fine\n') });
    await w.prOpened(1);
    await until('policy status of #1', () => w.statuses(pr.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    const body = w.planComment(1)!;
    expect(body).toContain('#### Policies for `web`');
    expect(body).toContain('files must not be world-writable: File/wide');
    // Direct commits are never applied on their own: a.yaml is part of this plan too.
    expect(body).toMatch(/\| `no-world-writable-files` \| hard-mandatory \| ❌ failed: 1 of 3 \|/);
    expect(body).toMatch(/\| `no-todo` \| soft-mandatory \| ✅ passed \(3 checked\) \|/);
    expect(body).toMatch(/\| `small-plans` \| advisory \| ⚠️ warned: 1 of 1 \|/);
    expect(body).toContain('3 files created at once');
    expect(w.statuses(pr.head, 'driftless/policy')).toEqual(['failure']);
    const check = w.gh.checkRuns.filter((c) => c.sha === pr.head).at(-1)!;
    expect(check.conclusion).toBe('failure');
    expect(check.annotations.find((a) => String(a.message).includes('no-world-writable-files'))).toMatchObject({ path: 'stacks/web/wide.yaml', start_line: 1 });
    const stored = await records().results(1);
    expect(stored.map((r) => r.stack)).toEqual(['web']);
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('a hold for web', async () => (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after)!;
    expect(hold.reason).toContain('hard-mandatory policy `no-world-writable-files` failed');
    expect(existsSync(join(w.targetRoot, 'web/wide.txt'))).toBe(false);
    expect(w.gh.commentsOn(1).some((c) => c.body.includes('hard-mandatory policy'))).toBe(true);
    // The stack page: the held apply's policy reason, and the pull request's judgement per policy.
    const stackPage = await (await fetch(`${w.url()}/stacks/web`)).text();
    expect(stackPage).toContain('<section aria-label="policy of the held apply"><h3>Policy</h3>');
    expect(stackPage).toContain('<li class="reason">Blocked by policy on stack `web`: hard-mandatory policy `no-world-writable-files` failed (1 change).</li>');
    expect(stackPage).toMatch(
      /data-policy="no-world-writable-files" data-outcome="failed">.*<code>File\/wide<\/code>: files must not be world-writable: File\/wide/,
    );
    // An override does not lift a hard-mandatory policy.
    await w.comment(1, '/driftless override no-world-writable-files we need it', 'sec', 7001);
    await until('refusal', () => w.gh.commentsOn(1).find((c) => c.body.includes('cannot be overridden')));
    // Clear the way for the next tests: main without the wide file.
    w.pushMain({ 'stacks/web/wide.yaml': null }, 'remove the wide file');
  }, 120_000);

  it('soft-mandatory: refused for a non-owner, overridden by an owner for this plan only; a push makes the override void', async () => {
    const first = w.openPr(2, webFile('todo', 'TODO: write this\n'));
    await w.prOpened(2);
    await until('policy status of #2', () => w.statuses(first.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    expect(w.statuses(first.head, 'driftless/policy')).toEqual(['failure']);
    expect(w.planComment(2)).toContain('File/todo still has a TODO');

    await w.comment(2, '/driftless override no-todo ship it', 'writer', 7002);
    await until('non-owner refused', () => w.gh.commentsOn(2).find((c) => c.body.includes('@writer') && c.body.includes('only a policy owner')));
    await w.idle();
    expect(await records().overrides({ pr: 2 })).toEqual([]);

    await w.comment(2, '/driftless override no-todo the TODO is tracked in #99', 'sec', 7003);
    await until('override reply', () => w.gh.commentsOn(2).find((c) => c.body.includes('@sec') && c.body.includes('is overridden')));
    await until('plan comment shows the override', () => w.planComment(2)?.includes('overridden by @sec'));
    await until('policy status passes', () => w.statuses(first.head, 'driftless/policy').at(-1) === 'success');
    const [o] = await records().overrides({ pr: 2 });
    expect(o).toMatchObject({ policy: 'no-todo', by: 'sec', reason: 'the TODO is tracked in #99', stack: 'web' });
    // Queryable through the API: results per stack, and the overrides with who, when, why and which plan.
    const api = (await (await fetch(`${w.url()}/api/pulls/2`)).json()) as {
      policy: { results: { stack: string; digest: string }[]; overrides: { by: string; digest: string }[] };
    };
    expect(api.policy.overrides[0]).toMatchObject({ by: 'sec', digest: api.policy.results[0].digest });

    // A new push: a new plan, which the override does not cover.
    const second = w.openPr(2, webFile('todo2', 'another TODO\n'));
    await w.prOpened(2, 'synchronize');
    await until('policy status of the new head', () => w.statuses(second.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    expect(w.statuses(second.head, 'driftless/policy')).toEqual(['failure']);
    expect(w.planComment(2)).not.toContain('overridden by @sec');

    // Overridden again for the new plan, merged: applied, and the override is in the run and the note.
    await w.comment(2, '/driftless override no-todo both tracked in #99', 'sec', 7004);
    await until('policy status passes again', () => w.statuses(second.head, 'driftless/policy').at(-1) === 'success');
    await w.idle();
    const m = w.mergePr(2);
    await w.merged(2, m);
    await until('web applied', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/todo2.txt'), 'utf8')).toBe('another TODO\n');
    const run = (await w.svc!.ctx.store.runs({ stack: 'web', limit: 1 }))[0];
    const stored = (await records().runResult(run.id))!.report as { overrides: { by: string; reason: string }[] };
    expect(stored.overrides[0]).toMatchObject({ by: 'sec', reason: 'both tracked in #99' });
    const runApi = (await (await fetch(`${w.url()}/api/runs/${run.id}`)).json()) as { policy: { report: { overrides: { by: string }[] } } };
    expect(runApi.policy.report.overrides[0].by).toBe('sec');
    // The run page: the policies the plan was judged by, and the override with who, when, why and which plan.
    const runPage = await (await fetch(`${w.url()}/runs/${run.id}`)).text();
    expect(runPage).toMatch(/data-policy="no-todo" data-outcome="overridden">.*overridden<\/span> by @sec/);
    expect(runPage).toMatch(/<td><code>no-todo<\/code><\/td><td>@sec<\/td><td><time [^>]+>[^<]+<\/time><\/td><td>both tracked in #99<\/td>/);
    // The git note on the merge, in the remote repository: who, when, why and which plan.
    const { digest } = (await records().runResult(run.id))!;
    const note = await until('the git note of the merge', () => {
      try {
        return execFileSync('git', ['--git-dir', w.bare, 'notes', '--ref=driftless', 'show', m.after], { encoding: 'utf8' });
      } catch {
        return undefined;
      }
    });
    const line = note.split('\n').find((l) => l.includes('policy no-todo'));
    expect(line).toMatch(
      /policy no-todo \(soft-mandatory\): failed, overridden by @sec at \d{4}-\d\d-\d\dT[\d:.]+Z: both tracked in #99 \(plan sha256:[0-9a-f]{64}\)$/,
    );
    expect(line).toContain(`(plan ${digest})`);
  }, 120_000);

  it('a PR that weakens a policy is judged by the base branch, lists the change, and needs an owner approval', async () => {
    const weaker = HARD.replace('level: hard-mandatory', 'level: advisory');
    const pr = w.openPr(3, { '.driftless/policies/no-world-writable.yaml': weaker, ...wide('wide3') });
    await w.prOpened(3);
    await until('policy status of #3', () => w.statuses(pr.head, 'driftless/policy').find((s) => s !== 'pending'));
    await w.idle();
    const body = w.planComment(3)!;
    expect(body).toContain('This pull request changes the rules that judge plans');
    expect(body).toContain('policy file `.driftless/policies/no-world-writable.yaml` is changed (level `hard-mandatory` → `advisory`)');
    expect(body).toMatch(/\| `no-world-writable-files` \| hard-mandatory \| ❌ failed/);
    expect(w.statuses(pr.head, 'driftless/policy')).toEqual(['failure']);
    const m = w.mergePr(3);
    await w.merged(3, m);
    await until('a hold at the merge', async () => (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after)!;
    expect(hold.reason).toContain('hard-mandatory policy `no-world-writable-files` failed');
    expect(existsSync(join(w.targetRoot, 'web/wide3.txt'))).toBe(false);
  }, 120_000);

  it('a change to the rules with a plan is applied only with a policy owner approval at the reviewed head', async () => {
    // main now has the advisory version (merged in #3). A PR that tightens it back and adds a file.
    const pr = w.openPr(4, { '.driftless/policies/no-world-writable.yaml': HARD, ...webFile('c4', 'four\n') });
    await w.prOpened(4);
    await until('plan of #4', () => w.planComment(4)?.includes('File/c4'));
    await w.idle();
    w.gh.reviews.set(4, [
      { user: 'sec', state: 'APPROVED', commitId: 'f'.repeat(40) }, // an older head: does not count
      { user: 'writer', state: 'APPROVED', commitId: pr.head }, // not an owner
    ]);
    const m = w.mergePr(4);
    await w.merged(4, m);
    await until('a hold at the merge of #4', async () => (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after));
    await w.idle();
    const hold = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m.after)!;
    expect(hold.reason).toContain('needs an approval from a policy owner (@sec) on #4');
    expect(w.gh.requests.some((r) => r.operationId === 'pulls/list-reviews')).toBe(true);

    // (the wide file of #3, held, goes too: the base's hard-mandatory policy would block it)
    const pr5 = w.openPr(5, { '.driftless/policies/no-todo.yaml': SOFT.replace('TODO', 'FIXME'), 'stacks/web/wide3.yaml': null, ...webFile('c5', 'five\n') });
    await w.prOpened(5);
    await until('plan of #5', () => w.planComment(5)?.includes('File/c5'));
    await w.idle();
    w.gh.reviews.set(5, [{ user: 'sec', state: 'APPROVED', commitId: pr5.head }]);
    const m5 = w.mergePr(5);
    await w.merged(5, m5);
    await until('web applied at #5', async () => {
      const held = (await w.svc!.ctx.records.holds()).find((h) => h.commit === m5.after);
      if (held) throw new Error(`held: ${held.reason}`);
      return w.statuses(m5.after, 'driftless/apply: web').includes('success');
    });
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/c5.txt'), 'utf8')).toBe('five\n');
    expect(w.gh.rejected()).toEqual([]);
  }, 120_000);
});
