/** A command given in a pull request comment. */
export type CommentCommand = { name: 'plan' | 'apply' | 'help' } | { name: 'unknown'; word: string };

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
  return { name: 'unknown', word };
}

export const COMMAND_HELP = [
  '**driftless commands** (comment on the pull request):',
  '',
  '- `/driftless plan`: plan again and update the plan comment',
  '- `/driftless apply`: apply a plan that was held after the merge (needs write permission on the repository)',
  '- `/driftless help`: this message',
].join('\n');
