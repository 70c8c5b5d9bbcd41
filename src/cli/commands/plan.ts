import { writeFileSync } from 'node:fs';
import type { Flags } from '../args.js';
import { printDiagnostics, useColor, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { planAll, planOf } from '../../engine/plan-stacks.js';
import { renderText } from '../../plan/render/text.js';
import { renderMarkdown } from '../../plan/render/markdown.js';
import { renderJson } from '../../plan/render/json.js';
import type { Plan } from '../../plan/model.js';
import type { WorkflowSummary } from '../../plan/workflow.js';

export async function planCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'plan');
  ws.loader.keepStacks = false; // each stack is loaded once here
  try {
    const commit = await ws.resolve(flags.ref);
    const r = await planAll(ws, commit, { stack: flags.stack, refresh: !flags['no-refresh'], reuse: ws.reuse });
    const diagnostics = [...r.diagnostics, ...r.stacks.flatMap((s) => s.diagnostics)];
    printDiagnostics(io, diagnostics);
    const plans = r.stacks.flatMap((s) => planOf(s) ?? []);
    const format = flags.format ?? 'text';
    // One plan alone, or the workflow: its stacks in order, the edges between them, its digest, and their plans.
    const file = () => (plans.length === 1 ? renderJson(plans[0]) : JSON.stringify({ workflow: r.workflow, plans }, null, 2) + '\n');
    const order = plans.length > 1 ? `Workflow: ${plans.map((p) => p.stack).join(' -> ')}\n\n` : '';
    if (format === 'json')
      io.out.write(plans.length === 1 && flags.stack ? renderJson(plans[0]) : JSON.stringify({ workflow: r.workflow, plans }, null, 2) + '\n');
    else if (format === 'markdown') io.out.write(plans.map((p) => renderMarkdown(p)).join('\n'));
    else io.out.write(order + plans.map((p) => renderText(p, { color: useColor(io, flags['no-color']) })).join('\n'));
    if (flags.out) writeFileSync(flags.out, file());
    if (diagnostics.length || plans.some((p) => p.errors.length)) return 1;
    if (flags['detailed-exitcode'] && plans.some((p) => p.changes.length)) return 2;
    return 0;
  } finally {
    await ws.close();
  }
}

/** Read a plan file written by `plan --out`: one plan, or a workflow's `{ workflow, plans: [...] }`. */
export function readPlanFile(text: string, file: string): { plans: Plan[]; workflow?: WorkflowSummary } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not a plan file: ${(err as Error).message}`);
  }
  const list = (v && typeof v === 'object' && Array.isArray((v as { plans?: unknown }).plans) ? (v as { plans: unknown[] }).plans : [v]) as Plan[];
  for (const p of list) {
    if (p?.formatVersion !== 1 || typeof p.digest !== 'string' || typeof p.commit !== 'string' || typeof p.stack !== 'string') {
      throw new Error(`${file} is not a driftless plan (formatVersion 1 with stack, commit and digest)`);
    }
  }
  const workflow = (v as { workflow?: WorkflowSummary }).workflow;
  if (workflow !== undefined && (typeof workflow?.digest !== 'string' || !Array.isArray(workflow.stacks)))
    throw new Error(`${file} has a workflow section without stacks and digest`);
  return { plans: list, workflow };
}
