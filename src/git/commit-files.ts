import * as fs from 'node:fs';
import { loadGit } from './load.js';
import { GitError, splitPath, type GitRepository } from './repository.js';

export interface CommitFilesRequest {
  /** The commit the new one follows. */
  parent: string;
  /** Repository paths of existing files and their new text. */
  files: ReadonlyMap<string, string>;
  message: string;
  /** A new branch (`name`, under refs/heads/) that will point at the commit; an existing one is never moved. */
  branch: string;
  author?: { name: string; email: string };
}

const AUTHOR = { name: 'driftless', email: 'driftless@localhost' };

/**
 * Commit new contents of files on top of `parent` onto a new branch, through git objects only: the
 * blobs, the trees on their paths and the commit are written to the object database and the branch
 * ref is created. The work tree, the index and HEAD are never touched. Returns the commit sha.
 */
export async function commitFilesToBranch(repo: GitRepository, req: CommitFilesRequest): Promise<string> {
  const git = await loadGit();
  const ref = `refs/heads/${req.branch}`;
  // git check-ref-format's rules, in short.
  if (!req.branch || /[\s~^:?*[\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|\/$|\.$|\.lock$|^\/|^-|^@$|(^|\/)\./.test(req.branch)) {
    throw new GitError(`"${req.branch}" is not a valid branch name`);
  }
  return repo.serialize(async () => {
    const base = { fs, gitdir: repo.gitdir, cache: repo.cache };
    if (await refExists(git, repo, ref))
      throw new GitError(`branch ${req.branch} already exists in ${repo.gitdir}; delete it or choose another name with --branch`);
    const parent = await git.readCommit({ ...base, oid: req.parent });
    let tree = parent.commit.tree;
    for (const [path, text] of req.files) {
      const blob = await git.writeBlob({ fs, gitdir: repo.gitdir, blob: Buffer.from(text, 'utf8') });
      tree = await replaceInTree(git, repo, tree, splitPath(path), blob, path);
    }
    const now = Math.floor(Date.now() / 1000);
    const who = { ...(req.author ?? AUTHOR), timestamp: now, timezoneOffset: 0 };
    const oid = await git.writeCommit({
      fs,
      gitdir: repo.gitdir,
      commit: { message: req.message.endsWith('\n') ? req.message : `${req.message}\n`, tree, parent: [req.parent], author: who, committer: who },
    });
    await git.writeRef({ fs, gitdir: repo.gitdir, ref, value: oid, force: false });
    return oid;
  });
}

type Git = Awaited<ReturnType<typeof loadGit>>;

async function refExists(git: Git, repo: GitRepository, ref: string): Promise<boolean> {
  try {
    await git.resolveRef({ fs, gitdir: repo.gitdir, ref });
    return true;
  } catch {
    return false;
  }
}

/** A tree with the blob at `segs` replaced (the file must exist; its mode is kept). */
async function replaceInTree(git: Git, repo: GitRepository, treeOid: string, segs: string[], blob: string, path: string): Promise<string> {
  const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid: treeOid, cache: repo.cache });
  const [head, ...rest] = segs;
  const i = tree.findIndex((e) => e.path === head);
  if (i < 0) throw new GitError(`${path} is not in the commit`);
  const entry = tree[i];
  if (rest.length === 0) {
    if (entry.type !== 'blob') throw new GitError(`${path} is not a file in the commit`);
    tree[i] = { ...entry, oid: blob };
  } else {
    if (entry.type !== 'tree') throw new GitError(`${path} is not in the commit`);
    tree[i] = { ...entry, oid: await replaceInTree(git, repo, entry.oid, rest, blob, path) };
  }
  return git.writeTree({ fs, gitdir: repo.gitdir, tree });
}
