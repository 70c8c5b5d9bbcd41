import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import { serve, type Child } from './child.js';
import { deliver, pullRequestPayload, pushPayload } from '../../testkit/webhooks.js';

describe('serve: killed with jobs queued, restarted on the same data dir', () => {
  let w: World;
  let first: Child;
  let second: Child | undefined;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.seedState();
  });
  afterAll(async () => {
    first?.proc.kill('SIGKILL');
    second?.proc.kill('SIGKILL');
    await w.close();
  });

  it('finishes the jobs after SIGKILL, then stops gracefully on SIGTERM', { timeout: 120_000 }, async () => {
    first = serve(w);
    const url1 = await first.url;
    const repo = { owner: 'acme', repo: 'infra' };
    const secret = w.env().TEST_WEBHOOK_SECRET!;
    // A reviewed pull request.
    w.openPr(6, webFile('k', 'kept\n'));
    const pr6 = w.gh.pulls.get(6)!;
    expect(
      (await deliver(url1, 'pull_request', pullRequestPayload(repo, 'opened', { number: 6, headSha: pr6.headSha, baseSha: pr6.baseSha }), { secret })).status,
    ).toBe(202);
    await until('plan comment of #6', () => w.planComment(6));
    // GitHub becomes slow: the next jobs hang in their API calls. Another PR opens and #6 is merged.
    w.gh.hold('pulls/get');
    w.gh.hold('repos/list-pull-requests-associated-with-commit');
    w.openPr(7, webFile('q', 'queued\n'));
    const pr7 = w.gh.pulls.get(7)!;
    expect(
      (await deliver(url1, 'pull_request', pullRequestPayload(repo, 'opened', { number: 7, headSha: pr7.headSha, baseSha: pr7.baseSha }), { secret })).status,
    ).toBe(202);
    const m = w.mergePr(6);
    expect((await deliver(url1, 'push', pushPayload(repo, m), { secret })).status).toBe(202);
    await until('both jobs waiting on GitHub', () => w.gh.arrived('pulls/get') >= 2 && w.gh.arrived('repos/list-pull-requests-associated-with-commit') >= 1);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(w.planComment(7)).toBeUndefined();
    // GitHub recovers (the dead process's requests were never answered); a new process takes over.
    w.gh.release('pulls/get');
    w.gh.release('repos/list-pull-requests-associated-with-commit');
    second = serve(w);
    await second.url;
    await until('plan comment of #7', () => w.planComment(7)?.includes('File/q'));
    await until('merge of #6 applied', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    expect(readFileSync(join(w.targetRoot, 'web/k.txt'), 'utf8')).toBe('kept\n');
    expect(second.output()).toMatch(/jobs left running by a previous process were queued again/);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/"msg":"stopped"/);
    for (const s of w.secrets()) expect(first.output() + second.output()).not.toContain(s);
    expect(w.gh.rejected()).toEqual([]);
  });
});
