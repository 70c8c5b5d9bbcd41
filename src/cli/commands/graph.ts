import type { Flags } from '../args.js';
import { printDiagnostics, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { planAll } from '../../engine/plan-stacks.js';
import { changeGraph, changesOnly } from '../../plan/change-graph.js';
import { renderDot, renderMermaid } from '../../plan/render/mermaid.js';

/** `driftless graph`: the change graph of the workflow at a commit (all stacks, or one and those it depends on). */
export async function graphCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'graph');
  try {
    const commit = await ws.resolve(flags.ref);
    const r = await planAll(ws, commit, { stack: flags.stack, refresh: !flags['no-refresh'] });
    const diagnostics = [...r.diagnostics, ...r.stacks.flatMap((s) => s.diagnostics)];
    if (diagnostics.length) {
      printDiagnostics(io, diagnostics);
      return 1;
    }
    const stacks = r.stacks.flatMap((s) => (s.planned ? [{ name: s.stack, plan: s.planned.plan, desired: s.planned.desired }] : []));
    let g = changeGraph(stacks, r.workflow?.edges ?? []);
    if (flags['changes-only']) g = changesOnly(g);
    const format = flags.format ?? 'mermaid';
    if (format === 'json') io.out.write(JSON.stringify({ commit, ...g }, null, 2) + '\n');
    else if (format === 'dot') io.out.write(renderDot(g));
    else io.out.write(renderMermaid(g, { maxNodes: Number.POSITIVE_INFINITY, maxChars: Number.POSITIVE_INFINITY }));
    return 0;
  } finally {
    await ws.close();
  }
}
