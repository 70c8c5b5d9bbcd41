import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, until } from './harness.js';

const CONFIG = `version: 1
stacks:
  web:
    path: stacks/web
    targets: { fs: files }
    apply: auto
    drift: { schedule: "*/1 * * * * *", remediate: false }
`;

const MOTD = `# The message of the day, shown at login.
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: motd   # keep this comment
spec:
  path: web/motd.txt
  content: "hello\\n"   # the greeting
  mode: "0644"
---
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: banner
spec:
  path: web/banner.txt
  content: "welcome\\n"
`;

describe('serve: /driftless adopt on a drift issue opens a pull request that writes the live values back', () => {
  let w: World;
  let issue: number;
  let adoptPr: number;
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': CONFIG, 'README.md': 'x\n' });
    await w.start();
    await w.landPr(1, { 'stacks/web/motd.yaml': MOTD }, ['web']);
    // A hand edit of one value: drift, and its issue.
    writeFileSync(join(w.targetRoot, 'web/motd.txt'), 'hello from the incident\n');
    const i = await until('drift issue', () => w.gh.issues.find((x) => x.title === 'Drift in stack web' && x.state === 'open'));
    issue = i.number;
    expect(i.body).toContain('/driftless adopt');
  });
  afterAll(async () => {
    await w.close();
  });

  it('refuses a user without write permission, and a comment on an issue that is not a drift issue', async () => {
    await w.issueComment(issue, '/driftless adopt', 'reader', 300);
    w.gh.issues.push({ number: 99, title: 'unrelated', body: '', state: 'open' });
    await w.issueComment(99, '/driftless adopt', 'writer', 301);
    await w.issueComment(issue, '/driftless apply', 'writer', 302);
    await until('three replies', () => w.gh.commentsOn(issue).filter((c) => c.body.includes('> /driftless')).length === 2 && w.gh.commentsOn(99).length === 1);
    expect(w.gh.commentsOn(issue).find((c) => c.body.includes('@reader'))?.body).toContain('needs write permission');
    expect(w.gh.commentsOn(99)[0].body).toContain('not an open drift issue');
    expect(w.gh.commentsOn(issue).find((c) => c.body.includes('> /driftless apply'))?.body).toContain('answered on a pull request or a commit');
    expect(w.gh.requests.some((r) => r.operationId === 'pulls/create')).toBe(false);
  });

  it('opens a pull request whose diff is only the drifted value, comments kept, and plans it', async () => {
    await w.issueComment(issue, '/driftless adopt', 'writer', 310);
    const pr = await until('the adopt pull request', () => [...w.gh.pulls.values()].find((p) => p.headRef.startsWith('driftless/adopt-web-')));
    adoptPr = pr.number;
    expect(pr.title).toBe('Adopt drift of stack web');
    expect(pr.body).toContain('File/motd /spec/content');
    expect(pr.body).toContain(`Requested by @writer on #${issue}.`);
    // The branch was pushed to the remote; its diff against the branch head is the one value.
    const head = git(w.bare, 'rev-parse', 'main');
    expect(git(w.bare, 'rev-parse', `${pr.headSha}^`)).toBe(head);
    expect(git(w.bare, 'diff', '--name-only', head, pr.headSha)).toBe('stacks/web/motd.yaml');
    const after = git(w.bare, 'show', `${pr.headSha}:stacks/web/motd.yaml`);
    expect(after).toBe(MOTD.replace('content: "hello\\n"', 'content: "hello from the incident\\n"').trimEnd());
    const reply = await until('reply on the issue', () =>
      w.gh.commentsOn(issue).find((c) => c.body.includes('@writer') && c.body.includes(`opened #${adoptPr}`)),
    );
    expect(reply.body).toContain('stacks/web/motd.yaml');
    await until('a plan on the adopt pull request', () => w.planComment(adoptPr));
    await w.idle();
    // Every request to GitHub was valid (pulls/list with head, pulls/create, comments).
    expect(w.gh.rejected()).toEqual([]);
  });

  it('a repeated command finds the open pull request instead of opening a second one', async () => {
    await w.issueComment(issue, '/driftless adopt', 'writer', 320);
    await until('second reply', () => w.gh.commentsOn(issue).filter((c) => c.body.includes(`opened #${adoptPr}`)).length === 2 || undefined);
    expect([...w.gh.pulls.values()].filter((p) => p.headRef.startsWith('driftless/adopt-web-'))).toHaveLength(1);
    expect(w.gh.rejected()).toEqual([]);
  });

  it('merged: nothing changes on the live system, the next plan is empty and the drift issue closes', async () => {
    const pr = w.gh.pulls.get(adoptPr)!;
    const wk = w.work;
    wk.git('fetch', '-q', 'origin', `${pr.headRef}:adopt`);
    wk.git('checkout', '-q', 'main');
    const before = wk.head('main');
    wk.git('merge', '-q', '--no-ff', '-m', `Merge pull request #${adoptPr}`, 'adopt');
    const after = wk.head();
    wk.git('push', '-q', 'origin', 'main');
    Object.assign(pr, { state: 'closed', merged: true, mergeCommitSha: after });
    w.gh.commitPulls.set(after, [adoptPr]);
    await w.merged(adoptPr, { before, after });
    // The plan at the merge is empty: the apply records the new manifests and touches nothing.
    const run = await until('the apply of the merge, finished', async () =>
      (await w.svc!.ctx.store.runs({ stack: 'web' })).find((r) => r.commit === after && r.kind === 'apply' && r.outcome !== 'running'),
    );
    expect(run.outcome).toBe('no-changes');
    await until('drift issue closed', () => w.gh.issues.find((x) => x.number === issue)?.state === 'closed');
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/motd.txt'), 'utf8')).toBe('hello from the incident\n');
    expect(w.gh.commentsOn(adoptPr).some((c) => c.body.includes('is held'))).toBe(false);
  });
});
