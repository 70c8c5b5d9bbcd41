import { commitFiles, commitFilesToBranch } from '../git/commit-files.js';
import type { Diagnostic } from '../manifests/diagnostics.js';
import { adoptDrift, adoptMessage, type AdoptResource, type AdoptResult } from '../plan/adopt.js';
import type { DriftEntry } from '../plan/model.js';
import { driftStack } from './drift-stack.js';
import type { Workspace } from './workspace.js';

/** The verb `adopt`: write a stack's drift back into its manifests, as a commit on a new branch. */

export interface AdoptOutcome {
  stack: string;
  diagnostics: Diagnostic[];
  /** Why there is nothing to adopt (never applied, no drift, no drift in the resource asked for). */
  nothing?: string;
  /** The commit the branch starts from (the tracked branch's head, or --ref). */
  base?: string;
  drift?: DriftEntry[];
  result?: AdoptResult;
  /** Set when a commit was made. */
  branch?: string;
  commit?: string;
  message?: string;
}

/**
 * Refresh the stack's live state (the drift check, recorded as a run), then edit the manifests as
 * they are at `ref` (default the tracked branch) so that they say what is live, and commit the edit
 * on a new branch without touching any work tree. A pull request of that branch adopts the drift.
 */
export async function adoptStack(
  ws: Workspace,
  stack: string,
  opts: {
    ref?: string;
    resource?: string;
    branch?: string;
    trigger?: string;
    /** false: make the commit only; the caller publishes it (the service pushes the branch to the remote). */
    createBranch?: boolean;
  } = {},
): Promise<AdoptOutcome> {
  const base = await ws.resolve(opts.ref);
  const at = await ws.repoAt(base);
  if (!at.repoConfig) return { stack, diagnostics: at.diagnostics };
  ws.selectStacks(at.repoConfig, stack);
  const d = await driftStack(ws, stack, { trigger: opts.trigger ?? 'adopt' });
  if (d.diagnostics.length) return { stack, diagnostics: d.diagnostics };
  if (!d.plan) return { stack, diagnostics: [], nothing: `${stack} was never applied; there is no drift to adopt` };
  let drift = d.plan.drift;
  if (opts.resource) {
    drift = drift.filter((x) => x.id === opts.resource);
    if (drift.length === 0) return { stack, diagnostics: [], base, drift, nothing: `no drift in ${opts.resource}` };
  }
  if (drift.length === 0) return { stack, diagnostics: [], base, drift, nothing: `no drift in stack ${stack}` };

  const inputs = await ws.stackInputs(base, at.repoConfig, at.registry, stack);
  if (inputs.diagnostics.length || !inputs.desired) return { stack, diagnostics: inputs.diagnostics };
  const resources = new Map<string, AdoptResource>();
  const files = new Map<string, string>();
  for (const [id, r] of inputs.desired.resources) {
    resources.set(id, { id, spec: r.spec, loc: r.loc, sensitive: r.sensitive });
    if (drift.some((x) => x.id === id) && !files.has(r.loc.file)) {
      const f = await ws.repo.readFileAt(base, r.loc.file);
      if (f) files.set(r.loc.file, f.content.toString('utf8'));
    }
  }
  const result = adoptDrift({ drift, resources, files });
  if (result.files.size === 0) return { stack, diagnostics: [], base, drift, result, nothing: 'nothing can be written back' };
  const message = adoptMessage(stack, d.plan.appliedCommit, result);
  const branch = opts.branch ?? adoptBranch(stack, base);
  const request = { parent: base, files: result.files, message };
  const commit = opts.createBranch === false ? await commitFiles(ws.repo, request) : await commitFilesToBranch(ws.repo, { ...request, branch });
  return { stack, diagnostics: [], base, drift, result, branch, commit, message };
}

/** The branch an adoption of `stack`'s drift on top of `base` is proposed on. */
export function adoptBranch(stack: string, base: string): string {
  return `driftless/adopt-${stack.replace(/[^A-Za-z0-9._-]+/g, '-')}-${base.slice(0, 7)}`;
}
