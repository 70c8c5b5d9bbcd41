import { lstatSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep, dirname } from 'node:path';
import { ProviderError } from '../../sdk/provider.js';

/** Relative paths of plain names (none `.` or `..`, no empty segment, no trailing slash). */
const PLAIN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Normalise a manifest path: forward slashes, no `.`, no trailing slash. Throws on escapes. */
export function normalizeRel(p: string, id?: string): string {
  if (PLAIN.test(p)) return p; // already normal: the checks below would all pass and change nothing
  if (p.includes('\0')) throw new ProviderError(`path "${p}" holds a NUL byte`, id);
  if (isAbsolute(p) || /^[A-Za-z]:/.test(p)) throw new ProviderError(`path "${p}" is absolute; paths are relative to the target's root`, id);
  const n = normalize(p).split(sep).join('/').replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../') || n === '' || n === '.') throw new ProviderError(`path "${p}" leaves the target's root`, id);
  if (p.split('/').includes('..')) throw new ProviderError(`path "${p}" uses ".."; paths may not leave the target's root`, id);
  return n;
}

/**
 * The absolute path of `rel` under `root`, refusing anything that would leave the root: `..`,
 * absolute paths, and any existing parent directory that is a symlink. The last component may be
 * a symlink only when `allowLinkLeaf` (managing the link itself). `checked` shares the checks of
 * parent directories across the calls of one batch (a refresh), so each is looked at once.
 */
export async function confine(root: string, rel: string, id?: string, allowLinkLeaf = false, checked?: Map<string, Promise<void>>): Promise<string> {
  const n = normalizeRel(rel, id);
  const segs = n.split('/');
  let parentsOk = true;
  for (let i = 0; i < segs.length - 1 && parentsOk; i++) {
    const dir = segs.slice(0, i + 1).join('/');
    let check = checked?.get(dir);
    if (!check) {
      check = checkParent(root, dir);
      checked?.set(dir, check);
    }
    try {
      await check;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') parentsOk = false;
      else if (err instanceof ProviderError) throw new ProviderError(err.message.replace('{path}', rel), id);
      else throw err;
    }
  }
  const abs = resolve(root, n);
  const back = relative(root, abs);
  if (back.startsWith('..') || isAbsolute(back)) throw new ProviderError(`path "${rel}" leaves the target's root`, id);
  void allowLinkLeaf; // a symlink leaf is replaced (or managed), never followed: nothing to check here
  return abs;
}

/**
 * A parent directory must be a real directory, not a symlink (rejects with ENOENT when absent).
 * A synchronous lstat: a local one takes microseconds, a trip through the thread pool far more.
 */
async function checkParent(root: string, dir: string): Promise<void> {
  const st = lstatSync(join(root, dir));
  if (st.isSymbolicLink()) throw new ProviderError(`path "{path}" goes through the symlink ${dir}; refusing to follow it out of the root`);
  if (!st.isDirectory()) throw new ProviderError(`path "{path}": ${dir} is not a directory`);
}

/**
 * Create the parents of `abs` (inside root), each checked against symlinks. `checked` holds the
 * checks `confine` just made for `abs`: when they found its parent a real directory, there is
 * nothing to check or create again.
 */
export async function ensureParents(root: string, abs: string, id?: string, checked = new Map<string, Promise<void>>()): Promise<void> {
  const parent = dirname(abs);
  if (parent === root) return;
  const rel = relative(root, parent).split(sep).join('/');
  const known = checked.get(rel);
  if (
    known &&
    (await known.then(
      () => true,
      () => false,
    ))
  )
    return;
  await confine(root, rel, id, false, checked);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
}

/** Does a symlink at `linkAbs` pointing to `target` stay inside root? */
export function linkStaysInside(root: string, linkAbs: string, target: string): boolean {
  if (isAbsolute(target)) return false;
  const dest = resolve(dirname(linkAbs), target);
  const back = relative(root, dest);
  return back === '' || (!back.startsWith('..') && !isAbsolute(back));
}
