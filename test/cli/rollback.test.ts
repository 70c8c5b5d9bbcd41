import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { TestRepo, manifest, tempDir } from '../helpers/git.js';

const CONFIG =
  'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: files\n  ops:\n    path: stacks/ops\n    targets:\n      fs: files\n';
const file = (name: string, content: string) => manifest('File', name, { path: `${name}.txt`, content });

describe('driftless rollback --stack S --to REF (local repository)', () => {
  const repo = TestRepo.create({ 'driftless.yaml': CONFIG, 'stacks/web/a.yaml': file('a', 'one'), 'stacks/ops/o.yaml': file('o', 'ops') });
  const first = repo.head('main');
  const c1 = repo.commit({ 'stacks/web/a.yaml': file('a', 'two'), 'stacks/web/b.yaml': file('b', 'bee') }, 'web: two and bee');
  const c2 = repo.commit({ 'stacks/ops/o.yaml': file('o', 'ops two'), 'README.md': 'hi\n' }, 'ops only');
  const c3 = repo.commit({ 'stacks/web/sub/c.yaml': file('c', 'sea'), 'stacks/ops/p.yaml': file('p', 'pea') }, 'web and ops');
  const dir = tempDir('driftless-rollback-cli-');
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(config, `repo: { path: ${repo.dir} }\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\ndataDir: ${join(dir, 'data')}\n`);

  it('writes a branch whose tree is the head with only the stack folder as at REF, naming the commits it undoes', async () => {
    const r = await runCli(['rollback', '--config', config, '--stack', 'web', '--to', first.slice(0, 8), '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { branch: string; commit: string; head: string; target: string; undoes: { sha: string }[]; pr: null };
    expect(out.branch).toBe(`driftless/rollback-web-${first.slice(0, 12)}`);
    expect(out.head).toBe(c3);
    expect(out.target).toBe(first);
    expect(out.undoes.map((u) => u.sha)).toEqual([c3, c1]);
    expect(out.pr).toBeNull();
    expect(repo.git('rev-parse', `refs/heads/${out.branch}`)).toBe(out.commit);
    expect(repo.git('rev-parse', `${out.commit}^`)).toBe(c3);
    const tree = (ref: string) => repo.git('ls-tree', '-r', ref).split('\n');
    const expected = [...tree(c3).filter((l) => !l.includes('\tstacks/web/')), ...tree(first).filter((l) => l.includes('\tstacks/web/'))].sort();
    expect(tree(out.commit).sort()).toEqual(expected);
    // The commit message names them too, for git log.
    const message = repo.git('log', '-1', '--format=%B', out.commit);
    expect(message).toContain(`${c3.slice(0, 12)} web and ops`);
    expect(message).toContain(`${c1.slice(0, 12)} web: two and bee`);
    expect(message).not.toContain(c2.slice(0, 12));
    // The working branch is untouched.
    expect(repo.head('main')).toBe(c3);
  });

  it('says what is wrong: an unknown stack, a REF that is not on the branch, nothing to roll back, missing flags', async () => {
    const unknown = await runCli(['rollback', '--config', config, '--stack', 'nope', '--to', first]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('has no stack "nope" (stacks: ops, web)');
    const same = await runCli(['rollback', '--config', config, '--stack', 'web', '--to', c3]);
    expect(same.code).toBe(1);
    expect(same.err).toContain('nothing to roll back');
    const missing = await runCli(['rollback', '--config', config, '--stack', 'web', '--to', 'no-such-ref']);
    expect(missing.err).toContain('cannot resolve "no-such-ref"');
    repo.git('checkout', '-q', '-b', 'side', first);
    const side = repo.commit({ 'stacks/web/a.yaml': file('a', 'side') }, 'side');
    repo.git('checkout', '-q', 'main');
    const off = await runCli(['rollback', '--config', config, '--stack', 'web', '--to', side]);
    expect(off.err).toContain('is not an ancestor of the branch head');
    expect((await runCli(['rollback', '--config', config, '--stack', 'web'])).err).toContain('rollback needs --to REF');
  });
});
