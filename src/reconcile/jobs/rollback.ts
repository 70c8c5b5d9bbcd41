import { affectedStacks } from '../../plan/affected.js';
import { firstParent } from '../../engine/changes.js';
import { proposeRollback, RollbackRefused } from '../../engine/rollback-stack.js';
import type { ServiceContext } from '../context.js';
import type { OutboxEntry } from '../durable/outbox.js';
import { done, prPlanJob, type CommandPayload, type JobResult } from './specs.js';

/** `/driftless rollback REF [STACK...]`: one rollback pull request per stack, each quarantining its stack while open. */

/** The git note on a rollback commit: `git log --notes=driftless` shows what it rolls back. */
export function rollbackNoteText(o: {
  stack: string;
  pr: number;
  target: string;
  undoes: { sha: string; subject: string }[];
  requestedBy: string | null;
}): string {
  return [
    `driftless: rollback of stack ${o.stack} to ${o.target}`,
    `pr: #${o.pr}`,
    `requested by: ${o.requestedBy ?? '-'}`,
    `rollback of: ${o.undoes.map((u) => u.sha).join(' ') || '-'}`,
    ...o.undoes.map((u) => `  ${u.sha.slice(0, 12)} ${u.subject}`),
  ].join('\n');
}

export function rollbackNoteEntry(o: {
  stack: string;
  pr: number;
  commit: string;
  target: string;
  undoes: { sha: string; subject: string }[];
  requestedBy: string | null;
}): OutboxEntry {
  return {
    op: { type: 'git-note', commit: o.commit, text: rollbackNoteText(o), marker: `driftless: rollback of stack ${o.stack} to ${o.target}` },
    dedupeKey: `note:rollback:${o.pr}`,
  };
}

/** The stacks a pull request (its merge, or its head against the branch) or a commit changed, at the branch head's config. */
async function stacksChangedBy(ctx: ServiceContext, p: CommandPayload): Promise<string[]> {
  let commit = p.commit ?? null;
  let base: string | null = null;
  if (p.pr !== null) {
    const pull = await ctx.forge!.getPull(p.pr);
    if (pull.merged && pull.mergeCommitSha) commit = pull.mergeCommitSha;
    else {
      commit = await ctx.ws.repo.fetchChangeRef(ctx.forge!.changeRefs(p.pr).head).catch(() => pull.headSha);
      base = await ctx.ws.repo.mergeBase(await ctx.ws.resolve(undefined, false), commit);
    }
  }
  if (!commit) return [];
  base ??= await firstParent(ctx.ws, commit);
  const head = await ctx.ws.resolve();
  const at = await ctx.ws.repoAt(head);
  if (!at.repoConfig) return [];
  return affectedStacks(at.repoConfig, await ctx.ws.repo.changedPaths(base, commit));
}

export async function runRollbackCommand(ctx: ServiceContext, p: CommandPayload, reply: (text: string) => Promise<void>): Promise<JobResult> {
  if (p.command.name !== 'rollback' || !ctx.forge) return done({ skipped: 'not a rollback' });
  const forge = ctx.forge;
  const permission = await forge.applyPermission(p.user);
  if (!permission.allowed) {
    await reply(`a rollback needs write permission on the repository; you have \`${permission.role}\`. Nothing was opened.`);
    return done({ answered: 'rollback', refused: permission.role });
  }
  const { ref } = p.command;
  if (!ref) {
    await reply('say where to roll back to: `/driftless rollback REF [STACK...]` (REF: a commit, tag or branch on the tracked branch).');
    return done({ answered: 'rollback', usage: true });
  }
  const stacks = p.command.stacks.length ? p.command.stacks : await stacksChangedBy(ctx, p);
  if (!stacks.length) {
    await reply(`this ${p.pr !== null ? 'pull request' : 'commit'} changed no stack: name the stacks, \`/driftless rollback ${ref} STACK...\`.`);
    return done({ answered: 'rollback', stacks: 0 });
  }
  const lines: string[] = [];
  const opened: number[] = [];
  for (const stack of stacks) {
    const open = (await ctx.records.openRollbacks(stack))[0];
    if (open) {
      lines.push(`- \`${stack}\`: rollback #${open.pr} is already open (the stack is quarantined until it is merged or closed).`);
      continue;
    }
    let proposal: Awaited<ReturnType<typeof proposeRollback>>;
    try {
      proposal = await proposeRollback(ctx.ws, { stack, ref, requestedBy: p.user });
    } catch (err) {
      if (!(err instanceof RollbackRefused)) throw err;
      lines.push(`- \`${stack}\`: not rolled back: ${err.message}.`);
      continue;
    }
    await ctx.ws.repo.publishBranch(proposal.branch, proposal.commit);
    const pr = await forge.openChangeRequest({ head: proposal.branch, base: ctx.branch, title: proposal.title, body: proposal.body });
    const record = {
      pr: pr.number,
      stack,
      branch: proposal.branch,
      commit: proposal.commit,
      target: proposal.target,
      undoes: proposal.undoes,
      requestedBy: p.user,
    };
    await ctx.records.addRollback(record);
    await ctx.outbox.add([rollbackNoteEntry(record)]);
    await ctx.queue.enqueue([prPlanJob(pr.number, proposal.commit, `rollback opened by ${p.user}`)]);
    ctx.log.info(
      { stack, pr: pr.number, target: proposal.target, undoes: proposal.undoes.length },
      `rollback of stack ${stack} opened as #${pr.number}; stack quarantined`,
    );
    opened.push(pr.number);
    const n = proposal.undoes.length;
    lines.push(
      `- \`${stack}\`: opened #${pr.number} (${pr.url}), back to \`${proposal.target.slice(0, 12)}\`, undoing ${n} commit${n === 1 ? '' : 's'}. The stack is quarantined until it is merged or closed.`,
    );
  }
  await reply(`rollback to \`${ref}\`:\n\n${lines.join('\n')}`);
  ctx.wake();
  return done({ answered: 'rollback', opened });
}
