import type { Flags } from '../args.js';
import { printDiagnostics, type Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { planAll } from '../../engine/plan-stacks.js';
import { ackDiagnostics } from '../../engine/acks.js';
import { policyDiagnostics } from '../../engine/policies.js';

export async function validateCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'validate');
  try {
    const commit = await ws.resolve(flags.ref);
    const r = await planAll(ws, commit, { stack: flags.stack, validateOnly: true });
    const diagnostics = [...r.diagnostics, ...r.stacks.flatMap((s) => s.diagnostics)];
    // .driftless/acks.yaml is checked with the rest (its problems never block a stack's plan or apply).
    const at = await ws.repoAt(commit);
    if (at.repoConfig && at.diagnostics.length === 0) diagnostics.push(...(await ackDiagnostics(ws, commit, at.repoConfig, at.registry, new Date())));
    // Policies: a schema problem, a CEL syntax error or an unknown input field, at its line.
    diagnostics.push(...(await policyDiagnostics(ws, commit)));
    if (flags.format === 'json') {
      io.out.write(
        JSON.stringify(
          { valid: diagnostics.length === 0, commit, stacks: r.stacks.map((s) => ({ stack: s.stack, errors: s.diagnostics.length })), diagnostics },
          null,
          2,
        ) + '\n',
      );
    } else {
      printDiagnostics(io, diagnostics);
      if (diagnostics.length === 0)
        io.out.write(
          `Valid: ${r.stacks.length} stack${r.stacks.length === 1 ? '' : 's'} at ${commit.slice(0, 12)} (${r.stacks.map((s) => s.stack).join(', ')}).\n`,
        );
      else io.err.write(`${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}.\n`);
    }
    return diagnostics.length === 0 ? 0 : 1;
  } finally {
    await ws.close();
  }
}
