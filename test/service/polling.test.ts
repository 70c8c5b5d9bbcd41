import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

describe('serve: polling catches what webhooks missed', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') }, { poll: '*/1 * * * * *' });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('plans an open pull request and applies its merge with no webhook at all', async () => {
    const { head } = w.openPr(5, webFile('p', 'polled\n'));
    await until('plan comment found by polling', () => w.planComment(5)?.includes('File/p'));
    await until('plan status', () => w.statuses(head, 'driftless/plan').includes('success'));
    const m = w.mergePr(5);
    // No pull_request closed, no push: the poll sees the new head and finds the PR through the API.
    await until('applied by polling', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    expect(readFileSync(join(w.targetRoot, 'web/p.txt'), 'utf8')).toBe('polled\n');
    expect(w.gh.requests.some((r) => r.operationId === 'repos/list-pull-requests-associated-with-commit')).toBe(true);
    expect(w.gh.requests.some((r) => r.operationId === 'pulls/list')).toBe(true);
    // Many polls, one plan job per head: the comment was posted once.
    expect(w.gh.requests.filter((r) => r.operationId === 'issues/create-comment' && r.path.includes('/issues/5/')).length).toBeLessThanOrEqual(2);
    expect(w.gh.rejected()).toEqual([]);
  });
});
