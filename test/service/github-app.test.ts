import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';

describe('serve: as a GitHub App on GitHub Enterprise (baseUrl /api/v3)', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') }, { app: true, prefix: '/api/v3' });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('buys an installation token with a JWT and uses it for every call', async () => {
    expect(w.gh.url).toMatch(/\/api\/v3$/);
    w.openPr(1, webFile('b', 'two\n'));
    await w.prOpened(1);
    await until('plan comment', () => w.planComment(1));
    await w.idle();
    const tokenCalls = w.gh.requests.filter((r) => r.operationId === 'apps/create-installation-access-token');
    expect(tokenCalls.length).toBeGreaterThanOrEqual(1);
    expect(tokenCalls.every((r) => r.status === 201 && /^bearer /i.test(r.authorization ?? ''))).toBe(true);
    const others = w.gh.requests.filter((r) => r.operationId !== 'apps/create-installation-access-token');
    expect(others.length).toBeGreaterThan(3);
    expect(others.every((r) => /^token ghs_/.test(r.authorization ?? ''))).toBe(true);
    expect(w.gh.rejected()).toEqual([]);
    const key = readFileSync(join(w.root, 'app-key.pem'), 'utf8').split('\n')[1];
    expect(w.logs.join('')).not.toContain(key);
  });
});
