/** A command given in a pull request comment. */
export type CommentCommand =
  | { name: 'plan' | 'apply' | 'help' }
  /** `/driftless rollback REF [STACK...]`: open a pull request that puts stacks back as they were at REF. */
  | { name: 'rollback'; ref: string | null; stacks: string[] }
  /** `/driftless adopt [RESOURCE]` on a drift issue: open a pull request that writes the live values into the manifests. */
  | { name: 'adopt'; resource: string | null }
  /** `/driftless override NAME <reason>`: a policy owner lets a failed soft-mandatory policy pass for the current plan. */
  | { name: 'override'; policy: string | null; reason: string }
  | { name: 'unknown'; word: string };

/**
 * Read a `/driftless <command>` from the first non-empty line of a comment; null when the
 * comment is not addressed to driftless. Pure.
 */
export function parseCommand(body: string): CommentCommand | null {
  const first = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!first) return null;
  const m = /^\/driftless(?:\s+(\S+))?/i.exec(first);
  if (!m) return null;
  const word = (m[1] ?? 'help').toLowerCase();
  if (word === 'plan' || word === 'apply' || word === 'help') return { name: word };
  if (word === 'rollback') {
    const [ref, ...stacks] = first.slice(m[0].length).trim().split(/\s+/).filter(Boolean);
    return { name: 'rollback', ref: ref ?? null, stacks };
  }
  if (word === 'adopt') {
    const [resource] = first.slice(m[0].length).trim().split(/\s+/).filter(Boolean);
    return { name: 'adopt', resource: resource ?? null };
  }
  if (word === 'override') {
    const rest = first.slice(m[0].length).trim();
    const [policy, ...reason] = rest.split(/\s+/).filter(Boolean);
    return { name: 'override', policy: policy ?? null, reason: reason.join(' ') };
  }
  return { name: 'unknown', word };
}

export const COMMAND_HELP = [
  '**driftless commands** (comment on the pull request):',
  '',
  '- `/driftless plan`: plan again and update the plan comment',
  '- `/driftless apply`: apply a plan that was held after the merge (needs write permission on the repository)',
  '- `/driftless rollback REF [STACK...]`: open a pull request that restores the stacks (default: those this pull request or commit changed) to their manifests at REF (needs write permission)',
  '- `/driftless adopt [RESOURCE]` (on a drift issue): open a pull request that writes the live values of the drifted resources (or of one) back into the manifests (needs write permission)',
  '- `/driftless override NAME <reason>`: let the failed soft-mandatory policy NAME pass for the current plan of this pull request (policy owners only; a new push makes it void)',
  '- `/driftless help`: this message',
].join('\n');
