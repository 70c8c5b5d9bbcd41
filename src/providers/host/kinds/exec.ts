/**
 * Exec: the escape hatch, a command guarded by `creates` (a path), `unless` or `onlyIf` (commands).
 * Reads evaluate the guard, so a plan shows the command as to run only when its guard says so.
 */
import type { Desired, SpecProblem } from '../../../sdk/provider.js';
import { pathProblem, quote } from '../shell.js';
import { checkField, type HostKind, type HostOps, onHost, runChecked, str } from './kind.js';
import execSchema from '../schemas/Exec.schema.json' with { type: 'json' };

/** A snippet that prints `guard run` when the command should run, `guard done` when the guard says it has. */
export function guardSnippet(spec: Desired['spec'], once: boolean): string {
  const creates = str(spec, 'creates');
  const unless = str(spec, 'unless');
  const onlyIf = str(spec, 'onlyIf');
  const tests: string[] = [];
  if (creates !== undefined) tests.push(`[ -e ${quote(creates)} ]`);
  if (unless !== undefined) tests.push(`sh -c ${quote(unless)} >/dev/null 2>&1 </dev/null`);
  if (onlyIf !== undefined) tests.push(`! sh -c ${quote(onlyIf)} >/dev/null 2>&1 </dev/null`);
  // Without a guard, a command runs once (when created or changed), then reads as done.
  if (!tests.length) return once ? "echo 'guard done'" : "echo 'guard run'";
  return `if ${tests.join(' || ')}; then echo 'guard done'; else echo 'guard run'; fi`;
}

async function runIt(h: HostOps, r: Desired): Promise<{ ran: boolean }> {
  const command = str(r.spec, 'command') ?? '';
  const script = `g=$(${guardSnippet(r.spec, false)}); [ "$g" = 'guard run' ] || { echo skipped; exit 0; }\nsh -c "$1" </dev/null\necho ran`;
  const out = await runChecked(h, r.id, `the command ${JSON.stringify(command)}`, script, [command]);
  return { ran: out.trimEnd().endsWith('ran') };
}

export const exec: HostKind = {
  info: {
    schema: execSchema,
    naturalKey: (_spec, name) => onHost(`exec:${name}`, name),
    outputSources: {},
    // With a guard, read before the first run too: the plan shows the command only when it will run.
    probe: {
      when: (spec) => ['creates', 'unless', 'onlyIf'].some((f) => spec[f] !== undefined),
      pending: 'will run: its guard says so',
    },
    validate(spec) {
      const out: SpecProblem[] = [];
      checkField(spec, 'creates', pathProblem, out);
      return out;
    },
  },
  readSnippet: (spec) => guardSnippet(spec, true),
  observe(rec, fields) {
    if (fields.get('guard') !== 'run') return { spec: rec.spec };
    return { spec: { ...rec.spec, command: '(will run: its guard says so)' } };
  },
  async create(h, r) {
    await runIt(h, r);
    return {};
  },
  async update(h, r) {
    await runIt(h, r);
    return {};
  },
  async delete() {},
};
