/** Where a local path sits among git work trees: the work tree around a folder, and a work tree's git directory. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The top of the git work tree that `abs` lies inside (the nearest parent holding `.git`), or null. */
export function enclosingWorkTree(abs: string): string | null {
  for (let dir = dirname(abs); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The git directory of the work tree at `top`: its `.git` folder, or the folder a `.git` file names
 * (`gitdir: PATH`, a linked work tree or a submodule). Null when `top` is not a work tree.
 */
export function workTreeGitDir(top: string): string | null {
  const dotgit = join(top, '.git');
  if (!existsSync(dotgit)) return null;
  if (statSync(dotgit).isDirectory()) return dotgit;
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotgit, 'utf8'));
  return m ? resolve(top, m[1]) : null;
}
