import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestRepo, tempDir, manifest } from '../helpers/git.js';
import { ownDatabase } from '../helpers/own-database.js';
import { runCli } from '../helpers/cli.js';
import { openState } from '../../src/state/open.js';

/**
 * Crash recovery of the fs provider's temporary files: an apply killed with SIGKILL while it writes
 * or prunes files is finished by the next apply, which leaves no `.driftless-*` file behind.
 */

const ENTRY = resolve('test/helpers/cli-entry.ts');
const REPO_CONFIG = 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: files\n';
const PARALLELISM = 4;

// A database of this file's own on the suite's PostgreSQL: opening it is quick in a child process.
const stateUrl = ownDatabase('driftless_crash');

interface Setup {
  repo: TestRepo;
  root: string;
  config: string;
  name: string;
}

function setUp(name: string, files: Record<string, string>): Setup {
  const repo = TestRepo.create({ 'driftless.yaml': REPO_CONFIG, ...files });
  const dir = tempDir('driftless-crashfs-');
  const root = join(dir, 'root');
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(
    config,
    `repo: { path: ${repo.dir}, name: ${name} }\ntargets:\n  files: { provider: fs, root: ${root} }\nstate: { url: "${stateUrl()}" }\n` +
      `dataDir: ${join(dir, 'data')}\nparallelism: ${PARALLELISM}\n`,
  );
  return { repo, root, config, name };
}

/** One manifest file per directory: the Directory and `count` files in it, with content of a few KB. */
function manifests(dirs: string[], count: number, version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dirs) {
    const docs = [manifest('Directory', d, { path: d, mode: '0755' })];
    for (let i = 0; i < count; i++) docs.push(manifest('File', `${d}-${i}`, { path: `${d}/f${i}.txt`, content: content(d, i, version) }));
    out[`stacks/web/${d}.yaml`] = docs.join('---\n');
  }
  return out;
}

const content = (d: string, i: number, version: string): string => `${version} ${d}/${i}\n`.repeat(200);

/** Run `apply` in a child process and kill it with SIGKILL once `afterDone` resources are done. */
function killedApply(config: string, afterDone: number): Promise<{ signal: NodeJS.Signals | null; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--config', config, 'apply', '--auto-approve'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let done = 0;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
    done += chunk.split('\n').filter((l) => / done \(\d+ ms\)$/.test(l)).length;
    if (done >= afterDone) child.kill('SIGKILL');
  });
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('exit', (_code, signal) => res({ signal, err }));
  });
}

/** Every `.driftless-*` entry under `dir`, as paths relative to it. */
function leftovers(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.driftless-')) out.push(prefix + e.name);
    if (e.isDirectory()) out.push(...leftovers(join(dir, e.name), `${prefix}${e.name}/`));
  }
  return out;
}

async function converged(s: Setup): Promise<void> {
  const again = await runCli(['--config', s.config, 'apply', '--auto-approve']);
  expect(again.code, again.out + again.err).toBe(0);
  expect(leftovers(s.root)).toEqual([]);
  const plan = await runCli(['--config', s.config, 'plan', '--detailed-exitcode']);
  expect(plan.code, plan.out + plan.err).toBe(0);
}

describe('crash recovery of temporary files (fs)', () => {
  it('the next apply removes the temporary files an interrupted write left, so the prune of their directory succeeds', async () => {
    const s = setUp('leftover', {
      'stacks/web/gone.yaml':
        manifest('Directory', 'gone', { path: 'gone', mode: '0755' }) + '---\n' + manifest('File', 'a', { path: 'gone/a.txt', content: 'a' }),
      'stacks/web/keep.yaml':
        manifest('Directory', 'keep', { path: 'keep', mode: '0755' }) + '---\n' + manifest('File', 'b', { path: 'keep/b.txt', content: 'b' }),
    });
    const first = await runCli(['--config', s.config, 'apply', '--auto-approve']);
    expect(first.code, first.err).toBe(0);

    // What a process killed in the middle of writing keep/b.txt leaves: an open journal entry, and
    // temporary files (one named by a writer that has exited, one of an older version without a pid).
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const tmp = `keep/.driftless-${dead.pid}-0123456789ab.tmp`;
    writeFileSync(join(s.root, tmp), 'partial');
    symlinkSync('b.txt', join(s.root, 'gone/.driftless-0123456789ab.lnk'));
    writeFileSync(join(s.root, 'keep/notes.tmp'), 'a file of the user');
    const store = await openState({ dataDir: tempDir(), url: stateUrl(), command: 'test' });
    try {
      const key = { repo: s.name, stack: 'web' };
      const b = (await store.resources(key)).get('File/b')!;
      const run = await store.startRun(key, { kind: 'apply', trigger: 'cli', commit: s.repo.head() });
      await store.journalStart(run, key, 'File/b', 'update', { ...b, spec: { ...b.spec, content: 'b2' } });
    } finally {
      await store.close();
    }

    s.repo.commit({ 'stacks/web/gone.yaml': null });
    const r = await runCli(['--config', s.config, 'apply', '--auto-approve']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain(`recovered: fs.driftless.dev/v1: removed ${tmp}, a temporary file an interrupted write left`);
    expect(r.err).toContain('recovered: fs.driftless.dev/v1: removed gone/.driftless-0123456789ab.lnk, a temporary file an interrupted write left');
    expect(r.out).toContain('Plan: 0 to create, 0 to update, 0 to replace, 2 to delete.');
    expect(existsSync(join(s.root, 'gone'))).toBe(false);
    expect(readFileSync(join(s.root, 'keep/notes.tmp'), 'utf8')).toBe('a file of the user');
    expect(leftovers(s.root)).toEqual([]);
  });

  // Killed after a few resources and after more: each trial is one child process.
  it.each([2, 9])('SIGKILL while creating (after %i resources): the next apply converges and leaves no temporary file', async (after) => {
    const dirs = ['d0', 'd1', 'd2'];
    const s = setUp(`create${after}`, manifests(dirs, 10, 'v1'));
    const killed = await killedApply(s.config, after);
    expect(killed.signal, killed.err).toBe('SIGKILL');
    await converged(s);
    for (const d of dirs) for (let i = 0; i < 10; i++) expect(readFileSync(join(s.root, d, `f${i}.txt`), 'utf8')).toBe(content(d, i, 'v1'));
  });

  it.each([2, 9])('SIGKILL while pruning (after %i resources): the next apply converges and leaves no temporary file', async (after) => {
    const s = setUp(`prune${after}`, manifests(['d0', 'd1', 'd2'], 10, 'v1'));
    const first = await runCli(['--config', s.config, 'apply', '--auto-approve']);
    expect(first.code, first.err).toBe(0);
    // d1 and d2 go (files first, then their directories); d0's files are rewritten meanwhile.
    s.repo.commit({ 'stacks/web/d1.yaml': null, 'stacks/web/d2.yaml': null, ...manifests(['d0'], 10, 'v2') });
    const killed = await killedApply(s.config, after);
    expect(killed.signal, killed.err).toBe('SIGKILL');
    await converged(s);
    expect(readdirSync(s.root)).toEqual(['d0']);
    for (let i = 0; i < 10; i++) expect(readFileSync(join(s.root, 'd0', `f${i}.txt`), 'utf8')).toBe(content('d0', i, 'v2'));
  });
});
