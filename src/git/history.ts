import type { GitRepository } from './repository.js';

/**
 * The newest commit on the first-parent line from `head` back to (not including) `stop` whose
 * change (against its first parent) `touches` accepts; `head` itself when none does within `limit`.
 */
export async function lastTouchingCommit(
  repo: GitRepository,
  head: string,
  stop: string | null,
  touches: (changedPaths: string[]) => boolean,
  limit = 50,
): Promise<string> {
  let c = head;
  for (let i = 0; i < limit && c !== stop; i++) {
    const info = await repo.commitInfo(c);
    const parent = info.parents[0] ?? null;
    if (touches(await repo.changedPaths(parent, c))) return c;
    if (!parent) break;
    c = parent;
  }
  return head;
}
