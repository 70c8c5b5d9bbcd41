import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, tempDir, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { startGitHttpServer, type GitHttpServer } from '../../testkit/git-http-server.js';
import { runCli } from '../helpers/cli.js';

describe('the CLI on a remote repository over smart HTTP', () => {
  let server: GitHttpServer;
  let root: string;
  let work: TestRepo;
  const token = 'remote-token-' + Math.random().toString(36).slice(2);
  beforeAll(async () => {
    work = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'v1' }) });
    root = tempDir('driftless-remote-');
    execFileSync('git', ['clone', '-q', '--bare', work.dir, join(root, 'infra.git')]);
    server = await startGitHttpServer(root, { token });
  });
  afterAll(async () => server.close());

  it('validates and plans at a branch, a tag and a sha, fetching new commits, with the token from the environment', async () => {
    const dir = tempDir();
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(config, `targets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\ndataDir: ${join(dir, 'data')}\n`);
    const url = `${server.url}/infra.git`;
    const cli = (...a: string[]) => runCli(['--config', config, '--repo', url, ...a], { env: { DRIFTLESS_GIT_TOKEN: token } });
    const v = await cli('validate');
    expect(v.code, v.err).toBe(0);
    const first = work.head();
    work.git('tag', 'v1');
    work.commit({ 'stacks/web/b.yaml': manifest('File', 'b', { path: 'b.txt', content: 'v2' }) });
    execFileSync('git', ['push', '-q', '--tags', join(root, 'infra.git'), 'main'], { cwd: work.dir });
    expect((await cli('plan', '--no-refresh')).out).toContain('Plan: 2 to create');
    expect((await cli('plan', '--ref', 'v1')).out).toContain('Plan: 1 to create');
    expect((await cli('plan', '--ref', first.slice(0, 10))).out).toContain('Plan: 1 to create');
    const denied = await runCli(['--config', config, '--repo', url, '--data-dir', join(dir, 'other'), 'validate'], { env: { DRIFTLESS_GIT_TOKEN: 'wrong' } });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/cannot clone .*: HTTP 401/);
    expect(denied.out + denied.err).not.toContain(token);
  });
});

describe('prune: false', () => {
  it('leaves removed resources in place and says so', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG + '    prune: false\n',
      'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }) + '---\n' + manifest('File', 'b', { path: 'b.txt', content: 'b' }),
    });
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `repo: { path: ${repo.dir} }\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\ndataDir: ${join(dir, 'data')}\n`);
    expect((await runCli(['--config', config, 'apply', '--auto-approve'])).code).toBe(0);
    repo.commit({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }) });
    const p = await runCli(['--config', config, 'plan', '--detailed-exitcode']);
    expect(p.code).toBe(0);
    expect(p.out).toContain('No longer declared, left in place (prune is off): File/b');
    expect((await runCli(['--config', config, 'apply', '--auto-approve'])).code).toBe(0);
    expect(existsSync(join(dir, 'root', 'b.txt'))).toBe(true);
  });
});
