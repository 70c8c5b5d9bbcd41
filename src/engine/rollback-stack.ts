import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import { GitError } from '../git/repository.js';
import { rollbackBranch, rollbackMarker, rollbackMessage, writeRollbackCommit, type UndoneCommit } from '../git/rollback.js';
import type { Workspace } from './workspace.js';

/** The `rollback` verb: a commit on a branch of its own that puts one stack's manifests back as they were at a ref. */

export interface RollbackProposal {
  stack: string;
  /** The stack's folder. */
  path: string;
  /** The branch head the rollback is made on, and the commit it goes back to. */
  head: string;
  target: string;
  /** The rollback commit (child of `head`). */
  commit: string;
  /** The branch it is published on (without refs/heads/). */
  branch: string;
  undoes: UndoneCommit[];
  title: string;
  body: string;
}

/** A rollback a user asked for that cannot be made, and why (the reply says it as is). */
export class RollbackRefused extends Error {
  override name = 'RollbackRefused';
}

/** The PR body: which commits it undoes, and what happens while it is open. */
export function rollbackBody(p: { stack: string; path: string; head: string; target: string; undoes: UndoneCommit[]; requestedBy?: string | null }): string {
  return [
    `Restores the manifests of stack \`${p.stack}\` (\`${p.path}/\`) to their content at \`${p.target.slice(0, 12)}\`, on top of \`${p.head.slice(0, 12)}\`. Other stacks and files are unchanged.`,
    '',
    p.undoes.length ? `**Undoes ${p.undoes.length} commit${p.undoes.length === 1 ? '' : 's'}:**` : '**Undoes no commit on the first-parent line.**',
    '',
    ...p.undoes.map((u) => `- ${u.sha} ${u.subject}`),
    '',
    `While this pull request is open, stack \`${p.stack}\` is **quarantined**: new commits that touch it are planned but not applied automatically. Merging or closing this pull request ends the quarantine.`,
    ...(p.requestedBy ? ['', `Requested by @${p.requestedBy}.`] : []),
    '',
    rollbackMarker(
      p.stack,
      p.target,
      p.undoes.map((u) => u.sha),
    ),
  ].join('\n');
}

/**
 * Make (not publish) the rollback of `stack` to `ref` at the tracked branch's head. The stack must
 * exist at the head; `ref` must be the head or one of its ancestors and hold a different folder.
 */
export async function proposeRollback(
  ws: Workspace,
  o: { stack: string; ref: string; requestedBy?: string | null; fetch?: boolean },
): Promise<RollbackProposal> {
  const head = await ws.resolve(undefined, o.fetch ?? true);
  const at = await ws.repoAt(head);
  if (!at.repoConfig) throw new RollbackRefused(`${REPO_CONFIG_FILE} at the branch head ${head.slice(0, 12)} is missing or invalid`);
  const cfg = at.repoConfig.stacks[o.stack];
  if (!cfg) {
    const known = Object.keys(at.repoConfig.stacks).sort();
    throw new RollbackRefused(`${REPO_CONFIG_FILE} at ${head.slice(0, 12)} has no stack "${o.stack}" (stacks: ${known.join(', ') || 'none'})`);
  }
  let target: string;
  try {
    target = await ws.repo.resolve(o.ref);
  } catch (err) {
    throw new RollbackRefused((err as Error).message);
  }
  let made: Awaited<ReturnType<typeof writeRollbackCommit>>;
  try {
    made = await writeRollbackCommit(ws.repo, {
      head,
      target,
      dir: cfg.path,
      message: (undoes) => rollbackMessage(o.stack, target, undoes),
    });
  } catch (err) {
    if (err instanceof GitError) throw new RollbackRefused(err.message);
    throw err;
  }
  if (!made.commit) {
    throw new RollbackRefused(
      `stack ${o.stack} (${cfg.path}/) is the same at ${target.slice(0, 12)} as at the branch head ${head.slice(0, 12)}: nothing to roll back`,
    );
  }
  const title = `Roll back stack ${o.stack} to ${target.slice(0, 12)}`;
  const base = { stack: o.stack, path: cfg.path, head, target, undoes: made.undoes };
  return { ...base, commit: made.commit, branch: rollbackBranch(o.stack, target), title, body: rollbackBody({ ...base, requestedBy: o.requestedBy }) };
}
