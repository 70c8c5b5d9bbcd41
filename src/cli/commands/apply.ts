import { readFileSync } from 'node:fs';
import { rolloutLines } from '../../plan/rollout.js';
import type { Flags } from '../args.js';
import { applyProgress, printDiagnostics, useColor, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { applyStack, type ApplyOutcome } from '../../engine/apply-stack.js';
import { applyWorkflow } from '../../engine/apply-workflow.js';
import { renderText } from '../../plan/render/text.js';
import { readPlanFile } from './plan.js';

export async function applyCommand(flags: Flags, io: Io): Promise<number> {
  if (!flags.plan && !flags['auto-approve'] && !io.stdinIsTTY) {
    io.err.write('error: apply needs confirmation: run it on a terminal, or pass --auto-approve, or apply a saved plan with --plan FILE\n');
    return 1;
  }
  const { ws } = await openWorkspace(flags, io, 'apply');
  try {
    const color = useColor(io, flags['no-color']);
    // A bar on a terminal (done / total, current resources, elapsed), plain lines otherwise.
    const progress = applyProgress(io);
    const common = {
      refresh: !flags['no-refresh'],
      allowDeleteAll: flags['allow-delete-all'],
      actor: io.env.USER ?? null,
      onProgress: progress.onProgress,
    };
    const saved = flags.plan ? readPlanFile(readFileSync(flags.plan, 'utf8'), flags.plan) : undefined;
    if (saved) {
      if (ws.repo instanceof (await import('../../git/mirror.js')).Mirror) await ws.resolve(undefined, true);
      for (const p of saved.plans) {
        if (p.repo !== ws.repoName) throw new Error(`the plan in ${flags.plan} is for repository ${p.repo}, not ${ws.repoName}`);
      }
    }
    if (saved && !saved.workflow) {
      // One stack's saved plan: applied only while its digest and state serial still match.
      let code = 0;
      for (const p of saved.plans.filter((x) => !flags.stack || x.stack === flags.stack)) {
        const r = await applyStack(ws, {
          ...common,
          commit: p.commit,
          stack: p.stack,
          expectDigest: p.digest,
          expectSerial: p.stateSerial,
          trigger: 'cli (plan file)',
        }).finally(progress.end);
        code = Math.max(code, report(io, p.stack, r, color, true));
      }
      return code;
    }
    // A workflow: every stack (or the one asked for), in dependency order.
    const commit = saved ? saved.plans[0].commit : await ws.resolve(flags.ref);
    const r = await applyWorkflow(ws, {
      ...common,
      commit,
      stacks: saved ? saved.workflow!.stacks : flags.stack ? [flags.stack] : undefined,
      expectWorkflowDigest: saved?.workflow?.digest,
      trigger: saved ? 'cli (plan file)' : 'cli',
      stackParallelism: 2,
      confirm:
        flags['auto-approve'] || saved
          ? undefined
          : async (plans) => {
              io.out.write(plans.map((plan) => renderText(plan, { color })).join('\n'));
              const which = plans.length === 1 ? `stack ${plans[0].stack}` : `stacks ${plans.map((p) => p.stack).join(', ')} (in this order)`;
              const answer = await io.ask(`\nApply these changes to ${which}? Only "yes" is accepted: `);
              return answer.trim() === 'yes';
            },
    }).finally(progress.end);
    if (r.diagnostics.length) {
      printDiagnostics(io, r.diagnostics);
      return 1;
    }
    if (r.refused) {
      io.err.write(`not applied: ${r.refused}\n`);
      return 1;
    }
    let code = 0;
    for (const s of r.stacks) {
      if (s.apply) code = Math.max(code, report(io, s.stack, s.apply, color, flags['auto-approve'] || !!saved));
      else if (s.status === 'skipped') {
        io.err.write(`${s.stack}: not applied: ${s.message}\n`);
        code = 1;
      } else if (s.status === 'refused') {
        io.err.write(`${s.stack}: not applied: ${s.message}\n`);
        code = 1;
      }
    }
    if (r.stacks.length > 1) {
      io.out.write(`\nWorkflow: ${r.stacks.map((s) => `${s.stack} ${s.status}`).join(', ')}${r.stoppedBy ? `; stopped by ${r.stoppedBy}` : ''}.\n`);
    }
    return code;
  } finally {
    await ws.close();
  }
}

/** Print one stack's apply; its exit code. */
function report(io: Io, stack: string, r: ApplyOutcome, color: boolean, showPlan: boolean): number {
  if (r.diagnostics.length) {
    printDiagnostics(io, r.diagnostics);
    return 1;
  }
  for (const n of r.recovered) io.err.write(`recovered: ${n}\n`);
  if (r.refused) {
    if (r.plan && r.refused !== 'cancelled') io.out.write(renderText(r.plan, { color }));
    io.err.write(`${stack}: not applied: ${r.refused}\n`);
    return 1;
  }
  const res = r.result!;
  if (showPlan) io.out.write(renderText(r.plan!, { color }));
  const ok = res.results.filter((x) => x.outcome === 'ok').length;
  const failed = res.results.filter((x) => x.outcome === 'failed');
  const skipped = res.results.filter((x) => x.outcome === 'skipped').length;
  io.out.write(`\nApply ${res.outcome} for stack ${stack} (run ${res.runId}): ${ok} done, ${failed.length} failed, ${skipped} skipped.\n`);
  for (const f of failed) io.out.write(`  ! ${f.id}: ${f.error}\n`);
  if (res.rollout)
    io.out.write(
      `Rollout:\n${rolloutLines(res.rollout)
        .map((l) => `  ${l}\n`)
        .join('')}`,
    );
  return res.outcome !== 'succeeded' && res.outcome !== 'no-changes' ? 1 : 0;
}
