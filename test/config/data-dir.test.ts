import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '../../src/config/data-dir.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { runCli } from '../helpers/cli.js';
import { FS_REPO_CONFIG, TestRepo, manifest, tempDir } from '../helpers/git.js';

describe('the default data dir stays out of the manifest repository work tree', () => {
  it('is .driftless beside the config, or the repository git dir when that is inside its work tree', () => {
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG });
    const elsewhere = tempDir('driftless-cfg-');
    expect(defaultDataDir(elsewhere, repo.dir)).toBe(join(elsewhere, '.driftless'));
    expect(defaultDataDir(elsewhere)).toBe(join(elsewhere, '.driftless'));
    expect(defaultDataDir(repo.dir, repo.dir)).toBe(join(repo.dir, '.git', 'driftless'));
    mkdirSync(join(repo.dir, 'ops'));
    expect(defaultDataDir(join(repo.dir, 'ops'), repo.dir)).toBe(join(repo.dir, '.git', 'driftless'));
    // A repository's own schemas live in .driftless/schemas: that is no data dir.
    mkdirSync(join(repo.dir, '.driftless', 'schemas'), { recursive: true });
    expect(defaultDataDir(repo.dir, repo.dir)).toBe(join(repo.dir, '.git', 'driftless'));
    // A data dir used there before is kept: its state is not left behind.
    mkdirSync(join(repo.dir, '.driftless', 'state'));
    expect(defaultDataDir(repo.dir, repo.dir)).toBe(join(repo.dir, '.driftless'));
  });

  it('follows a linked work tree to its own git dir', () => {
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG });
    const linked = join(tempDir('driftless-wt-'), 'linked');
    repo.git('worktree', 'add', '-q', '-b', 'other', linked);
    expect(defaultDataDir(linked, linked)).toBe(join(repo.dir, '.git', 'worktrees', 'linked', 'driftless'));
  });

  it('--data-dir and the config dataDir still decide', () => {
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG });
    const file = join(repo.dir, 'driftless.config.yaml');
    writeFileSync(file, 'dataDir: state-here\n');
    expect(loadServerConfig(file, { repo: repo.dir }).dataDir).toBe(join(repo.dir, 'state-here'));
    expect(loadServerConfig(file, { repo: repo.dir, dataDir: '/srv/x' }).dataDir).toBe('/srv/x');
    writeFileSync(file, '{}\n');
    expect(loadServerConfig(file, { repo: repo.dir }).dataDir).toBe(join(repo.dir, '.git', 'driftless'));
  });

  it('after an apply from a config in the work tree, git status is clean, and the next plan finds the state', async () => {
    const target = tempDir('driftless-target-');
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG,
      'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }),
      'driftless.config.yaml': `targets:\n  files: { provider: fs, root: ${target} }\n`,
    });
    const cli = (...a: string[]) => runCli(['--config', join(repo.dir, 'driftless.config.yaml'), '--repo', repo.dir, ...a]);
    const apply = await cli('apply', '--auto-approve');
    expect(apply.code, apply.err).toBe(0);
    expect(existsSync(join(target, 'a.txt'))).toBe(true);
    expect(repo.git('status', '--porcelain', '--ignored')).toBe('');
    expect(existsSync(join(repo.dir, '.git', 'driftless', 'state'))).toBe(true);
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code, plan.out).toBe(0);
  });
});
