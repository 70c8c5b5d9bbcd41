import type { Flags } from '../args.js';
import { printDiagnostics, useColor, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { driftStack } from '../../engine/drift-stack.js';
import { renderText } from '../../plan/render/text.js';
import { formatDiffLine } from '../../plan/render/values.js';
import { formatDiagnostic, type Diagnostic } from '../../manifests/diagnostics.js';
import type { AcknowledgedDrift } from '../../plan/acks.js';
import { acknowledgedLine, lapsedLine } from '../../forge/messages.js';

export async function driftCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'drift');
  try {
    const commit = await ws.resolve(flags.ref);
    const at = await ws.repoAt(commit);
    const stacks = at.repoConfig ? ws.selectStacks(at.repoConfig, flags.stack) : flags.stack ? [flags.stack] : [];
    let drifted = false;
    let failed = false;
    const json: unknown[] = [];
    const ackProblems = new Map<string, Diagnostic>();
    for (const stack of stacks) {
      // The acks of the commit asked for (the tracked branch's head by default) count: they are reviewed like code.
      const r = await driftStack(ws, stack, { remediate: flags.remediate, trigger: 'cli', acksCommit: commit });
      if (r.diagnostics.length) {
        printDiagnostics(io, r.diagnostics);
        failed = true;
        continue;
      }
      for (const d of r.ackDiagnostics ?? []) if (!ackProblems.has(formatDiagnostic(d))) ackProblems.set(formatDiagnostic(d), d);
      const drift = r.plan?.drift ?? [];
      const acknowledged = r.acknowledged ?? [];
      const lapsed = r.lapsed ?? [];
      json.push({ stack, appliedCommit: r.plan?.commit ?? null, checked: r.checked?.read ?? 0, drift, acknowledged, lapsed });
      if (!r.plan) {
        if (flags.format !== 'json') io.out.write(`${stack}: never applied; nothing to compare.\n`);
        continue;
      }
      if (drift.length === 0) {
        if (flags.format !== 'json') {
          if (acknowledged.length === 0) io.out.write(`${stack}: no drift (${matching(r.checked)}).\n`);
          else {
            io.out.write(`${stack}: no drift but acknowledged drift in ${resources(acknowledged.length)}:\n`);
            writeAcknowledged(io, acknowledged);
          }
        }
        continue;
      }
      drifted = true;
      if (flags.format !== 'json') {
        io.out.write(`${stack}: drift in ${resources(drift.length)}:\n`);
        for (const l of lapsed) io.out.write(`  ! ${lapsedLine(l)}\n`);
        for (const d of drift) {
          io.out.write(`  ~ ${d.id}${d.gone ? ' (deleted outside driftless)' : ''}\n`);
          for (const e of d.diff) io.out.write(`      ${formatDiffLine(e).text}\n`);
        }
        if (acknowledged.length) {
          io.out.write(`  acknowledged (not remediated):\n`);
          writeAcknowledged(io, acknowledged);
        }
        if (r.notRemediated?.length) io.out.write(`  not remediated (they also have acknowledged drift): ${r.notRemediated.join(', ')}\n`);
        if (r.remediation) {
          const rem = r.remediation;
          if (rem.refused) io.out.write(`  remediation not applied: ${rem.refused}\n`);
          else if (rem.result) io.out.write(`  remediated: apply ${rem.result.outcome} (run ${rem.result.runId})\n`);
        } else {
          io.out.write(
            renderText(r.plan, { color: useColor(io, flags['no-color']) })
              .split('\n')
              .filter((l) => l.startsWith('Plan:'))
              .map((l) => `  to repair: ${l}\n`)
              .join(''),
          );
        }
      }
    }
    // Problems of the acks file are shown, but do not fail a drift check: its valid acks still count.
    for (const d of ackProblems.values()) io.err.write(`warning: ${formatDiagnostic(d)}\n`);
    if (flags.format === 'json') io.out.write(JSON.stringify({ stacks: json }, null, 2) + '\n');
    return failed ? 1 : drifted ? 2 : 0;
  } finally {
    await ws.close();
  }
}

function resources(n: number): string {
  return `${n} resource${n === 1 ? '' : 's'}`;
}

/** Acknowledged drift, one line per resource: what, and by whom until when. */
function writeAcknowledged(io: Io, acknowledged: AcknowledgedDrift[]): void {
  for (const a of acknowledged) io.out.write(`  = ${acknowledgedLine(a)}\n`);
}

/** "120 resources match what was applied", and how many could not be read. */
function matching(checked: { read: number; unread: number } | undefined): string {
  const { read, unread } = checked ?? { read: 0, unread: 0 };
  const text = `${read} resource${read === 1 ? '' : 's'} match${read === 1 ? 'es' : ''} what was applied`;
  return unread ? `${text}; ${unread} could not be read: no target for them in this stack now` : text;
}
