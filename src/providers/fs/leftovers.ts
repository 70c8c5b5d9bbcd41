/** The fs provider's own temporary files (`.driftless-<pid>-<hex>.tmp|.lnk`): their names, and removing those an interrupted write left. */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../../sdk/concurrency.js';
import { confine } from './paths.js';

/** The exact names this provider gives its temporary files; the pid is absent in names made before it was added. */
const TEMP_NAME = /^\.driftless-(?:([1-9][0-9]*)-)?[0-9a-f]{12}\.(tmp|lnk)$/;

/** Temporary names this process is writing now (a restarted container's first process has its predecessor's pid). */
const inFlight = new Set<string>();

/**
 * Where this process's temporary names start: random, so a later process given the same pid does
 * not walk the same names; each name after it is the next number (a random draw per file was 3% of
 * an apply of 10,000 files). Creating with `wx` refuses a name taken all the same.
 */
let nextTemp = randomBytes(6).readUIntBE(0, 6);

/** A fresh name for a temporary file (`tmp`, written then renamed over a file) or symlink (`lnk`); `releaseTempName` it when done. */
export function tempName(kind: 'tmp' | 'lnk'): string {
  nextTemp = (nextTemp + 1) % 2 ** 48;
  const name = `.driftless-${process.pid}-${nextTemp.toString(16).padStart(12, '0')}.${kind}`;
  inFlight.add(name);
  return name;
}

/** The temporary file named `name` is renamed into place or removed. */
export function releaseTempName(name: string): void {
  inFlight.delete(name);
}

/**
 * Whether a directory entry is a temporary file of this provider that no running writer owns:
 * its name has the exact temporary pattern and `busy(pid, name)` says no writer has it (a name
 * without a pid comes from an older version).
 */
export function isLeftover(name: string, busy: (pid: number, name: string) => boolean): boolean {
  const m = TEMP_NAME.exec(name);
  if (!m) return false;
  return m[1] === undefined || !busy(Number(m[1]), name);
}

/**
 * Whether a writer may still have this temporary file: this process when it is writing it now, or
 * another process with that pid that runs on this host (one we may not signal runs too).
 */
export function writerBusy(pid: number, name: string): boolean {
  if (pid === process.pid) return inFlight.has(name);
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
export async function removeLeftovers(root: string, dirs: string[], busy: (pid: number, name: string) => boolean = writerBusy): Promise<string[]> {
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
    for (const name of names.filter((n) => isLeftover(n, busy)).sort()) {
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
      abs = confine(root, rel);
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
