import type { ServiceContext } from './context.js';
import { canApply } from '../forge/forge.js';
import { COMMAND_HELP, type CommentCommand } from './commands.js';
import { prPlanJob } from './events.js';
import { oneComment } from './report.js';

export interface CommandPayload {
  pr: number;
  commentId: number;
  user: string;
  command: CommentCommand;
}

/** Answer a `/driftless` comment command; every command gets a reply. */
export async function runCommand(ctx: ServiceContext, p: CommandPayload): Promise<Record<string, unknown>> {
  if (!ctx.forge) return { skipped: 'no forge' };
  const reply = async (text: string): Promise<void> => {
    await ctx.outbox.add([oneComment(p.pr, `reply:${p.commentId}`, `> /driftless ${p.command.name === 'unknown' ? p.command.word : p.command.name}\n\n@${p.user}: ${text}`)]);
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
      const holds = await ctx.records.holds(p.pr);
      if (!holds.length) {
        await reply('nothing is waiting for an apply on this pull request.');
        return { answered: 'apply', holds: 0 };
      }
      await ctx.queue.enqueue(holds.map((h) => ({
        kind: 'apply' as const, lane: `stack:${h.stack}`, dedupeKey: `apply:${h.stack}:${h.commit}:release:${p.commentId}`, supersede: true,
        payload: { stack: h.stack, commit: h.commit, pr: p.pr, mode: 'release', expectDigest: h.digest, actor: p.user, trigger: `/driftless apply by ${p.user}` },
      })));
      await reply(`applying ${holds.map((h) => `\`${h.stack}\` at \`${h.commit.slice(0, 12)}\``).join(', ')}; the result will be posted here.`);
      return { answered: 'apply', stacks: holds.map((h) => h.stack) };
    }
  }
}
