import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fsProvider } from '../../src/providers/fs/index.js';
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

describe('fs provider: confined to its root', () => {
  it('refuses paths that leave the root: .., absolute, through a symlink, symlink targets outside', async () => {
    const { s, root, outside } = await session();
    await expect(s.create(desired('File', 'a', { path: '../escape.txt', content: 'x' }))).rejects.toThrow(/leaves the target's root|uses ".."/);
    await expect(s.create(desired('File', 'b', { path: 'a/../../escape.txt', content: 'x' }))).rejects.toThrow(/leaves|".."/);
    await expect(s.create(desired('File', 'c', { path: '/etc/passwd', content: 'x' }))).rejects.toThrow(/is absolute/);
    symlinkSync(outside, join(root, 'link'));
    await expect(s.create(desired('File', 'd', { path: 'link/escape.txt', content: 'x' }))).rejects.toThrow(/goes through the symlink link/);
    await expect(s.read(recorded(desired('File', 'd', { path: 'link/escape.txt' })))).rejects.toThrow(/symlink/);
    await expect(s.create(desired('Symlink', 'e', { path: 'out', target: '../outside' }))).rejects.toThrow(/leaves the target's root/);
    await expect(s.create(desired('Symlink', 'f', { path: 'out', target: '/etc' }))).rejects.toThrow(/leaves the target's root/);
    expect(existsSync(join(outside, 'escape.txt'))).toBe(false);
  });

  it('replaces a symlink planted where a file belongs instead of writing through it', async () => {
    const { s, root, outside } = await session();
    writeFileSync(join(outside, 'victim'), 'safe');
    symlinkSync(join(outside, 'victim'), join(root, 'f.txt'));
    await s.create(desired('File', 'f', { path: 'f.txt', content: 'mine', mode: '0644' }));
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('safe');
    expect(lstatSync(join(root, 'f.txt')).isFile()).toBe(true);
  });

  it('creates parents, reads back what it wrote, shows outside edits, deletes', async () => {
    const { s, root } = await session();
    const f = desired('File', 'f', { path: 'a/b/c.txt', content: 'hello', mode: '0640' });
    const out = await s.create(f);
    expect(out).toEqual({ path: 'a/b/c.txt', sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
    expect((await s.read(recorded(f)))!.spec).toEqual({ path: 'a/b/c.txt', content: 'hello', mode: '0640' });
    writeFileSync(join(root, 'a/b/c.txt'), 'edited');
    expect((await s.read(recorded(f)))!.spec.content).toBe('edited');
    const d = desired('Directory', 'd', { path: 'a/b', mode: '0755' });
    await expect(s.delete(recorded(d))).rejects.toThrow(/not empty: it holds files this stack does not manage/);
    await s.delete(recorded(f));
    expect(await s.read(recorded(f))).toBeNull();
    await s.delete(recorded(d));
    expect(existsSync(join(root, 'a/b'))).toBe(false);
    const l = desired('Symlink', 'l', { path: 'a/l', target: '../x' });
    await s.create(l);
    expect((await s.read(recorded(l)))!.spec).toEqual({ path: 'a/l', target: '../x' });
  });
});

describe('fs provider: references', () => {
  it('names every directory above a path by its natural key; files of one directory share the list', () => {
    const refs = (path: string) => fsProvider.kinds.File.references!({ path } as never, 'x');
    const dirs = (path: string) => refs(path).map((r) => `${r.kind}:${r.key}`);
    expect(dirs('a/b/c.conf')).toEqual(['Directory:a', 'Directory:a/b']);
    expect(dirs('./a//b/d.conf')).toEqual(['Directory:a', 'Directory:a/b']);
    expect(dirs('top.conf')).toEqual([]);
    expect(dirs('../out.conf')).toEqual([]);
    expect(refs('a/b/e.conf')).toBe(refs('a/b/c.conf'));
    expect(Object.isFrozen(refs('a/b/e.conf'))).toBe(true);
    expect(fsProvider.kinds.Directory.references!({ path: 'a/b' } as never, 'x').map((r) => r.key)).toEqual(['a']);
  });
});
