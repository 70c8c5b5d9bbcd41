import { GitError, splitPath, type GitRepository } from './repository.js';
import { commitTreeEdits } from './tree-edit.js';

/**
 * A rollback commit: the branch head's tree with one folder (a stack's path) put back as it was at
 * an earlier commit. Everything outside the folder stays as it is at the head.
 */

export interface UndoneCommit {
  sha: string;
  subject: string;
}

export interface RollbackCommit {
  /** The new commit (child of `head`), or null when the folder at `target` equals the head's. */
  commit: string | null;
  head: string;
  target: string;
  /** First-parent commits after `target` up to `head` that changed the folder, newest first. */
  undoes: UndoneCommit[];
}

/** The commits on the first-parent line from `head` back to (not including) `stop` whose change touches `dir`. */
export async function commitsTouching(repo: GitRepository, head: string, stop: string, dir: string, limit = 500): Promise<UndoneCommit[]> {
  const segs = splitPath(dir);
  const prefix = segs.length ? `${segs.join('/')}/` : '';
  const out: UndoneCommit[] = [];
  let c: string | null = head;
  for (let i = 0; c && c !== stop; i++) {
    if (i >= limit) throw new GitError(`more than ${limit} commits lie between ${stop.slice(0, 12)} and ${head.slice(0, 12)}`);
    const info = await repo.commitInfo(c);
    const parent: string | null = info.parents[0] ?? null;
    // A merge counts for what it brought in against its first parent.
    if ((await repo.changedPaths(parent, c)).some((p) => p.startsWith(prefix))) out.push({ sha: c, subject: info.message.split('\n')[0] });
    c = parent;
  }
  return out;
}

/**
 * Write (but do not publish) the commit that puts `dir` back as it was at `target`, on top of `head`.
 * `target` must be `head` or one of its ancestors.
 */
export async function writeRollbackCommit(
  repo: GitRepository,
  o: { head: string; target: string; dir: string; message: (undoes: UndoneCommit[]) => string; time?: number },
): Promise<RollbackCommit> {
  const { head, target, dir } = o;
  if (!(await repo.includes(head, target))) {
    throw new GitError(`${target.slice(0, 12)} is not an ancestor of the branch head ${head.slice(0, 12)}: a rollback goes back along the branch`);
  }
  const undoes = await commitsTouching(repo, head, target, dir);
  const wanted = await repo.treeOid(target, dir);
  const current = await repo.treeOid(head, dir);
  if (wanted === current) return { commit: null, head, target, undoes };
  const commit = await commitTreeEdits(repo, { parent: head, edits: [{ path: dir, tree: wanted }], message: o.message(undoes), time: o.time });
  return { commit, head, target, undoes };
}

/** The branch a rollback of `stack` to `target` is proposed on. */
export function rollbackBranch(stack: string, target: string): string {
  return `driftless/rollback-${stack.replace(/[^A-Za-z0-9._-]+/g, '-')}-${target.slice(0, 12)}`;
}

/** The commit message of a rollback, naming the commits it undoes. */
export function rollbackMessage(stack: string, target: string, undoes: UndoneCommit[]): string {
  return [
    `Roll back stack ${stack} to ${target.slice(0, 12)}`,
    '',
    undoes.length ? `Undoes ${undoes.length} commit${undoes.length === 1 ? '' : 's'}:` : 'Undoes no commit on the first-parent line.',
    ...undoes.map((u) => `- ${u.sha.slice(0, 12)} ${u.subject}`),
    '',
    `Driftless-Rollback: ${stack} ${target}`,
    '',
  ].join('\n');
}

/** The hidden line a rollback pull request's body carries, so a service that did not open it (the CLI did) knows it. */
export function rollbackMarker(stack: string, target: string, undoes: string[]): string {
  return `<!-- driftless:rollback ${stack} ${target} ${undoes.join(',')} -->`;
}

/** Read a rollback marker from a pull request body; null when there is none. Pure. */
export function parseRollbackMarker(body: string): { stack: string; target: string; undoes: string[] } | null {
  const m = /<!-- driftless:rollback (\S+) ([0-9a-f]{40}) ((?:[0-9a-f]{40},?)*) ?-->/.exec(body);
  if (!m) return null;
  return { stack: m[1], target: m[2], undoes: m[3].split(',').filter(Boolean) };
}
