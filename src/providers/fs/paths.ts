import { lstatSync, mkdirSync, type Stats } from 'node:fs';
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
 * What the checks of parent directories found, by path relative to the root: null for a real
 * directory, else the problem (a symlink, not a directory, or the lstat's error, ENOENT when absent).
 */
export type ParentChecks = Map<string, Error | null>;

/**
 * The absolute path of `rel` under `root`, refusing anything that would leave the root: `..`,
 * absolute paths, and any existing parent directory that is a symlink. The last component may be
 * a symlink only when `allowLinkLeaf` (managing the link itself). `checked` shares the checks of
 * parent directories across the calls of one batch (a refresh), so each is looked at once.
 */
export function confine(root: string, rel: string, id?: string, allowLinkLeaf = false, checked?: ParentChecks): string {
  const n = normalizeRel(rel, id);
  const segs = n.split('/');
  for (let i = 0; i < segs.length - 1; i++) {
    const dir = segs.slice(0, i + 1).join('/');
    let problem = checked?.get(dir);
    if (problem === undefined) {
      problem = parentProblem(root, dir);
      checked?.set(dir, problem);
    }
    if (problem === null) continue;
    if ((problem as NodeJS.ErrnoException).code === 'ENOENT') break; // absent: nothing below it to check
    if (problem instanceof ProviderError) throw new ProviderError(problem.message.replace('{path}', rel), id);
    throw problem;
  }
  const abs = resolve(root, n);
  const back = relative(root, abs);
  if (back.startsWith('..') || isAbsolute(back)) throw new ProviderError(`path "${rel}" leaves the target's root`, id);
  void allowLinkLeaf; // a symlink leaf is replaced (or managed), never followed: nothing to check here
  return abs;
}

/**
 * A parent directory must be a real directory, not a symlink: null when it is, else the problem.
 * A synchronous lstat: a local one takes microseconds, a trip through the thread pool far more.
 */
function parentProblem(root: string, dir: string): Error | null {
  let st: Stats;
  try {
    st = lstatSync(join(root, dir));
  } catch (err) {
    return err as Error;
  }
  if (st.isSymbolicLink()) return new ProviderError(`path "{path}" goes through the symlink ${dir}; refusing to follow it out of the root`);
  if (!st.isDirectory()) return new ProviderError(`path "{path}": ${dir} is not a directory`);
  return null;
}

/**
 * Create the parents of `abs` (inside root), each checked against symlinks. `checked` holds the
 * checks `confine` just made for `abs`: when they found its parent a real directory, there is
 * nothing to check or create again.
 */
export function ensureParents(root: string, abs: string, id?: string, checked: ParentChecks = new Map()): void {
  const parent = dirname(abs);
  if (parent === root) return;
  const rel = relative(root, parent).split(sep).join('/');
  if (checked.get(rel) === null) return;
  confine(root, rel, id, false, checked);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
}

/** Does a symlink at `linkAbs` pointing to `target` stay inside root? */
export function linkStaysInside(root: string, linkAbs: string, target: string): boolean {
  if (isAbsolute(target)) return false;
  const dest = resolve(dirname(linkAbs), target);
  const back = relative(root, dest);
  return back === '' || (!back.startsWith('..') && !isAbsolute(back));
}
