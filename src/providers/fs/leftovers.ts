/** The fs provider's own temporary files (`.driftless-<pid>-<hex>.tmp|.lnk`): their names, and removing those an interrupted write left. */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../../sdk/concurrency.js';
import { confine } from './paths.js';

/** The exact names this provider gives its temporary files; the pid is absent in names made before it was added. */
const TEMP_NAME = /^\.driftless-(?:([1-9][0-9]*)-)?[0-9a-f]{12}\.(tmp|lnk)$/;

/** A fresh name for a temporary file (`tmp`, written then renamed over a file) or symlink (`lnk`). */
export function tempName(kind: 'tmp' | 'lnk'): string {
  return `.driftless-${process.pid}-${randomBytes(6).toString('hex')}.${kind}`;
}

/**
 * Whether a directory entry is a temporary file of this provider that no running writer owns:
 * its name has the exact temporary pattern and the process named in it is gone (or it names none).
 */
export function isLeftover(name: string, alive: (pid: number) => boolean): boolean {
  const m = TEMP_NAME.exec(name);
  if (!m) return false;
  return m[1] === undefined || !alive(Number(m[1]));
}

/** Whether a process with this id runs on this host (one we may not signal runs too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove this provider's leftover temporary files from directories of the target (relative paths;
 * '' is the root). A directory that is missing, is not a real directory, or lies behind a symlink is
 * skipped, never followed; only entries named as temporary files, of the type that name says (a
 * regular file for `.tmp`, a symlink for `.lnk`), are removed. Returns the relative paths removed.
 */
export async function removeLeftovers(root: string, dirs: string[], alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const removed = await mapLimit([...new Set(dirs)].sort(), 16, async (rel) => {
    const abs = await realDirectory(root, rel);
    if (!abs) return [];
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (err) {
      if (isGone(err)) return [];
      throw err;
    }
    const out: string[] = [];
    for (const name of names.filter((n) => isLeftover(n, alive)).sort()) {
      const path = join(abs, name);
      const st = await lstat(path).catch((err) => (isGone(err) ? null : Promise.reject(err)));
      if (!st || !(name.endsWith('.tmp') ? st.isFile() : st.isSymbolicLink())) continue;
      try {
        await unlink(path);
      } catch (err) {
        if (isGone(err)) continue; // removed meanwhile: nothing left to do
        throw err;
      }
      out.push(rel ? `${rel}/${name}` : name);
    }
    return out;
  });
  return removed.flat();
}

/** The absolute path of `rel` when it is a real directory inside root reached through no symlink; else null. */
async function realDirectory(root: string, rel: string): Promise<string | null> {
  let abs = root;
  if (rel) {
    try {
      abs = await confine(root, rel);
    } catch {
      return null; // leaves the root, or goes through a symlink or a file: not ours to look in
    }
  }
  const st = await lstat(abs).catch((err) => (isGone(err) ? null : Promise.reject(err)));
  return st?.isDirectory() ? abs : null;
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
