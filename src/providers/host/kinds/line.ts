/** Line: one line of a file present or absent, found by a regex (Ansible's lineinfile); the file is rewritten atomically. */
import type { Desired, Recorded, Spec, SpecProblem } from '../../../sdk/provider.js';
import { ProviderError } from '../../../sdk/provider.js';
import { pathProblem } from '../shell.js';
import { checkField, type HostKind, type HostOps, onHost, runChecked, str } from './kind.js';
import { contentOf, parseStat, statSnippet, writeFile } from './file.js';
import lineSchema from '../schemas/Line.schema.json' with { type: 'json' };

function matcher(spec: Spec): (l: string) => boolean {
  const line = str(spec, 'line') ?? '';
  const re = str(spec, 'regexp');
  if (re === undefined) return (l) => l === line;
  const rx = new RegExp(re, 'u');
  return (l) => rx.test(l);
}

/** The file's lines with the spec applied: the last matching line replaced (or the line appended), or every match removed. Pure. */
export function withLine(text: string, spec: Spec): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const hit = matcher(spec);
  const line = str(spec, 'line') ?? '';
  let out: string[];
  if (spec.state === 'absent') out = lines.filter((l) => !hit(l));
  else {
    const i = lines.findLastIndex(hit);
    out = [...lines];
    if (i >= 0) out[i] = line;
    else if (!lines.includes(line)) out.push(line);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function regexpProblem(v: string): string | undefined {
  try {
    new RegExp(v, 'u');
    return undefined;
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
}

async function ensure(h: HostOps, r: Desired): Promise<Record<string, never>> {
  const path = str(r.spec, 'path') ?? '';
  const p = pathProblem(path);
  if (p) throw new ProviderError(`${r.id}: spec.path: ${p}`, r.id);
  const cur = await runChecked(h, r.id, `reading ${path}`, '[ ! -e "$1" ] || base64 -w0 -- "$1"', [path]);
  const text = Buffer.from(cur.trim(), 'base64').toString('utf8');
  const next = withLine(text, r.spec);
  if (next === text && cur.trim() !== '') return {};
  const st = await runChecked(h, r.id, `reading ${path}`, "stat -c '%a|%U|%G' -- \"$1\" 2>/dev/null || echo '644|root|root'", [path]);
  const [mode, owner, group] = st.trim().split('|');
  await writeFile(h, r.id, path, next, { mode: mode.padStart(4, '0'), owner, group });
  return {};
}

export const line: HostKind = {
  info: {
    schema: lineSchema,
    naturalKey: (spec, name) => onHost(`${spec.path}\u0000${spec.regexp ?? spec.line}`, name),
    outputSources: {},
    validate(spec) {
      const out: SpecProblem[] = [];
      checkField(spec, 'path', pathProblem, out);
      checkField(spec, 'regexp', regexpProblem, out);
      if (typeof spec.line === 'string' && spec.line.includes('\n')) out.push({ path: '/line', message: 'a line cannot hold a newline' });
      return out;
    },
  },
  readSnippet: (spec) => statSnippet(String(spec.path), true),
  readPath: (spec) => ({ path: String(spec.path), content: true }),
  observe(rec: Recorded, fields) {
    const st = parseStat(fields);
    const text = st ? (contentOf(fields) ?? '') : '';
    if (withLine(text, rec.spec) === text && st) return { spec: rec.spec };
    // What is there instead: the matching line (or none), or, for an absent line, that it is present.
    if (rec.spec.state === 'absent') return { spec: { ...rec.spec, state: 'present' } };
    const lines = text.split('\n');
    const found = lines.findLast(matcher(rec.spec));
    return { spec: { ...rec.spec, line: found ?? null } };
  },
  create: ensure,
  update: (h, r) => ensure(h, r),
  async delete(h, prior) {
    // No longer declared: the line is taken out again (a present line only).
    if (prior.spec.state !== 'absent') await ensure(h, { ...prior, spec: { ...prior.spec, state: 'absent' } });
  },
};
