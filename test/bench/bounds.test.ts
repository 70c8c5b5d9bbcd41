import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { differing } from '../../bench/read-bound.js';
import { treeList, writeTree } from '../../bench/write-bound.js';

/** The bench's lower bounds of apply (bare writes) and of the no-op re-apply and drift (bare reads). */
describe('bare writes and bare reads of an applied tree', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'driftless-bounds-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('make the same tree again, find it the same, and report each entry that is not', () => {
    const src = fresh();
    mkdirSync(join(src, 'etc', 'app'), { recursive: true });
    writeFileSync(join(src, 'etc', 'app', 'a.conf'), 'a = 1\n');
    writeFileSync(join(src, 'etc', 'secret'), 'x\n', { mode: 0o600 });
    chmodSync(join(src, 'etc', 'secret'), 0o600);
    symlinkSync('app/a.conf', join(src, 'etc', 'current'));
    const list = treeList(src);
    expect(list.map((e) => `${e.kind} ${e.path}`)).toEqual(['dir etc', 'dir etc/app', 'file etc/app/a.conf', 'link etc/current', 'file etc/secret']);

    const copy = fresh();
    expect(writeTree(list, copy)).toEqual({ files: 2, dirs: 2, links: 1 });
    expect(differing(list, copy)).toEqual([]);

    writeFileSync(join(copy, 'etc', 'app', 'a.conf'), 'a = 2\n');
    chmodSync(join(copy, 'etc', 'secret'), 0o644);
    unlinkSync(join(copy, 'etc', 'current'));
    symlinkSync('elsewhere', join(copy, 'etc', 'current'));
    expect(differing(list, copy)).toEqual(['etc/app/a.conf', 'etc/current', 'etc/secret']);

    rmSync(join(copy, 'etc'), { recursive: true });
    expect(differing(list, copy)).toEqual(list.map((e) => e.path));
  });
});
