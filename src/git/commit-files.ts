import * as fs from 'node:fs';
import { loadGit } from './load.js';
import { GitError, type GitRepository } from './repository.js';
import { commitTreeEdits } from './tree-edit.js';

export interface CommitFilesRequest {
  /** The commit the new one follows. */
  parent: string;
  /** Repository paths of existing files and their new text. */
  files: ReadonlyMap<string, string>;
  message: string;
  author?: { name: string; email: string };
}

/** git check-ref-format's rules for a branch name, in short. */
export function validBranchName(name: string): boolean {
  return !!name && !/[\s~^:?*[\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|\/$|\.$|\.lock$|^\/|^-|^@$|(^|\/)\./.test(name);
}

/** Commit new contents of existing files on top of `parent` (objects only; no ref moves). Returns the commit sha. */
export function commitFiles(repo: GitRepository, req: CommitFilesRequest): Promise<string> {
  const edits = [...req.files].map(([path, text]) => ({ path, text }));
  return commitTreeEdits(repo, { parent: req.parent, edits, message: req.message, author: req.author });
}

/**
 * Commit new contents of files on top of `parent` onto a new local branch (refs/heads/NAME); an
 * existing branch is never moved. The work tree, the index and HEAD are never touched.
 */
export async function commitFilesToBranch(repo: GitRepository, req: CommitFilesRequest & { branch: string }): Promise<string> {
  if (!validBranchName(req.branch)) throw new GitError(`"${req.branch}" is not a valid branch name`);
  const git = await loadGit();
  const ref = `refs/heads/${req.branch}`;
  const exists = await git.resolveRef({ fs, gitdir: repo.gitdir, ref }).then(
    () => true,
    () => false,
  );
  if (exists) throw new GitError(`branch ${req.branch} already exists in ${repo.gitdir}; delete it or choose another name with --branch`);
  const oid = await commitFiles(repo, req);
  await repo.serialize(() => git.writeRef({ fs, gitdir: repo.gitdir, ref, value: oid, force: false }));
  return oid;
}
