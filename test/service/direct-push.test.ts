import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, OWNER, REPO, webFile, until } from './harness.js';
import { pushPayload } from '../../testkit/webhooks.js';

describe('serve: a push without a pull request is held, and released on the commit', () => {
  let w: World;
  let push: { before: string; after: string };
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
    // The first commit was pushed without a pull request too: held, then released on the commit.
    const first = w.work.head('main');
    await until('hold on the first commit', () => w.gh.commentsOnCommit(first).find((c) => c.body.includes('is held')));
    await w.commitComment(first, '/driftless apply', 'writer', 6999);
    await until('first commit applied', () => w.statuses(first, 'driftless/apply: web').includes('success'));
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('posts the plan on the commit and leaves driftless/apply pending', async () => {
    push = w.pushMain(webFile('b', 'two\n'), 'straight to main');
    await w.hook('push', pushPayload({ owner: OWNER, repo: REPO }, push));
    await until('hold comment on the commit', () => w.gh.commentsOnCommit(push.after).find((c) => c.body.includes('is held')));
    await w.idle();
    const hold = w.gh.commentsOnCommit(push.after).find((c) => c.body.includes('is held'))!.body;
    expect(hold).toContain('the commit was not merged through a pull request');
    expect(hold).toContain('+ File/b');
    expect(hold).toContain('commenting `/driftless apply` on this commit');
    expect(w.statuses(push.after, 'driftless/apply: web')).toEqual(['pending']);
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect((await w.svc!.ctx.records.holdsAt(push.after)).map((h) => ({ stack: h.stack, pr: h.pr }))).toEqual([{ stack: 'web', pr: null }]);
  });

  it('answers on the commit: help, plan, and apply from a user without write permission', async () => {
    await w.commitComment(push.after, '/driftless plan', 'reader', 7001);
    await w.commitComment(push.after, '/driftless apply', 'reader', 7002);
    await until('two replies', () => w.gh.commentsOnCommit(push.after).filter((c) => c.body.includes('@reader')).length === 2 || undefined);
    await w.idle();
    const replies = w.gh
      .commentsOnCommit(push.after)
      .filter((c) => c.body.includes('@reader'))
      .map((c) => c.body);
    expect(replies.find((b) => b.includes('> /driftless plan'))).toContain('plans are made for pull requests');
    expect(replies.find((b) => b.includes('> /driftless apply'))).toContain('needs write permission');
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    expect(w.gh.commentsOn(0)).toEqual([]);
  });

  it('holds again, with the new plan, when the plan changed since it was posted', async () => {
    writeFileSync(join(w.targetRoot, 'web/a.txt'), 'edited by hand\n'); // drift: the apply's plan now repairs it
    await w.commitComment(push.after, '/driftless apply', 'writer', 7010);
    await until('held again', () => w.gh.commentsOnCommit(push.after).find((c) => c.body.includes('The plan changed again since the apply was requested')));
    await w.idle();
    expect(existsSync(join(w.targetRoot, 'web/b.txt'))).toBe(false);
    const again = w.gh.commentsOnCommit(push.after).find((c) => c.body.includes('The plan changed again'))!.body;
    expect(again).toContain('File/a');
    expect(again).toContain('File/b');
    expect(w.statuses(push.after, 'driftless/apply: web').at(-1)).toBe('pending');
  });

  it('applies the reviewed plan on /driftless apply by a writer, and reports it on the commit', async () => {
    await w.commitComment(push.after, '/driftless apply', 'writer', 7003);
    await until('apply status', () => w.statuses(push.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/b.txt'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(w.targetRoot, 'web/a.txt'), 'utf8')).toBe('one\n');
    const comments = w.gh.commentsOnCommit(push.after).map((c) => c.body);
    expect(comments.find((b) => b.includes('@writer'))).toContain('applying `web` at');
    expect(comments.find((b) => b.includes('Applied stack `web`'))).toContain('applied by @writer');
    const runs = await w.svc!.ctx.store.runs({ stack: 'web', limit: 1 });
    expect(runs[0]).toMatchObject({ actor: 'writer', pr: null, outcome: 'succeeded', commit: push.after });
    expect(await w.svc!.ctx.records.holds()).toEqual([]);
    // Nothing is held any more: a second apply says so.
    await w.commitComment(push.after, '/driftless apply', 'writer', 7004);
    await until('nothing waiting', () => w.gh.commentsOnCommit(push.after).find((c) => c.body.includes('nothing is waiting for an apply on this commit')));
    await w.idle();
    expect(w.gh.rejected()).toEqual([]);
  });

  it('ignores commit comments that are not commands, or come from bots', async () => {
    const r1 = await w.commitComment(push.after, 'looks good', 'writer', 7005);
    expect(r1.status).toBe(202);
    expect(JSON.stringify(r1.body)).toContain('not a driftless command');
    const n = w.gh.commentsOnCommit(push.after).length;
    await w.idle();
    expect(w.gh.commentsOnCommit(push.after)).toHaveLength(n);
  });
});
