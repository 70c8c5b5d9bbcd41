import * as fs from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRefInPlace } from '../../src/git/refs.js';
import { TestRepo } from '../helpers/git.js';

/**
 * The ref reader of a local repository (refs.ts) must answer exactly as isomorphic-git's resolveRef,
 * which it replaces so that resolving a branch does not load isomorphic-git: same value, or both refuse.
 */
type Outcome = { ok: string } | { error: true };

async function outcome(fn: () => Promise<string>): Promise<Outcome> {
  try {
    return { ok: await fn() };
  } catch {
    return { error: true };
  }
}

describe('git refs: resolving in place answers as isomorphic-git', () => {
  const repo = TestRepo.create({ 'a.txt': 'a\n' });
  const gitdir = join(repo.dir, '.git');
  afterAll(() => repo.remove());

  const names = [
    'main',
    'HEAD',
    'refs/heads/main',
    'heads/main',
    'feature/x',
    'refs/heads/feature/x',
    'v1',
    'v1-annotated',
    'refs/tags/v1-annotated',
    'refs/tags/v1-annotated^{}',
    'origin',
    'origin/main',
    'refs/remotes/origin/main',
    'alias',
    'loop-a',
    'empty',
    'refs/heads',
    'refs',
    'config',
    'description',
    'packed-only',
    'both',
    'no-such-ref',
    '0'.repeat(40),
    'abc',
  ];

  async function compare(stage: string): Promise<void> {
    for (const ref of [...names, repo.head(), repo.head().slice(0, 8)]) {
      const ours = await outcome(() => resolveRefInPlace(gitdir, ref));
      const theirs = await outcome(() => git.resolveRef({ fs, gitdir, ref }));
      expect(ours, `${stage}: ${ref}`).toEqual(theirs);
    }
  }

  it('on loose refs, packed refs (with peeled tags), symbolic refs, loops, empty files and git files', async () => {
    const first = repo.head();
    repo.git('branch', 'feature/x');
    repo.git('tag', 'v1');
    repo.git('tag', '-a', 'v1-annotated', '-m', 'annotated');
    repo.git('update-ref', 'refs/remotes/origin/main', first);
    repo.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
    repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/feature/x');
    repo.git('update-ref', 'refs/heads/packed-only', first);
    repo.git('update-ref', 'refs/heads/both', first);
    await compare('loose');

    repo.git('pack-refs', '--all');
    const second = repo.commit({ 'b.txt': 'b\n' });
    repo.git('update-ref', 'refs/heads/both', second); // loose now, older value still in packed-refs
    expect(repo.git('rev-parse', 'both')).toBe(second);
    await compare('packed');

    // What git never writes but a file system may hold: a loop, an empty ref file.
    writeFileSync(join(gitdir, 'refs/heads/loop-a'), 'ref: refs/heads/loop-b\n');
    writeFileSync(join(gitdir, 'refs/heads/loop-b'), 'ref: refs/heads/loop-a\n');
    mkdirSync(join(gitdir, 'refs/heads'), { recursive: true });
    writeFileSync(join(gitdir, 'refs/heads/empty'), '');
    await compare('odd files');

    expect(await resolveRefInPlace(gitdir, 'both')).toBe(second);
    expect(await resolveRefInPlace(gitdir, 'alias')).toBe(first);
    expect(await resolveRefInPlace(gitdir, 'HEAD')).toBe(second);
  });
});
