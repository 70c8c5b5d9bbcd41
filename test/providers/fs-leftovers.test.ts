import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsProvider } from '../../src/providers/fs/index.js';
import { isLeftover, releaseTempName, removeLeftovers, tempName } from '../../src/providers/fs/leftovers.js';
import type { Desired, Recorded, Session } from '../../src/sdk/provider.js';
import { tempDir } from '../helpers/git.js';

const desired = (kind: string, name: string, spec: Record<string, unknown>): Desired => ({
  id: `${kind}/${name}`,
  apiVersion: 'fs.driftless.dev/v1',
  kind,
  name,
  spec: spec as never,
});
const recorded = (d: Desired): Recorded => ({ ...d, outputs: {} });

async function session(): Promise<{ s: Session; root: string; outside: string }> {
  const base = tempDir('driftless-fs-');
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  return { s: await fsProvider.connect({ name: 't', provider: 'fs', root }), root, outside };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

const HEX = '0123456789ab';

describe('fs provider: temporary files an interrupted write left', () => {
  it('knows its own temporary names exactly, and spares those of a running writer', () => {
    const busy = (pid: number) => pid === 42;
    expect(isLeftover(`.driftless-${HEX}.tmp`, busy)).toBe(true); // made before names carried the pid
    expect(isLeftover(`.driftless-${HEX}.lnk`, busy)).toBe(true);
    expect(isLeftover(`.driftless-7-${HEX}.tmp`, busy)).toBe(true);
    expect(isLeftover(`.driftless-42-${HEX}.tmp`, busy)).toBe(false); // its writer runs
    for (const name of [
      'notes.tmp',
      `.driftless-${HEX}.tmp.bak`,
      `x.driftless-${HEX}.tmp`,
      `.driftless-${HEX.toUpperCase()}.tmp`,
      `.driftless-0123456789a.tmp`,
      `.driftless-${HEX}.txt`,
      `.driftless-0-${HEX}.tmp`,
      '.driftless-notes.tmp',
    ])
      expect(isLeftover(name, busy), name).toBe(false);
  });

  it('recover removes them around the given resources, and nothing a user made; the Directory is then pruned', async () => {
    const { s, root, outside } = await session();
    const dir = desired('Directory', 'd', { path: 'd', mode: '0755' });
    const file = desired('File', 'f', { path: 'd/f.txt', content: 'x' });
    const top = desired('File', 'top', { path: 'top.txt', content: 'y' });
    for (const r of [dir, file, top]) await s.create(r);
    const dead = await deadPid();
    const planted = [`d/.driftless-${dead}-${HEX}.tmp`, `d/.driftless-${HEX}.tmp`, `.driftless-${dead}-${HEX}.tmp`];
    for (const p of planted) writeFileSync(join(root, p), 'partial');
    symlinkSync('f.txt', join(root, `d/.driftless-${dead}-${HEX}.lnk`));
    writeFileSync(join(root, `d/.driftless-1-${HEX}.tmp`), 'in flight'); // its writer (pid 1) runs
    // This process's pid, not written by it now: left by a predecessor with the same pid (a container's first process).
    planted.push(`d/.driftless-${process.pid}-${HEX}.tmp`);
    writeFileSync(join(root, `d/.driftless-${process.pid}-${HEX}.tmp`), 'partial');
    const inFlight = tempName('tmp'); // a write of this process in flight
    writeFileSync(join(root, 'd', inFlight), 'in flight');
    mkdirSync(join(root, `d/.driftless-${dead}-ba9876543210.tmp`)); // the name, but a directory: not ours
    writeFileSync(join(root, 'd/notes.tmp'), 'user');
    // Behind a symlink: never looked into.
    writeFileSync(join(outside, `.driftless-${HEX}.tmp`), 'outside');
    symlinkSync(outside, join(root, 'link'));
    const behindLink = desired('File', 'l', { path: 'link/x.txt', content: 'x' });

    const notes = await s.recover!([recorded(dir), recorded(file), recorded(top), recorded(behindLink)]);
    expect(notes.sort()).toEqual([...planted, `d/.driftless-${dead}-${HEX}.lnk`].map((p) => `removed ${p}, a temporary file an interrupted write left`).sort());
    const notOurs = [`.driftless-${dead}-ba9876543210.tmp`, `.driftless-1-${HEX}.tmp`, inFlight, 'notes.tmp'].sort();
    expect(readdirSync(join(root, 'd')).sort()).toEqual([...notOurs, 'f.txt'].sort());
    expect(existsSync(join(outside, `.driftless-${HEX}.tmp`))).toBe(true);
    expect(lstatSync(join(root, 'd/f.txt')).isFile()).toBe(true);

    // What is left is not ours to remove: the prune refuses, naming it.
    await s.delete(recorded(file));
    await expect(s.delete(recorded(dir))).rejects.toThrow(
      `directory d is not empty: it holds files this stack does not manage (${notOurs.join(', ')}); refusing to delete them`,
    );
    releaseTempName(inFlight);
  });

  it('a Directory delete removes leftovers in it first (a prune after an old crash succeeds)', async () => {
    const { s, root } = await session();
    const dir = desired('Directory', 'd', { path: 'a/d', mode: '0755' });
    await s.create(dir);
    writeFileSync(join(root, `a/d/.driftless-${HEX}.tmp`), 'partial');
    symlinkSync('../x', join(root, `a/d/.driftless-${await deadPid()}-${HEX}.lnk`));
    await s.delete(recorded(dir));
    expect(existsSync(join(root, 'a/d'))).toBe(false);
  });

  it('a write that fails leaves no temporary file', async () => {
    const { s, root } = await session();
    mkdirSync(join(root, 'x.txt'));
    await expect(s.create(desired('File', 'x', { path: 'x.txt', content: 'x' }))).rejects.toThrow(/is a directory where a file belongs/);
    expect(readdirSync(root)).toEqual(['x.txt']);
  });

  it('removeLeftovers skips directories that are missing, files, or outside the root', async () => {
    const { root } = await session();
    writeFileSync(join(root, 'plain'), '');
    expect(await removeLeftovers(root, ['missing', 'missing/deeper', 'plain', 'plain/x', '..', '../root'])).toEqual([]);
  });
});
