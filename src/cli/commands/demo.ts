import { resolve } from 'node:path';
import type { Flags } from '../args.js';
import { printDiagnostics, progressPrinter, useColor, type Io } from '../output.js';
import { ensureDemoRepo, demoConfig } from '../demo-setup.js';
import { Workspace } from '../../engine/workspace.js';
import { applyStack } from '../../engine/apply-stack.js';
import { listRuns } from '../../engine/status.js';
import { planAll } from '../../engine/plan-stacks.js';
import { renderText } from '../../plan/render/text.js';

/** One pass of the demo: make the demo repository, validate, plan, apply, print the history. */
export async function demoCommand(flags: Flags, io: Io): Promise<number> {
  const dataDir = resolve(flags['data-dir'] ?? '.driftless');
  const repo = await ensureDemoRepo(dataDir);
  if (repo.created) io.out.write(`Created the demo manifest repository at ${repo.path}\n`);
  const config = { ...demoConfig(dataDir, repo.path), dataDirLock: { breakLock: !!flags['break-lock'] } };
  const ws = await Workspace.open(config, 'demo');
  const color = useColor(io, flags['no-color']);
  let code = 0;
  try {
    const commit = await ws.resolve();
    const planned = await planAll(ws, commit);
    const diagnostics = [...planned.diagnostics, ...planned.stacks.flatMap((s) => s.diagnostics)];
    if (diagnostics.length) {
      printDiagnostics(io, diagnostics);
      return 1;
    }
    io.out.write(`Manifests valid at ${commit.slice(0, 12)}: stacks ${planned.stacks.map((s) => s.stack).join(', ')}.\n\n`);
    for (const s of planned.stacks) {
      // The plan is printed before anything changes: the gate sees it first.
      const r = await applyStack(ws, {
        commit,
        stack: s.stack,
        trigger: 'demo',
        onProgress: progressPrinter(io),
        gate: (plan) => {
          io.out.write(renderText(plan, { color }));
          return { proceed: true };
        },
      });
      if (r.diagnostics.length) {
        printDiagnostics(io, r.diagnostics);
        code = 1;
        continue;
      }
      if (r.refused) {
        io.out.write(`not applied: ${r.refused}\n\n`);
        code = 1;
      } else io.out.write(`Applied: ${r.result!.outcome} (run ${r.result!.runId}).\n\n`);
    }
    io.out.write(`Files are under ${config.targets['demo-files'].root as string}\nHistory:\n`);
    const runs = await listRuns(ws, { limit: 10 });
    for (const r of runs)
      io.out.write(`  #${r.id} ${r.startedAt.slice(0, 19)}Z ${r.stack} ${r.kind} ${r.outcome} ${r.commit?.slice(0, 12) ?? ''} (${r.trigger})\n`);
  } finally {
    await ws.close();
  }
  return code;
}
