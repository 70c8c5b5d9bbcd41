import { describe, expect, it } from 'vitest';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestRepo, tempDir, manifest } from '../helpers/git.js';
import { openState } from '../../src/state/open.js';

const ENTRY = resolve('test/helpers/cli-entry.ts');
const CRASH_PROVIDER = resolve('test/fixtures/crash-provider.mjs');

function runChild(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

describe('crash recovery: nothing created is ever forgotten', () => {
  it('an apply killed between journal entries is recovered by the next run', { timeout: 120_000 }, async () => {
    const markers = ['a', 'b', 'c', 'd'].map((n) => manifest('Marker', n, { content: `marker ${n}` }, {}, 'crash.driftless.dev/v1')).join('---\n');
    const repo = TestRepo.create({
      'driftless.yaml': 'version: 1\nstacks:\n  m:\n    path: stacks/m\n    targets:\n      crashy: markers\n',
      'stacks/m/markers.yaml': markers,
    });
    const dir = tempDir('driftless-crash-');
    const root = join(dir, 'root');
    const dataDir = join(dir, 'data');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo: { path: ${repo.dir}, name: crash }\nproviders: [${CRASH_PROVIDER}]\ntargets:\n  markers: { provider: crashy, root: ${root} }\ndataDir: ${dataDir}\nparallelism: 1\n`,
    );
    require_dir(root);
    writeFileSync(join(root, 'CRASH_ON_c'), '');

    const first = runChild(['--config', config, 'apply', '--auto-approve']);
    expect(first.signal).toBe('SIGKILL');
    // a and b finished; c was created on disk but the process died before recording it.
    expect(readdirSync(root).sort()).toEqual(['a.marker', 'b.marker', 'c.marker']);

    const store = await openState({ dataDir, command: 'test' });
    try {
      const open = await store.unfinishedJournal({ repo: 'crash', stack: 'm' });
      expect(open.map((e) => [e.resourceId, e.operation])).toEqual([['Marker/c', 'create']]);
      expect([...(await store.resources({ repo: 'crash', stack: 'm' })).keys()]).toEqual(['Marker/a', 'Marker/b']);
    } finally {
      await store.close();
    }

    const second = runChild(['--config', config, 'apply', '--auto-approve']);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain('recovered: Marker/c: interrupted create found the object live; recorded it');
    // c is recorded (not created twice), d is created now.
    expect(second.out).toContain('Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.');
    expect(second.out).toContain('+ Marker/d');
    expect(existsSync(join(root, 'd.marker'))).toBe(true);

    const history = runChild(['--config', config, 'history']);
    expect(history.out).toMatch(/m {2}apply {2}interrupted/);
    expect(history.out).toMatch(/m {2}apply {2}succeeded/);
    const plan = runChild(['--config', config, 'plan', '--detailed-exitcode']);
    expect(plan.code).toBe(0);
  });
});

describe('the data dir belongs to one process', () => {
  it('a second process is refused with the holder named, in-process too', async () => {
    const dataDir = tempDir('driftless-lock-');
    const store = await openState({ dataDir, command: 'serve' });
    try {
      await expect(openState({ dataDir, command: 'plan' })).rejects.toThrow(new RegExp(`in use by process ${process.pid} .*driftless serve`));
      const repo = TestRepo.create({ 'driftless.yaml': 'version: 1\nstacks:\n  s: { path: s, targets: { fs: f } }\n' });
      const child = runChild(['plan', '--repo', repo.dir, '--data-dir', dataDir]);
      expect(child.code).toBe(1);
      expect(child.err).toContain(`is in use by process ${process.pid}`);
      expect(child.err).toContain('stop that process, use its HTTP API, or give this command another --data-dir');
    } finally {
      await store.close();
    }
    // Released: it opens again.
    const again = await openState({ dataDir, command: 'plan' });
    await again.close();
  });

  it('a lock left by a dead process is taken over', async () => {
    const dataDir = tempDir('driftless-lock-');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(
      join(dataDir, 'driftless.lock'),
      JSON.stringify({ pid: dead.pid, host: (await import('node:os')).hostname(), command: 'serve', startedAt: new Date().toISOString() }),
    );
    const store = await openState({ dataDir, command: 'plan' });
    await store.close();
  });
});

function require_dir(p: string): void {
  spawnSync('mkdir', ['-p', p]);
}
