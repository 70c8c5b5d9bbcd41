import type { ServiceContext } from './context.js';
import { canApply } from '../forge/forge.js';
import { COMMAND_HELP, type CommentCommand } from './commands.js';
import { prPlanJob } from './events.js';
import { oneComment, oneCommitComment } from './report.js';

/** A command commented on a pull request (`pr`), or on a commit pushed without one (`commit`, `pr` null). */
export interface CommandPayload {
  pr: number | null;
  commit?: string;
  commentId: number;
  user: string;
  command: CommentCommand;
}

/** Answer a `/driftless` comment command; every command gets a reply, where it was asked. */
export async function runCommand(ctx: ServiceContext, p: CommandPayload): Promise<Record<string, unknown>> {
  if (!ctx.forge) return { skipped: 'no forge' };
  const reply = async (text: string): Promise<void> => {
    const body = `> /driftless ${p.command.name === 'unknown' ? p.command.word : p.command.name}\n\n@${p.user}: ${text}`;
    await ctx.outbox.add([p.pr !== null ? oneComment(p.pr, `reply:${p.commentId}`, body) : oneCommitComment(p.commit!, `reply:${p.commentId}`, body)]);
    ctx.wake();
  };
  switch (p.command.name) {
    case 'help':
      await reply(`\n\n${COMMAND_HELP}`);
      return { answered: 'help' };
    case 'unknown':
      await reply(`\`${p.command.word}\` is not a driftless command.\n\n${COMMAND_HELP}`);
      return { answered: 'unknown' };
    case 'plan': {
      if (p.pr === null) {
        await reply('plans are made for pull requests. A held apply of this commit shows its plan above; `/driftless apply` applies it.');
        return { answered: 'plan', commit: true };
      }
      const pull = await ctx.forge.getPull(p.pr);
      if (pull.state === 'closed') {
        await reply('this pull request is closed; there is nothing to plan.');
        return { answered: 'plan', closed: true };
      }
      await ctx.queue.enqueue([prPlanJob(p.pr, pull.headSha, `/driftless plan by ${p.user}`, `pr-plan:${p.pr}:command:${p.commentId}`)]);
      await reply(`planning again at \`${pull.headSha.slice(0, 12)}\`; the plan comment will be updated.`);
      return { answered: 'plan' };
    }
    case 'apply': {
      const permission = await ctx.forge.permission(p.user);
      if (!canApply(permission)) {
        await reply(`applying needs write permission on the repository; you have \`${permission}\`. Nothing was applied.`);
        return { answered: 'apply', refused: permission };
      }
      const holds = p.pr !== null ? await ctx.records.holds(p.pr) : await ctx.records.holdsAt(p.commit!);
      if (!holds.length) {
        await reply(`nothing is waiting for an apply on this ${p.pr !== null ? 'pull request' : 'commit'}.`);
        return { answered: 'apply', holds: 0 };
      }
      const key = p.pr !== null ? `release:${p.commentId}` : `release-commit:${p.commentId}`;
      await ctx.queue.enqueue(
        holds.map((h) => ({
          kind: 'apply' as const,
          lane: `stack:${h.stack}`,
          dedupeKey: `apply:${h.stack}:${h.commit}:${key}`,
          supersede: true,
          payload: {
            stack: h.stack,
            commit: h.commit,
            pr: h.pr,
            mode: 'release',
            expectDigest: h.digest,
            actor: p.user,
            trigger: `/driftless apply by ${p.user}`,
          },
        })),
      );
      await reply(`applying ${holds.map((h) => `\`${h.stack}\` at \`${h.commit.slice(0, 12)}\``).join(', ')}; the result will be posted here.`);
      return { answered: 'apply', stacks: holds.map((h) => h.stack) };
    }
  }
}
