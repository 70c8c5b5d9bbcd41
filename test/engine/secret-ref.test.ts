import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, tempDir, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

// A secret that is a valid file name: File/a's path is the secret, and its output `path` carries it on.
const SECRET = 'sekrit-' + Math.random().toString(36).slice(2, 12);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
// What must appear nowhere: the secret, and the values derived from it along the two !ref hops.
const FORBIDDEN = [SECRET, sha(SECRET), sha(sha(SECRET))];

function everyFile(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out += everyFile(p);
    else out += readFileSync(p).toString('latin1');
  }
  return out;
}

function expectNoSecret(text: string, where: string): void {
  for (const f of FORBIDDEN) expect(text.includes(f), `${where} holds a value derived from the secret`).toBe(false);
}

describe('a secret passed on through !ref stays sensitive', () => {
  it('two !ref hops: plans, later plans, drift, history and state never show it; nothing is re-created', { timeout: 240_000 }, async () => {
    const site = (bMode: string) =>
      [
        manifest('File', 'a', { path: '!secret APP_SECRET', content: 'x' }),
        manifest('File', 'b', { path: 'b.txt', content: '!ref File/a.outputs.path', mode: bMode }),
        manifest('File', 'c', { path: 'c.txt', content: '!ref File/b.outputs.sha256' }),
      ].join('---\n');
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/site.yaml': site('0644') });
    const dir = tempDir('driftless-secret-ref-');
    const root = join(dir, 'root');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${root} }\nsecrets:\n  APP_SECRET: { fromEnv: TEST_APP_SECRET }\ndataDir: ${join(dir, 'data')}\n`,
    );
    const cli = (...args: string[]) => runCli(['--config', config, ...args], { env: { TEST_APP_SECRET: SECRET } });
    const seen: string[] = [];
    const run = async (...args: string[]) => {
      const r = await cli(...args);
      seen.push(r.out, r.err);
      return r;
    };

    const p1 = await run('plan');
    expect(p1.out).toContain('Plan: 3 to create');
    const a1 = await run('apply', '--auto-approve');
    expect(a1.code, a1.err).toBe(0);
    expect(readFileSync(join(root, SECRET), 'utf8')).toBe('x');
    expect(readFileSync(join(root, 'b.txt'), 'utf8')).toBe(SECRET);
    expect(readFileSync(join(root, 'c.txt'), 'utf8')).toBe(sha(SECRET));

    // Nothing to do afterwards: File/a is found (its path is re-resolved for the read), and the
    // values taken through !ref compare equal to what was recorded.
    const p2 = await run('plan', '--detailed-exitcode');
    expect(p2.code, p2.out).toBe(0);
    expect(p2.out).not.toContain('deleted outside driftless');
    expect((await run('drift')).code).toBe(0);

    // A second change to File/b: its content stays sensitive in every format.
    repo.commit({ 'stacks/web/site.yaml': site('0640') });
    const text = await run('plan');
    // File/c takes File/b's output, which is known again only once File/b is applied.
    expect(text.out).toContain('Plan: 0 to create, 2 to update');
    expect(text.out).toContain('~ File/b');
    expect(text.out).toContain('~ /spec/content: (known after apply)');
    expect(text.out).not.toContain('File/a');
    await run('plan', '--format', 'markdown');
    const json = await run('plan', '--format', 'json');
    expect(json.out).toContain('File/b');
    const a2 = await run('apply', '--auto-approve');
    expect(a2.code, a2.err).toBe(0);
    expect(statSync(join(root, 'b.txt')).mode & 0o777).toBe(0o640);
    expect((await run('plan', '--detailed-exitcode')).code).toBe(0);

    // Drift on the derived field is still seen, and shown masked.
    writeFileSync(join(root, 'b.txt'), 'tampered');
    const d = await run('drift');
    expect(d.code).toBe(2);
    expect(d.out).toContain('~ File/b');
    expect(d.out).not.toContain('tampered');
    const repair = await run('apply', '--auto-approve');
    expect(repair.code, repair.err).toBe(0);
    expect(readFileSync(join(root, 'b.txt'), 'utf8')).toBe(SECRET);
    await run('history');
    await run('history', '--format', 'json');

    expectNoSecret(seen.join('\n'), 'the CLI output');
    expectNoSecret(everyFile(join(dir, 'data')), 'the state store');
  });
});
