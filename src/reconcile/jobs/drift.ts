import { driftStack } from '../../engine/drift-stack.js';
import { done, driftJob, requeue, type DriftPayload, type JobResult } from './specs.js';
import { ancestors, declaredStackGraph } from '../../manifests/stack-deps.js';
import { allOutputsChange, usesChangedOutputs } from '../../plan/workflow.js';
import { summaryLine } from '../../plan/model.js';
import type { ServiceContext } from '../context.js';
import { driftEntry, driftGoneEntry } from '../report.js';
import { LockedError } from '../../state/store.js';
import { formatDiagnostic } from '../../manifests/diagnostics.js';

/**
 * A stack's scheduled drift check: refresh the live state and compare it with what was applied.
 * Drift opens (or updates) one issue per stack; `remediate: true` re-applies the recorded desired
 * state and says so; when the drift is gone the issue is closed.
 */
export async function runDrift(ctx: ServiceContext, p: DriftPayload): Promise<JobResult> {
  const head = await ctx.ws.resolve(undefined, false);
  const at = await ctx.ws.repoAt(head);
  const cfg = at.repoConfig?.stacks[p.stack];
  if (!cfg) return done({ skipped: `no stack ${p.stack}` });
  let outcome: Awaited<ReturnType<typeof driftStack>>;
  try {
    // The acks merged into the tracked branch count (they are reviewed like code).
    outcome = await driftStack(ctx.ws, p.stack, {
      remediate: cfg.drift?.remediate ?? false,
      trigger: 'drift schedule',
      acksCommit: head,
      now: ctx.now?.(),
    });
  } catch (err) {
    if (err instanceof LockedError) return requeue(err.message);
    throw err;
  }
  const drifted = outcome.plan?.drift.length ?? 0;
  const rem = outcome.remediation?.result;
  const repaired = !!rem && (rem.outcome === 'succeeded' || rem.outcome === 'no-changes');
  if (outcome.plan) await ctx.observe.recordDriftCheck(p.stack, repaired ? 0 : drifted, outcome.runId ?? rem?.runId ?? null);
  const acknowledged = outcome.acknowledged ?? [];
  if (outcome.ackDiagnostics?.length)
    ctx.log.warn({ stack: p.stack, problems: outcome.ackDiagnostics.map(formatDiagnostic) }, 'problems in .driftless/acks.yaml');
  const open = await ctx.records.driftIssue(p.stack);
  if (drifted && outcome.plan) {
    const rem = outcome.remediation;
    const text = rem
      ? rem.result
        ? `driftless remediated the drift (\`drift.remediate: true\`): run #${rem.result.runId}, ${rem.result.outcome}. ${summaryLine(rem.result.summary)}`
        : `Remediation was not applied: ${rem.refused ?? 'unknown reason'}`
      : outcome.notRemediated?.length
        ? 'driftless did not remediate (`drift.remediate: true`): every resource that drifted outside its acknowledgements also has acknowledged drift.'
        : null;
    const fixed = rem?.result && (rem.result.outcome === 'succeeded' || rem.result.outcome === 'no-changes');
    if (fixed && rem!.result!.results.length) await replanDependents(ctx, head, p.stack, rem!.result!);
    if (ctx.forge) {
      await ctx.outbox.add([driftEntry(p.stack, outcome.plan, text, outcome)]);
      ctx.wake();
    }
    ctx.log.warn({ stack: p.stack, drifted, remediated: !!fixed, lapsed: outcome.lapsed?.length ?? 0 }, `drift in stack ${p.stack}`);
    return done({ drifted, remediated: !!fixed, acknowledged: acknowledged.length });
  }
  if (open !== null && ctx.forge && outcome.plan) {
    await ctx.outbox.add([driftGoneEntry(p.stack, acknowledged)]);
    ctx.wake();
  }
  return done({ drifted: 0, acknowledged: acknowledged.length });
}

/**
 * A drift repair rewrote resources of a stack: the stacks after it that use outputs of those
 * resources are checked (planned against the repaired outputs) at once, on their own drift job.
 */
async function replanDependents(
  ctx: ServiceContext,
  head: string,
  stack: string,
  run: { runId: number; results: { id: string; outcome: string }[] },
): Promise<void> {
  const at = await ctx.ws.repoAt(head);
  if (!at.repoConfig) return;
  const graph = declaredStackGraph(at.repoConfig);
  const repaired = new Map([[stack, allOutputsChange(run.results.filter((r) => r.outcome === 'ok').map((r) => r.id))]]);
  const jobs = [];
  for (const s of graph.topologicalOrder() ?? []) {
    if (!ancestors(graph, s).includes(stack)) continue;
    const inputs = await ctx.ws.stackInputs(head, at.repoConfig, at.registry, s);
    if (inputs.desired && usesChangedOutputs(inputs.desired, repaired)) jobs.push(driftJob(s, `after-repair:${stack}:${run.runId}`));
  }
  if (!jobs.length) return;
  await ctx.queue.enqueue(jobs);
  ctx.log.info(
    { stack, run: run.runId, dependents: jobs.map((j) => (j.payload as { stack: string }).stack) },
    'checking the stacks that use the repaired outputs',
  );
  ctx.wake();
}
