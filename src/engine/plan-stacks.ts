import type { Diagnostic } from '../manifests/diagnostics.js';
import type { Workspace, StackPlanResult } from './workspace.js';

/** The verb `plan`: validate and plan every selected stack at one commit. */

export interface PlanAllResult {
  commit: string;
  /** Problems with driftless.yaml or repository schemas (no stack can be planned). */
  diagnostics: Diagnostic[];
  stacks: StackPlanResult[];
}

export interface PlanStacksOptions {
  stack?: string;
  stacks?: string[];
  /** Read live state (default); false compares with recorded state only (pull request plans). */
  refresh?: boolean;
  validateOnly?: boolean;
}

export async function planAll(ws: Workspace, commit: string, opts: PlanStacksOptions = {}): Promise<PlanAllResult> {
  const at = await ws.repoAt(commit);
  if (!at.repoConfig || at.diagnostics.length) return { commit, diagnostics: at.diagnostics, stacks: [] };
  const names = opts.stacks ?? ws.selectStacks(at.repoConfig, opts.stack);
  const stacks: StackPlanResult[] = [];
  for (const name of names) {
    if (!at.repoConfig.stacks[name]) continue;
    const inputs = await ws.stackInputs(commit, at.repoConfig, at.registry, name);
    if (opts.validateOnly) stacks.push({ stack: name, diagnostics: inputs.diagnostics });
    else stacks.push(await ws.planStack(inputs, { refresh: opts.refresh, readOnly: true })); // a plan only reads
  }
  return { commit, diagnostics: [], stacks };
}
