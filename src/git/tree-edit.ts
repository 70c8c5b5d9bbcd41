import * as fs from 'node:fs';
import { loadGit } from './load.js';
import { GitError, splitPath, type GitRepository } from './repository.js';

/**
 * New commits made from git objects alone: a parent's tree with some paths replaced, committed on
 * top of it. The work tree, the index, HEAD and every ref are left alone (the caller publishes).
 */

/** Replace the file at `path` (it must exist; its mode is kept), or put the folder at `path` as `tree` (null: remove it). */
export type TreeEdit = { path: string; text: string } | { path: string; tree: string | null };

export const DRIFTLESS_AUTHOR = { name: 'driftless', email: 'driftless@localhost' };

interface Entry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

type Git = Awaited<ReturnType<typeof loadGit>>;

async function entries(git: Git, repo: GitRepository, oid: string | null): Promise<Entry[]> {
  if (!oid) return [];
  const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  return tree.map((e) => ({ mode: e.mode, path: e.path, oid: e.oid, type: e.type }));
}

/** `tree` with `segs` replaced as `put` says; returns the new tree (null when it ends up empty). */
async function replaceAt(
  git: Git,
  repo: GitRepository,
  tree: string | null,
  segs: string[],
  put: (old: Entry | undefined) => Entry | null,
): Promise<string | null> {
  const [name, ...rest] = segs;
  const list = await entries(git, repo, tree);
  const old = list.find((e) => e.path === name);
  let next: Entry | null;
  if (rest.length === 0) next = put(old);
  else {
    const inner = await replaceAt(git, repo, old?.type === 'tree' ? old.oid : null, rest, put);
    next = inner ? { mode: '040000', path: name, oid: inner, type: 'tree' } : null;
  }
  const out = list.filter((e) => e.path !== name);
  if (next) out.push({ ...next, path: name });
  if (!out.length) return null;
  return git.writeTree({ fs, gitdir: repo.gitdir, tree: out });
}

/**
 * Write the commit whose tree is `parent`'s with `edits` applied, with `parent` as its only parent.
 * Returns its sha. A file edit whose path is not a file of the parent is refused (GitError).
 */
export async function commitTreeEdits(
  repo: GitRepository,
  o: { parent: string; edits: TreeEdit[]; message: string; time?: number; author?: { name: string; email: string } },
): Promise<string> {
  const git = await loadGit();
  return repo.serialize(async () => {
    const { commit: parent } = await git.readCommit({ fs, gitdir: repo.gitdir, oid: o.parent, cache: repo.cache });
    let root: string | null = parent.tree;
    for (const edit of o.edits) {
      const segs = splitPath(edit.path);
      if ('text' in edit) {
        if (!segs.length) throw new GitError(`"${edit.path}" is not a file path`);
        const blob = await git.writeBlob({ fs, gitdir: repo.gitdir, blob: Buffer.from(edit.text, 'utf8') });
        root = await replaceAt(git, repo, root, segs, (old) => {
          if (old?.type !== 'blob') throw new GitError(`${edit.path} is not a file in ${o.parent.slice(0, 12)}`);
          return { ...old, oid: blob };
        });
      } else if (!segs.length) root = edit.tree;
      else {
        const sub = edit.tree;
        root = await replaceAt(git, repo, root, segs, () => (sub ? { mode: '040000', path: '', oid: sub, type: 'tree' } : null));
      }
    }
    const tree = root ?? (await git.writeTree({ fs, gitdir: repo.gitdir, tree: [] }));
    const who = { ...(o.author ?? DRIFTLESS_AUTHOR), timestamp: o.time ?? Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    const message = o.message.endsWith('\n') ? o.message : `${o.message}\n`;
    return git.writeCommit({ fs, gitdir: repo.gitdir, commit: { message, tree, parent: [o.parent], author: who, committer: who } });
  });
}
