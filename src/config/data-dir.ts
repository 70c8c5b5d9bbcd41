/** The default data dir: `.driftless` beside the config, or in the manifest repository's git dir when that would put it in the repository's work tree. */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { workTreeGitDir } from '../git/work-tree.js';

/** What a data dir holds once used (the embedded state, mirrors, the lock); a repository's `.driftless/schemas/` is not one. */
const DATA_DIR_ENTRIES = ['state', 'mirrors', 'driftless.lock'];

/**
 * `.driftless` in `base` (the config file's folder, or the current one without a config), unless
 * that lies inside the work tree of the local manifest repository `repoPath`: there it would show in
 * `git status`, could be committed, and `git clean -fdx` would delete the state. Then it is
 * `driftless/` inside that repository's git directory (`.git/driftless`): per repository, outside
 * the work tree, left alone by git. A data dir already used at `base/.driftless` is kept.
 */
export function defaultDataDir(base: string, repoPath?: string): string {
  const beside = resolve(base, '.driftless');
  if (!repoPath || DATA_DIR_ENTRIES.some((e) => existsSync(join(beside, e)))) return beside;
  const top = real(resolve(repoPath));
  const back = relative(top, real(resolve(base)));
  if (back.startsWith('..') || isAbsolute(back)) return beside;
  const gitdir = workTreeGitDir(top);
  return gitdir ? join(gitdir, 'driftless') : beside;
}

/** The path with symlinks resolved when it exists (so /tmp and its real path compare equal). */
function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}
