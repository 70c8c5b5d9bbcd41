import type { Flags } from '../args.js';
import { UsageError } from '../args.js';
import type { Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { proposeRollback } from '../../engine/rollback-stack.js';

/**
 * `driftless rollback --stack S --to REF`: a commit that puts the stack's manifests back as they
 * were at REF, on a branch of its own (`driftless/rollback-S-SHA`) on top of the tracked branch.
 * A local repository gets the branch in place; a remote one gets it pushed, and with a forge
 * configured, a pull request (which quarantines the stack once the service sees it).
 */
export async function rollbackCommand(flags: Flags, io: Io): Promise<number> {
  if (!flags.stack) throw new UsageError('rollback needs --stack NAME: the stack to roll back');
  if (!flags.to) throw new UsageError('rollback needs --to REF: the commit, tag or branch whose manifests the stack goes back to');
  const { config, ws } = await openWorkspace(flags, io, 'rollback');
  try {
    const p = await proposeRollback(ws, { stack: flags.stack, ref: flags.to, requestedBy: io.env.USER ?? null });
    await ws.repo.publishBranch(p.branch, p.commit);
    let pr: { number: number; url: string } | null = null;
    if (config.repo.url && config.github) {
      const [{ createForge }, { default: pino }] = await Promise.all([import('../../forge/registry.js'), import('pino')]);
      const forge = createForge(config, pino({ level: 'warn' }, io.err));
      pr = (await forge?.openChangeRequest({ head: p.branch, base: config.repo.branch, title: p.title, body: p.body })) ?? null;
    }
    if (flags.format === 'json') {
      io.out.write(`${JSON.stringify({ ...p, pr }, null, 2)}\n`);
      return 0;
    }
    io.out.write(`${p.title}\n`);
    io.out.write(`  commit ${p.commit} on branch ${p.branch}${config.repo.url ? ' (pushed)' : ''}\n`);
    io.out.write(`  undoes ${p.undoes.length} commit${p.undoes.length === 1 ? '' : 's'} that touched ${p.path}/:\n`);
    for (const u of p.undoes) io.out.write(`    ${u.sha.slice(0, 12)} ${u.subject}\n`);
    if (pr) io.out.write(`  opened pull request #${pr.number}: ${pr.url}\n  stack ${p.stack} is quarantined while it is open.\n`);
    else io.out.write(`  review and merge it like any other change (git log ${p.branch}; open a pull request from it).\n`);
    return 0;
  } finally {
    await ws.close();
  }
}
