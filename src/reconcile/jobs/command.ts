import type { ServiceContext } from '../context.js';
import { COMMAND_HELP } from '../../forge/commands.js';
import { applyJob, done, prPlanJob, type CommandPayload, type JobResult } from './specs.js';
import { oneComment, oneCommitComment } from '../report.js';
import { runRollbackCommand } from './rollback.js';
import { runAdoptCommand } from './adopt.js';
import { runOverrideCommand } from './override.js';

/** Answer a `/driftless` comment command; every command gets a reply, where it was asked. */
export async function runCommand(ctx: ServiceContext, p: CommandPayload): Promise<JobResult> {
  if (!ctx.forge) return done({ skipped: 'no forge' });
  const reply = async (text: string): Promise<void> => {
    const body = `> /driftless ${p.command.name === 'unknown' ? p.command.word : p.command.name}\n\n@${p.user}: ${text}`;
    const on = p.pr ?? p.issue ?? null;
    await ctx.outbox.add([on !== null ? oneComment(on, `reply:${p.commentId}`, body) : oneCommitComment(p.commit!, `reply:${p.commentId}`, body)]);
    ctx.wake();
  };
  if (p.issue !== undefined && p.command.name !== 'adopt' && p.command.name !== 'help' && p.command.name !== 'unknown') {
    await reply(
      `\`/driftless ${p.command.name}\` is answered on a pull request or a commit; on a drift issue, \`/driftless adopt [RESOURCE]\` opens a pull request that adopts the drift.`,
    );
    return done({ answered: p.command.name, onIssue: true });
  }
  switch (p.command.name) {
    case 'help':
      await reply(`\n\n${COMMAND_HELP}`);
      return done({ answered: 'help' });
    case 'unknown':
      await reply(`\`${p.command.word}\` is not a driftless command.\n\n${COMMAND_HELP}`);
      return done({ answered: 'unknown' });
    case 'rollback':
      return runRollbackCommand(ctx, p, reply);
    case 'adopt':
      return runAdoptCommand(ctx, p, reply);
    case 'override':
      return runOverrideCommand(ctx, p, reply);
    case 'plan': {
      if (p.pr === null) {
        await reply('plans are made for pull requests. A held apply of this commit shows its plan above; `/driftless apply` applies it.');
        return done({ answered: 'plan', commit: true });
      }
      const pull = await ctx.forge.getPull(p.pr);
      if (pull.state === 'closed') {
        await reply('this pull request is closed; there is nothing to plan.');
        return done({ answered: 'plan', closed: true });
      }
      await ctx.queue.enqueue([prPlanJob(p.pr, pull.headSha, `/driftless plan by ${p.user}`, `pr-plan:${p.pr}:command:${p.commentId}`)]);
      await reply(`planning again at \`${pull.headSha.slice(0, 12)}\`; the plan comment will be updated.`);
      return done({ answered: 'plan' });
    }
    case 'apply': {
      const permission = await ctx.forge.applyPermission(p.user);
      if (!permission.allowed) {
        await reply(`applying needs write permission on the repository; you have \`${permission.role}\`. Nothing was applied.`);
        return done({ answered: 'apply', refused: permission.role });
      }
      const holds = p.pr !== null ? await ctx.records.holds(p.pr) : await ctx.records.holdsAt(p.commit!);
      if (!holds.length) {
        await reply(`nothing is waiting for an apply on this ${p.pr !== null ? 'pull request' : 'commit'}.`);
        return done({ answered: 'apply', holds: 0 });
      }
      const key = p.pr !== null ? `release:${p.commentId}` : `release-commit:${p.commentId}`;
      await ctx.queue.enqueue(
        holds.map((h) =>
          applyJob(
            {
              stack: h.stack,
              commit: h.commit,
              pr: h.pr,
              mode: 'release',
              expectDigest: h.digest,
              actor: p.user,
              trigger: `/driftless apply by ${p.user}`,
            },
            `apply:${h.stack}:${h.commit}:${key}`,
          ),
        ),
      );
      await reply(`applying ${holds.map((h) => `\`${h.stack}\` at \`${h.commit.slice(0, 12)}\``).join(', ')}; the result will be posted here.`);
      return done({ answered: 'apply', stacks: holds.map((h) => h.stack) });
    }
  }
}
