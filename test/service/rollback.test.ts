import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, OWNER, REPO, webFile, opsFile, until } from './harness.js';
import { pullRequestPayload } from '../../testkit/webhooks.js';

type StackApi = { stacks: { name: string; quarantine: { pr: number; reason: string; undoes: string[] } | null; held: { reason: string } | null }[] };

describe('serve: /driftless rollback opens a pull request and quarantines the stack until it ends', () => {
  let w: World;
  let first: string;
  let m1: { before: string; after: string };
  let m2: { before: string; after: string };
  let rb: number;
  const stacks = async (): Promise<StackApi['stacks']> => ((await (await fetch(`${w.url()}/api/stacks`)).json()) as StackApi).stacks;
  const bareGit = (...args: string[]): string => execFileSync('git', args, { cwd: w.bare, encoding: 'utf8' }).trim();
  const lsTree = (ref: string): string => bareGit('ls-tree', '-r', ref);

  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n'), ...opsFile('o', 'ops\n'), 'README.md': 'hi\n' });
    await w.start();
    first = w.work.head('main');
    await until('hold on the first commit', () => w.gh.commentsOnCommit(first).find((c) => c.body.includes('is held')));
    await w.commitComment(first, '/driftless apply', 'writer', 100);
    await until('first commit applied', () => w.statuses(first, 'driftless/apply: web').includes('success'));
    // Two reviewed changes of web (the second also changes ops), merged and applied.
    w.openPr(1, { ...webFile('a', 'two\n'), ...webFile('b', 'bee\n') });
    await w.prOpened(1);
    await until('plan of #1', () => w.planComment(1));
    await w.idle();
    m1 = w.mergePr(1);
    await w.merged(1, m1);
    await until('#1 applied', () => w.statuses(m1.after, 'driftless/apply: web').includes('success'));
    w.openPr(2, { ...webFile('a', 'three\n'), ...opsFile('o', 'ops two\n') });
    await w.prOpened(2);
    await until('plan of #2', () => w.planComment(2));
    await w.idle();
    m2 = w.mergePr(2);
    await w.merged(2, m2);
    await until(
      '#2 applied',
      () => w.statuses(m2.after, 'driftless/apply: ops').includes('success') && w.statuses(m2.after, 'driftless/apply: web').includes('success'),
    );
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/a.txt'), 'utf8')).toBe('three\n');
  });
  afterAll(async () => {
    await w.close();
  });

  it('refuses a user without write permission, and says how to ask without a REF', async () => {
    await w.comment(2, `/driftless rollback ${first} web`, 'reader', 200);
    await w.comment(2, '/driftless rollback', 'writer', 201);
    await until('two replies', () => w.gh.commentsOn(2).filter((c) => c.body.includes('> /driftless rollback')).length === 2 || undefined);
    await w.idle();
    const replies = w.gh.commentsOn(2).map((c) => c.body);
    expect(replies.find((b) => b.includes('@reader'))).toContain('a rollback needs write permission');
    expect(replies.find((b) => b.includes('@writer'))).toContain('`/driftless rollback REF [STACK...]`');
    expect(w.gh.requests.some((r) => r.operationId === 'pulls/create')).toBe(false);
  });

  it('opens a pull request whose tree is the head with only the stack put back, and plans it', async () => {
    await w.comment(2, `/driftless rollback ${first.slice(0, 10)} web`, 'writer', 210);
    const created = await until('the rollback pull request', () => [...w.gh.pulls.values()].find((p) => p.headRef.startsWith('driftless/rollback-web-')));
    rb = created.number;
    expect(created.baseRef).toBe('main');
    expect(created.title).toBe(`Roll back stack web to ${first.slice(0, 12)}`);
    // Exactly the expected tree: web as at the first commit, everything else as at the head.
    const expected = lsTree(m2.after)
      .split('\n')
      .filter((l) => !l.includes('\tstacks/web/'))
      .concat(
        lsTree(first)
          .split('\n')
          .filter((l) => l.includes('\tstacks/web/')),
      )
      .sort();
    expect(lsTree(created.headSha).split('\n').sort()).toEqual(expected);
    expect(bareGit('rev-parse', `${created.headSha}^`)).toBe(m2.after);
    expect(bareGit('rev-parse', `refs/heads/${created.headRef}`)).toBe(created.headSha);
    // The body names the commits it undoes (the merges of #2 and #1: the first-parent line).
    expect(created.body).toContain(`- ${m2.after} Merge pull request #2`);
    expect(created.body).toContain(`- ${m1.after} Merge pull request #1`);
    expect(created.body).not.toContain(`- ${first}`);
    expect(created.body).toContain('quarantined');
    // Its plan is posted like any other: web goes back, ops is not in it.
    const plan = await until('plan of the rollback', () => w.planComment(rb));
    await until('plan status', () => w.statuses(created.headSha, 'driftless/plan').includes('success'));
    expect(plan).toContain('Stack `web`');
    expect(plan).toContain('File/a');
    expect(plan).toContain('File/b');
    expect(plan).not.toContain('Stack `ops`');
    // The answer links it.
    await w.idle();
    expect(w.gh.commentsOn(2).find((c) => c.body.includes('@writer') && c.body.includes(`opened #${rb}`))?.body).toContain('quarantined');
    // The quarantine shows on the stack's status.
    const s = await stacks();
    expect(s.find((x) => x.name === 'web')?.quarantine).toEqual({
      pr: rb,
      target: first,
      undoes: [m2.after, m1.after],
      reason: `quarantined by rollback PR #${rb}`,
    });
    expect(s.find((x) => x.name === 'ops')?.quarantine).toBeNull();
  });

  it('a second rollback of a quarantined stack is not opened', async () => {
    await w.commitComment(m2.after, `/driftless rollback ${first} web`, 'writer', 220);
    await until('reply', () => w.gh.commentsOnCommit(m2.after).find((c) => c.body.includes('@writer') && c.body.includes('rollback')));
    await w.idle();
    expect(w.gh.commentsOnCommit(m2.after).find((c) => c.body.includes('@writer'))?.body).toContain(`rollback #${rb} is already open`);
    expect([...w.gh.pulls.values()].filter((p) => p.headRef.startsWith('driftless/rollback-web-'))).toHaveLength(1);
  });

  it('holds a newer reviewed commit of the quarantined stack: planned, not applied', async () => {
    w.openPr(5, webFile('c', 'sea\n'));
    await w.prOpened(5);
    await until('plan of #5', () => w.planComment(5));
    await w.idle();
    const m5 = w.mergePr(5);
    await w.merged(5, m5);
    const hold = await until('hold on #5', () => w.gh.commentsOn(5).find((c) => c.body.includes('is held')));
    await w.idle();
    expect(hold.body).toContain(`quarantined by rollback PR #${rb}`);
    expect(hold.body).toContain('File/c');
    expect(existsSync(join(w.targetRoot, 'web/c.txt'))).toBe(false);
    expect(w.statuses(m5.after, 'driftless/apply: web')).toEqual(['pending']);
    const web = (await stacks()).find((x) => x.name === 'web')!;
    expect(web.held?.reason).toContain(`quarantined by rollback PR #${rb}`);
    expect(web.quarantine?.pr).toBe(rb);
  });

  it('merged: the reviewed rollback is applied, the quarantine lifted, and git log names the undone commits', async () => {
    const pr = w.gh.pulls.get(rb)!;
    const wk = w.work;
    // GitHub's side: the pull request refs, and its test merge with the moved base; then a plan again.
    wk.git('fetch', '-q', 'origin', `${pr.headRef}:rb`);
    wk.git('push', '-q', '-f', 'origin', `rb:refs/pull/${rb}/head`);
    wk.git('checkout', '-q', '--detach', 'main');
    wk.git('merge', '-q', '--no-ff', '-m', `Merge rb into main`, 'rb');
    wk.git('push', '-q', '-f', 'origin', `HEAD:refs/pull/${rb}/merge`);
    Object.assign(pr, { baseSha: wk.head('main'), mergeCommitSha: wk.head() });
    wk.git('checkout', '-q', 'main');
    await w.comment(rb, '/driftless plan', 'writer', 230);
    await until('plan at the merge with #5', () => w.planComment(rb)?.includes('File/c'));
    await w.idle();
    // The merge.
    const before = wk.head('main');
    wk.git('merge', '-q', '--no-ff', '-m', `Merge pull request #${rb}`, 'rb');
    const after = wk.head();
    wk.git('push', '-q', 'origin', 'main');
    Object.assign(pr, { state: 'closed', merged: true, mergeCommitSha: after });
    w.gh.commitPulls.set(after, [rb]);
    await w.merged(rb, { before, after });
    await until('rollback applied', () => w.statuses(after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/a.txt'), 'utf8')).toBe('one\n');
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect(readFileSync(join(w.targetRoot, 'web/c.txt'), 'utf8')).toBe('sea\n');
    expect(readFileSync(join(w.targetRoot, 'ops/o.txt'), 'utf8')).toBe('ops two\n');
    const web = (await stacks()).find((x) => x.name === 'web')!;
    expect(web.quarantine).toBeNull();
    expect(web.held).toBeNull();
    // git log --notes=driftless, in a fresh clone: the merge's apply and the rollback commit say what they roll back.
    const clone = join(w.root, 'clone');
    execFileSync('git', ['clone', '-q', w.bare, clone]);
    execFileSync('git', ['fetch', '-q', 'origin', 'refs/notes/driftless:refs/notes/driftless'], { cwd: clone });
    const log = execFileSync('git', ['log', '--notes=driftless', '-1', after], { cwd: clone, encoding: 'utf8' });
    expect(log).toContain(`rollback of: ${m2.after} ${m1.after} (back to ${first})`);
    expect(log).toContain(`pr: #${rb}`);
    const own = execFileSync('git', ['log', '--notes=driftless', '-1', pr.headSha], { cwd: clone, encoding: 'utf8' });
    expect(own).toContain(`driftless: rollback of stack web to ${first}`);
    expect(own).toContain(`rollback of: ${m2.after} ${m1.after}`);
  });

  it('closed without merging: the quarantine ends', async () => {
    await w.commitComment(w.work.head('main'), `/driftless rollback ${m1.after} ops`, 'writer', 240);
    const created = await until('ops rollback', () => [...w.gh.pulls.values()].find((p) => p.headRef.startsWith('driftless/rollback-ops-')));
    await until('ops quarantined', async () => (await stacks()).find((x) => x.name === 'ops')?.quarantine?.pr === created.number);
    await w.idle();
    Object.assign(created, { state: 'closed' });
    await w.hook(
      'pull_request',
      pullRequestPayload({ owner: OWNER, repo: REPO }, 'closed', { number: created.number, headSha: created.headSha, baseSha: created.baseSha }),
    );
    await until('ops quarantine lifted', async () => (await stacks()).find((x) => x.name === 'ops')?.quarantine === null);
    expect((await w.svc!.ctx.records.rollback(created.number))?.state).toBe('closed');
  });

  it("made only requests that GitHub's OpenAPI description allows, and leaked no secret", async () => {
    expect(w.gh.rejected()).toEqual([]);
    expect(w.gh.requests.filter((r) => r.operationId === 'pulls/create' && r.status === 201)).toHaveLength(2);
    const everything = [w.logs.join(''), ...w.gh.comments.map((c) => c.body), ...[...w.gh.pulls.values()].map((p) => p.body ?? '')].join('\n');
    for (const s of w.secrets()) expect(everything).not.toContain(s);
  });
});
