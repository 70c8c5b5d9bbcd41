import type { Flags } from '../args.js';
import { printDiagnostics, useColor, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { driftStack } from '../../engine/drift-stack.js';
import { renderText } from '../../plan/render/text.js';
import { formatDiffLine } from '../../plan/render/values.js';

export async function driftCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'drift');
  try {
    const commit = await ws.resolve(flags.ref);
    const at = await ws.repoAt(commit);
    const stacks = at.repoConfig ? ws.selectStacks(at.repoConfig, flags.stack) : flags.stack ? [flags.stack] : [];
    let drifted = false;
    let failed = false;
    const json: unknown[] = [];
    for (const stack of stacks) {
      const r = await driftStack(ws, stack, { remediate: flags.remediate, trigger: 'cli' });
      if (r.diagnostics.length) {
        printDiagnostics(io, r.diagnostics);
        failed = true;
        continue;
      }
      const drift = r.plan?.drift ?? [];
      json.push({ stack, appliedCommit: r.plan?.commit ?? null, checked: r.checked?.read ?? 0, drift });
      if (!r.plan) {
        if (flags.format !== 'json') io.out.write(`${stack}: never applied; nothing to compare.\n`);
        continue;
      }
      if (drift.length === 0) {
        if (flags.format !== 'json') io.out.write(`${stack}: no drift (${matching(r.checked)}).\n`);
        continue;
      }
      drifted = true;
      if (flags.format !== 'json') {
        io.out.write(`${stack}: drift in ${drift.length} resource${drift.length === 1 ? '' : 's'}:\n`);
        for (const d of drift) {
          io.out.write(`  ~ ${d.id}${d.gone ? ' (deleted outside driftless)' : ''}\n`);
          for (const e of d.diff) io.out.write(`      ${formatDiffLine(e).text}\n`);
        }
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
    if (flags.format === 'json') io.out.write(JSON.stringify({ stacks: json }, null, 2) + '\n');
    return failed ? 1 : drifted ? 2 : 0;
  } finally {
    await ws.close();
  }
}

/** "120 resources match what was applied", and how many could not be read. */
function matching(checked: { read: number; unread: number } | undefined): string {
  const { read, unread } = checked ?? { read: 0, unread: 0 };
  const text = `${read} resource${read === 1 ? '' : 's'} match${read === 1 ? 'es' : ''} what was applied`;
  return unread ? `${text}; ${unread} could not be read: no target for them in this stack now` : text;
}
