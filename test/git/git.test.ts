import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GitRepository } from '../../src/git/repository.js';
import { Mirror } from '../../src/git/mirror.js';
import { TestRepo, tempDir } from '../helpers/git.js';
import { startGitHttpServer, type GitHttpServer } from '../../testkit/git-http-server.js';

describe('git: local repositories read in place', () => {
  const repo = TestRepo.create({
    'driftless.yaml': 'version: 1\n',
    'stacks/a/x.yaml': 'a: 1\n',
    'stacks/a/deep/y.yml': 'b: 2\n',
    'stacks/b/z.json': '{}',
    'README.md': 'hi',
  });
  afterAll(() => repo.remove());

  it('resolves branches, tags, full and short shas', async () => {
    const g = GitRepository.openLocal(repo.dir);
    const head = repo.head();
    repo.git('tag', 'v1');
    repo.git('tag', '-a', 'v1-annotated', '-m', 'annotated');
    expect(await g.resolve('main')).toBe(head);
    expect(await g.resolve('v1')).toBe(head);
    expect(await g.resolve('v1-annotated')).toBe(head);
    expect(await g.resolve(head)).toBe(head);
    expect(await g.resolve(head.slice(0, 8))).toBe(head);
    await expect(g.resolve('no-such-branch')).rejects.toThrow(/cannot resolve "no-such-branch"/);
    await expect(g.resolve('0'.repeat(40))).rejects.toThrow(/cannot resolve "0{40}"/);
  });

  it('peels annotated tags (a tag of a tag too), loose and packed, and refuses a tag of a tree', async () => {
    const head = repo.head();
    repo.git('tag', '-a', 'inner', '-m', 'inner');
    repo.git('tag', '-a', 'outer', '-m', 'outer', 'inner');
    repo.git('tag', '-a', 'a-tree', '-m', 'tree', `${head}^{tree}`);
    for (const packed of [false, true]) {
      if (packed) repo.git('gc', '-q');
      const g = GitRepository.openLocal(repo.dir);
      expect(await g.resolve('inner')).toBe(head);
      expect(await g.resolve('outer')).toBe(head);
      await expect(g.resolve('a-tree')).rejects.toThrow(/^[0-9a-f]{40} is a tree, not a commit$/);
      expect(await g.treeOid(await g.resolve('outer'), 'stacks/a')).toBe(repo.git('rev-parse', `${head}:stacks/a`));
    }
  });

  it('lists files below a directory with their blob ids', async () => {
    const g = GitRepository.openLocal(repo.dir);
    const files = await g.listFiles(repo.head(), 'stacks/a', (p) => /\.(ya?ml|json)$/.test(p));
    expect(files.map((f) => f.path)).toEqual(['stacks/a/deep/y.yml', 'stacks/a/x.yaml']);
    expect(files[0].oid).toBe(repo.git('rev-parse', 'HEAD:stacks/a/deep/y.yml'));
    expect(await g.listFiles(repo.head(), 'nope')).toEqual([]);
  });

  it('lists the same files when its tree cache holds fewer entries than a walk reads', async () => {
    const head = repo.head();
    const all = await GitRepository.openLocal(repo.dir).listFiles(head, '');
    expect(all.map((f) => f.path)).toEqual(repo.git('ls-tree', '-r', '--name-only', head).split('\n'));
    for (const limit of [0, 1, 2]) {
      const g = GitRepository.openLocal(repo.dir);
      g.treeCacheLimit = limit; // each tree is dropped, or the cache cleared, as the walk goes
      for (let i = 0; i < 2; i++) expect(await g.listFiles(head, '')).toEqual(all);
      expect(await g.treeOid(head, 'stacks/a/deep')).toBe(repo.git('rev-parse', `${head}:stacks/a/deep`));
    }
  });

  it('finds the paths changed between two commits, as git does', async () => {
    const g = GitRepository.openLocal(repo.dir);
    const a = repo.head();
    const b = repo.commit({ 'stacks/a/deep/y.yml': 'b: 3\n', 'stacks/b/new.yaml': 'n: 1\n', 'README.md': null });
    const ours = await g.changedPaths(a, b);
    const theirs = repo.git('diff', '--name-only', a, b).split('\n').sort();
    expect(ours).toEqual(theirs);
    expect(await g.changedPaths(b, b)).toEqual([]);
  });

  it('refuses a directory that is not a repository', () => {
    expect(() => GitRepository.openLocal(tempDir())).toThrow(/not a git repository/);
  });

  it('says which work tree a folder inside one belongs to (a sub-folder is not a repository)', () => {
    expect(() => GitRepository.openLocal(join(repo.dir, 'stacks/a'))).toThrow(
      `is not a git repository (no .git directory and not a bare repository): it is a folder inside the work tree of ${repo.dir}. ` +
        `driftless reads a repository's commits: give that repository (--repo ${repo.dir}), or make this folder a repository of its own`,
    );
  });
});

describe('git: remote mirror over smart HTTP (git http-backend)', () => {
  let server: GitHttpServer;
  let root: string;
  let work: TestRepo;
  const token = 'tok-' + Math.random().toString(36).slice(2);

  beforeAll(async () => {
    work = TestRepo.create({ 'driftless.yaml': 'version: 1\n', 'stacks/a/x.yaml': 'a: 1\n' });
    root = tempDir('driftless-remote-');
    execFileSync('git', ['clone', '-q', '--bare', work.dir, `${root}/infra.git`]);
    server = await startGitHttpServer(root, { token });
  });
  afterAll(async () => {
    await server.close();
    work.remove();
  });

  it('clones once without checkout, then fetches new commits incrementally, sending the token up front', async () => {
    const dataDir = tempDir();
    const m = await Mirror.open(`${server.url}/infra.git`, dataDir, token);
    expect(await m.resolve('main')).toBe(work.head());
    expect(server.authHeaders.every((h) => h?.startsWith('Basic '))).toBe(true);
    const sha = work.commit({ 'stacks/a/x.yaml': 'a: 2\n' });
    execFileSync('git', ['push', '-q', `${root}/infra.git`, 'main'], { cwd: work.dir });
    const before = server.requests.length;
    await m.fetch();
    expect(server.requests.length - before).toBeLessThanOrEqual(3);
    expect(await m.resolve('main')).toBe(sha);
    expect((await m.readFileAt(sha, 'stacks/a/x.yaml'))!.content.toString()).toBe('a: 2\n');
    // A second open reuses the mirror instead of cloning again.
    const again = await Mirror.open(`${server.url}/infra.git`, dataDir, token);
    expect(await again.resolve('main')).toBe(sha);
  });

  it('says clearly when the token is wrong, without printing it', async () => {
    const err = await Mirror.open(`${server.url}/infra.git`, tempDir(), 'wrong-token').catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot clone .*infra\.git: HTTP 401/);
    expect(String(err)).not.toContain('wrong-token');
  });
});
