import { resolve } from 'node:path';
import type { Flags } from '../args.js';
import { printDiagnostics, type Io } from '../output.js';
import { policyTestsIn } from '../../engine/policies.js';

/**
 * `driftless policy test`: run `.driftless/policies/tests/*.yaml` against the policies of a work
 * tree (--repo, default the current directory). No service, config or state is needed: CI runs it.
 * Exits 1 naming each test file whose expectation is wrong (or a policy or test file that is invalid).
 */
export async function policyCommand(flags: Flags, io: Io): Promise<number> {
  const dir = resolve(flags.repo ?? '.');
  const { verdicts, diagnostics } = await policyTestsIn(dir);
  printDiagnostics(io, diagnostics);
  for (const v of verdicts) {
    if (v.ok) io.out.write(`ok   ${v.file} (${v.policy}: ${v.detail})\n`);
    else io.out.write(`FAIL ${v.file} (${v.policy}): ${v.detail}\n`);
  }
  const failed = verdicts.filter((v) => !v.ok).length;
  if (!verdicts.length && !diagnostics.length) io.err.write(`no policy tests in ${dir}/.driftless/policies/tests/\n`);
  io.out.write(`${verdicts.length - failed} passed, ${failed} failed${diagnostics.length ? `, ${diagnostics.length} invalid` : ''}.\n`);
  return failed || diagnostics.length ? 1 : 0;
}
