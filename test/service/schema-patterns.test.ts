import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, REPO_CONFIG, webFile, opsFile, until } from './harness.js';

/** Issue 15: a pull request whose repository schema holds a catastrophic pattern stalls nothing. */
describe('serve: a catastrophic pattern in a repository schema', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'aaa'), ...opsFile('o', 'aaa') });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('is planned as invalid at the manifest line, while /healthz answers and another pull request is planned', async () => {
    const schema = JSON.stringify({
      'x-driftless-kind': { apiVersion: 'fs.driftless.dev/v1', kind: 'File' },
      type: 'object',
      properties: { content: { type: 'string', pattern: '^(a+)+$' } },
    });
    const evil = w.openPr(1, { '.driftless/schemas/x.json': schema, ...webFile('evil', `${'a'.repeat(40)}!`) });
    const other = w.openPr(2, opsFile('p', 'fine\n'));

    // /healthz is asked over and over from the first delivery until both plans are out; every answer counts.
    const health: number[] = [];
    let done = false;
    const sampler = (async () => {
      while (!done) {
        health.push((await fetch(`${w.url()}/healthz`)).status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      expect((await w.prOpened(1)).status).toBe(202);
      expect((await w.prOpened(2)).status).toBe(202);
      await until('a failing plan status on the pull request with the pattern', () => w.statuses(evil.head, 'driftless/plan').includes('failure'));
      await until('a passing plan status on the other pull request', () => w.statuses(other.head, 'driftless/plan').includes('success'));
      await w.idle();
    } finally {
      done = true;
      await sampler;
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);

    const body = w.planComment(1)!;
    expect(body).toContain('`stacks/web/evil.yaml:7:12: File/evil: spec.content: must match pattern "^(a+)+$"`');
    const run = w.gh.checkRuns.find((c) => c.sha === evil.head)!;
    expect(run.annotations).toContainEqual(expect.objectContaining({ path: 'stacks/web/evil.yaml', start_line: 7, annotation_level: 'failure' }));
    expect(w.planComment(2)).toContain('+ File/p');
  });

  it('a pattern RE2 cannot run (a backreference) is refused at its place in the schema file, and the service goes on', async () => {
    const schema = JSON.stringify({
      'x-driftless-kind': { apiVersion: 'fs.driftless.dev/v1', kind: 'File' },
      properties: { content: { pattern: '^(a)\\1$' } },
    });
    const pr = w.openPr(3, { '.driftless/schemas/x.json': schema });
    await w.prOpened(3);
    await until('a failing plan status', () => w.statuses(pr.head, 'driftless/plan').includes('failure'));
    await w.idle();
    expect(w.planComment(3)).toContain('`.driftless/schemas/x.json:1:107: /properties/content/pattern: "^(a)\\\\1$" uses a backreference (\\1)');
    expect((await fetch(`${w.url()}/healthz`)).status).toBe(200);
  });
});
