import type { Flags } from '../args.js';
import { printDiagnostics, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { adoptStack } from '../../engine/adopt-stack.js';

/**
 * `driftless adopt --stack S [--resource ID] [--branch NAME]`: refresh the stack, write its drift
 * back into the manifests and commit that on a new branch of the manifest repository (the work
 * tree, index and HEAD are left alone). Exit 0 with a branch, 0 when there is nothing to adopt,
 * 1 on error.
 */
export async function adoptCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'adopt');
  try {
    if (ws.config.repo.url)
      throw new Error('adopt writes a branch into a local manifest repository; give --repo PATH (a work tree or bare repository), not a URL');
    let stack = flags.stack;
    if (!stack) {
      const at = await ws.repoAt(await ws.resolve(flags.ref));
      const all = at.repoConfig ? Object.keys(at.repoConfig.stacks).sort() : [];
      if (all.length !== 1) throw new Error(`adopt needs --stack NAME${all.length ? ` (stacks: ${all.join(', ')})` : ''}`);
      stack = all[0];
    }
    const r = await adoptStack(ws, stack, { ref: flags.ref, resource: flags.resource, branch: flags.branch, trigger: 'cli adopt' });
    if (r.diagnostics.length) {
      printDiagnostics(io, r.diagnostics);
      return 1;
    }
    const notAdopted = r.result?.notAdopted ?? [];
    if (r.nothing) io.out.write(`${stack}: nothing to adopt: ${r.nothing}.\n`);
    if (r.branch && r.commit && r.result) {
      io.out.write(`${stack}: adopted drift on branch ${r.branch}\n`);
      io.out.write(`  commit ${r.commit} (on ${r.base!.slice(0, 12)})\n`);
      io.out.write(`  changed: ${[...r.result.files.keys()].join(', ')}\n`);
      for (const a of r.result.adopted) io.out.write(`  ~ ${a.id} ${a.path} = ${JSON.stringify(a.value)} (${a.file}:${a.line})\n`);
      io.out.write(`  open a pull request of ${r.branch}; once merged, the next plan is empty.\n`);
    }
    if (notAdopted.length) {
      io.out.write(`  not written back:\n`);
      for (const x of notAdopted) io.out.write(`  ! ${x.id}${x.path ? ` ${x.path}` : ''}${x.at ? ` (${x.at})` : ''}: ${x.reason}\n`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
