import { adoptStack } from '../../engine/adopt-stack.js';
import { formatDiagnostic } from '../../manifests/diagnostics.js';
import { LockedError } from '../../state/store.js';
import type { ServiceContext } from '../context.js';
import { done, prPlanJob, requeue, type CommandPayload, type JobResult } from './specs.js';

/**
 * `/driftless adopt [RESOURCE]` on a drift issue: refresh the stack, write the live values back into
 * its manifests on a branch of its own, push it, and open a pull request of it. The pull request is
 * planned like any other; once merged, the next plan is empty and the drift issue closes.
 */
export async function runAdoptCommand(ctx: ServiceContext, p: CommandPayload, reply: (text: string) => Promise<void>): Promise<JobResult> {
  if (p.command.name !== 'adopt' || !ctx.forge) return done({ skipped: 'not an adopt' });
  const forge = ctx.forge;
  if (p.issue === undefined) {
    await reply('`/driftless adopt` is answered on a drift issue (the issue driftless opens for a stack whose live state drifted).');
    return done({ answered: 'adopt', notAnIssue: true });
  }
  const permission = await forge.applyPermission(p.user);
  if (!permission.allowed) {
    await reply(`adopting drift needs write permission on the repository; you have \`${permission.role}\`. Nothing was opened.`);
    return done({ answered: 'adopt', refused: permission.role });
  }
  const stack = await ctx.records.stackOfDriftIssue(p.issue);
  if (!stack) {
    await reply('this is not an open drift issue of driftless; there is no drift here to adopt.');
    return done({ answered: 'adopt', driftIssue: false });
  }
  const resource = p.command.resource ?? undefined;
  let r: Awaited<ReturnType<typeof adoptStack>>;
  try {
    r = await adoptStack(ctx.ws, stack, { resource, createBranch: false, trigger: `/driftless adopt by ${p.user}` });
  } catch (err) {
    if (err instanceof LockedError) return requeue(err.message);
    throw err;
  }
  if (r.diagnostics.length) {
    const list = r.diagnostics.slice(0, 20).map((d) => `- ${formatDiagnostic(d)}`);
    await reply(`the manifests of stack \`${stack}\` on the branch head are invalid, so nothing was adopted:\n\n${list.join('\n')}`);
    return done({ answered: 'adopt', invalid: r.diagnostics.length });
  }
  if (!r.commit || !r.branch || !r.result || !r.message) {
    await reply(`nothing to adopt: ${r.nothing ?? 'no drift'}.${notAdoptedList(r.result?.notAdopted ?? [])}`);
    return done({ answered: 'adopt', nothing: r.nothing ?? true });
  }
  await ctx.ws.repo.publishBranch(r.branch, r.commit);
  const [title, ...rest] = r.message.trimEnd().split('\n');
  const body = [...rest, '', `Requested by @${p.user} on #${p.issue}.`].join('\n').trim();
  // Idempotent: a retried job finds the pull request it already opened for this branch.
  const pr = await forge.openChangeRequest({ head: r.branch, base: ctx.branch, title, body });
  await ctx.queue.enqueue([prPlanJob(pr.number, r.commit, `adopt opened by ${p.user}`)]);
  ctx.log.info(
    { stack, pr: pr.number, adopted: r.result.adopted.length, notAdopted: r.result.notAdopted.length },
    `drift of stack ${stack} adopted as #${pr.number}`,
  );
  const n = r.result.adopted.length;
  await reply(
    `opened #${pr.number} (${pr.url}): it writes ${n} live value${n === 1 ? '' : 's'} of stack \`${stack}\` back into ${[...r.result.files.keys()].map((f) => `\`${f}\``).join(', ')}. Once it is merged, the next plan is empty and this issue closes.${notAdoptedList(r.result.notAdopted)}`,
  );
  ctx.wake();
  return done({ answered: 'adopt', pr: pr.number, adopted: n });
}

function notAdoptedList(list: { id: string; path?: string; at?: string; reason: string }[]): string {
  if (!list.length) return '';
  return `\n\nNot written back (change these by hand, or apply to restore them):\n\n${list
    .map((x) => `- \`${x.id}\`${x.path ? ` \`${x.path}\`` : ''}${x.at ? ` (${x.at})` : ''}: ${x.reason}`)
    .join('\n')}`;
}
