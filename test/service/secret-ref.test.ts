import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until } from './harness.js';
import { manifest } from '../helpers/git.js';

// A secret that is a valid file name: File/a's path is the secret, and its output `path` carries it on.
const SECRET = 'sekrit-' + Math.random().toString(36).slice(2, 12);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const FORBIDDEN = [SECRET, sha(SECRET), sha(sha(SECRET))];

const site = (bMode: string) => ({
  'stacks/web/site.yaml': [
    manifest('File', 'a', { path: '!secret APP_SECRET', content: 'x' }),
    manifest('File', 'b', { path: 'web/b.txt', content: '!ref File/a.outputs.path', mode: bMode }),
    manifest('File', 'c', { path: 'web/c.txt', content: '!ref File/b.outputs.sha256' }),
  ].join('---\n'),
});

function everyFile(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? everyFile(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

describe('serve: a secret passed on through two !ref hops is published nowhere', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('z', 'z\n') }, { secrets: { APP_SECRET: SECRET } });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('plans, applies, and plans a later change to the consumer without the secret anywhere', async () => {
    w.openPr(1, site('0644'));
    await w.prOpened(1);
    await until('plan comment on PR 1', () => w.planComment(1));
    expect(w.planComment(1)).toContain('File/b');
    const m = w.mergePr(1);
    await w.merged(1, m);
    await until('apply of PR 1', () => w.statuses(m.after, 'driftless/apply: web').includes('success'));
    await w.idle();
    expect(readFileSync(join(w.targetRoot, 'web/b.txt'), 'utf8')).toBe(SECRET);
    expect(readFileSync(join(w.targetRoot, 'web/c.txt'), 'utf8')).toBe(sha(SECRET));

    // The second PR changes File/b only: its comment must not show what File/b's content is.
    const { head } = w.openPr(2, site('0640'));
    await w.prOpened(2);
    await until('plan status on PR 2', () => w.statuses(head, 'driftless/plan').includes('success'));
    await w.idle();
    const body = w.planComment(2)!;
    expect(body).toContain('File/b');
    expect(body).not.toContain('File/a'); // found where it is: not "deleted outside driftless"

    const api = await Promise.all(['/api/runs', '/api/stacks', '/api/pulls/1', '/api/pulls/2'].map(async (p) => (await fetch(w.url() + p)).text()));
    const everything = [w.logs.join(''), ...api, ...w.gh.comments.map((c) => c.body), ...w.gh.requests.map((r) => JSON.stringify(r.body ?? ''))].join('\n');
    for (const f of FORBIDDEN) expect(everything.includes(f)).toBe(false);
    for (const f of FORBIDDEN) expect(everyFile(w.dataDir).includes(f)).toBe(false);
  });
});
