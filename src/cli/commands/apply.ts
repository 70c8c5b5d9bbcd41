import { readFileSync } from 'node:fs';
import type { Flags } from '../args.js';
import { applyProgress, printDiagnostics, useColor, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { applyStack } from '../../engine/apply-stack.js';
import { renderText } from '../../plan/render/text.js';
import { readPlans } from './plan.js';

export async function applyCommand(flags: Flags, io: Io): Promise<number> {
  if (!flags.plan && !flags['auto-approve'] && !io.stdinIsTTY) {
    io.err.write('error: apply needs confirmation: run it on a terminal, or pass --auto-approve, or apply a saved plan with --plan FILE\n');
    return 1;
  }
  const { ws } = await openWorkspace(flags, io, 'apply');
  try {
    const color = useColor(io, flags['no-color']);
    let jobs: { stack: string; commit: string; digest?: string; serial?: number }[];
    if (flags.plan) {
      const plans = readPlans(readFileSync(flags.plan, 'utf8'), flags.plan);
      if (ws.repo instanceof (await import('../../git/mirror.js')).Mirror) await ws.resolve(undefined, true);
      jobs = plans
        .filter((p) => !flags.stack || p.stack === flags.stack)
        .map((p) => ({ stack: p.stack, commit: p.commit, digest: p.digest, serial: p.stateSerial }));
      for (const p of plans) {
        if (p.repo !== ws.repoName) throw new Error(`the plan in ${flags.plan} is for repository ${p.repo}, not ${ws.repoName}`);
      }
    } else {
      const commit = await ws.resolve(flags.ref);
      const at = await ws.repoAt(commit);
      if (!at.repoConfig || at.diagnostics.length) {
        printDiagnostics(io, at.diagnostics);
        return 1;
      }
      jobs = ws.selectStacks(at.repoConfig, flags.stack).map((stack) => ({ stack, commit }));
    }
    let code = 0;
    for (const job of jobs) {
      const progress = applyProgress(io);
      const r = await applyStack(ws, {
        commit: job.commit,
        stack: job.stack,
        expectDigest: job.digest,
        expectSerial: job.serial,
        refresh: !flags['no-refresh'],
        allowDeleteAll: flags['allow-delete-all'],
        trigger: flags.plan ? `cli (plan file)` : 'cli',
        actor: io.env.USER ?? null,
        onProgress: progress.onProgress,
        confirm:
          flags['auto-approve'] || flags.plan
            ? undefined
            : async (plan) => {
                io.out.write(renderText(plan, { color }));
                const answer = await io.ask(`\nApply these changes to stack ${plan.stack}? Only "yes" is accepted: `);
                return answer.trim() === 'yes';
              },
      }).finally(progress.end);
      if (r.diagnostics.length) {
        printDiagnostics(io, r.diagnostics);
        code = 1;
        continue;
      }
      for (const n of r.recovered) io.err.write(`recovered: ${n}\n`);
      if (r.refused) {
        if (r.plan && r.refused !== 'cancelled') io.out.write(renderText(r.plan, { color }));
        io.err.write(`${job.stack}: not applied: ${r.refused}\n`);
        code = 1;
        continue;
      }
      const res = r.result!;
      if (flags['auto-approve'] || flags.plan) io.out.write(renderText(r.plan!, { color }));
      const ok = res.results.filter((x) => x.outcome === 'ok').length;
      const failed = res.results.filter((x) => x.outcome === 'failed');
      const skipped = res.results.filter((x) => x.outcome === 'skipped').length;
      io.out.write(`\nApply ${res.outcome} for stack ${job.stack} (run ${res.runId}): ${ok} done, ${failed.length} failed, ${skipped} skipped.\n`);
      for (const f of failed) io.out.write(`  ! ${f.id}: ${f.error}\n`);
      if (res.outcome !== 'succeeded' && res.outcome !== 'no-changes') code = 1;
    }
    return code;
  } finally {
    await ws.close();
  }
}
