import { parseManifestFile, locate } from './yaml.js';
import { builtinValidator } from './schema-registry.js';
import { loadSchema } from './schema-files.js';
import { configProblems } from '../config/schema-errors.js';
import type { Diagnostic } from './diagnostics.js';

/**
 * Drift acknowledgements, `.driftless/acks.yaml`: drift a person accepted until a date, reviewed
 * like code. Parsing and checking are pure: the text, the stacks' resource ids and the clock in.
 */

export const ACKS_FILE = '.driftless/acks.yaml';

export interface Ack {
  /** `stack:Kind/name` as written. */
  resource: string;
  stack: string;
  /** The resource id within its stack (`File/motd`). */
  id: string;
  /** JSON pointers (`/spec/content`); absent: the whole resource. */
  fields?: string[];
  reason: string;
  owner: string;
  /** The last day (UTC) it holds, YYYY-MM-DD. */
  expires: string;
  /** Where it is written (its list item). */
  line: number;
  col: number;
}

export interface ParsedAcks {
  /** Every well-formed ack, expired ones included (they report a lapse). */
  acks: Ack[];
  diagnostics: Diagnostic[];
}

const DAY_MS = 86_400_000;

/** The UTC day of an instant, YYYY-MM-DD. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Is this ack in force on `now`'s day (UTC)? It holds through its `expires` day. */
export function ackValid(ack: Pick<Ack, 'expires'>, now: Date): boolean {
  return utcDay(now) <= ack.expires;
}

/**
 * Parse and check the acks file's text. What makes an ack unusable (a schema error, a bad pointer,
 * an impossible date, a date beyond `maxDays`) drops it with a diagnostic at its line; an ack that
 * expired is kept (it reports a lapse) and also reported. Resources are checked by `checkAckTargets`.
 */
export function parseAcks(source: string, opts: { now: Date; maxDays: number; file?: string }): ParsedAcks {
  const file = opts.file ?? ACKS_FILE;
  const parsed = parseManifestFile(file, source);
  if (parsed.diagnostics.length) return { acks: [], diagnostics: parsed.diagnostics };
  if (parsed.docs.length === 0) return { acks: [], diagnostics: [] };
  if (parsed.docs.length !== 1) return { acks: [], diagnostics: [{ file, line: 1, col: 1, message: `${file} must hold exactly one document` }] };
  const doc = parsed.docs[0];
  const at = (path: (string | number)[], message: string, target: 'value' | 'key' = 'value'): Diagnostic => {
    const pos = locate(source, doc.index, path, target);
    return { file, line: pos.line, col: pos.col, message };
  };
  const validator = builtinValidator(loadSchema('acks.schema.json'));
  const diagnostics: Diagnostic[] = [];
  const bad = new Set<number>();
  if (!validator(doc.value)) {
    for (const p of configProblems(validator.errors ?? [])) {
      diagnostics.push(at(p.path, p.message, p.target));
      // An error inside acks[i] drops that ack; one at the top drops them all.
      if (p.path[0] === 'acks' && p.path.length > 1) bad.add(Number(p.path[1]));
      else return { acks: [], diagnostics };
    }
  }
  const today = utcDay(opts.now);
  const items = (doc.value as { acks: Record<string, unknown>[] }).acks;
  const acks: Ack[] = [];
  items.forEach((raw, i) => {
    if (bad.has(i)) return;
    const item = raw as { resource: string; fields?: string[]; reason: string; owner: string; expires: string };
    let ok = true;
    (item.fields ?? []).forEach((f, j) => {
      const problem = pointerProblem(f);
      if (problem) {
        diagnostics.push(at(['acks', i, 'fields', j], `acks.${i}.fields.${j}: ${problem}`));
        ok = false;
      }
    });
    const days = dayNumber(item.expires);
    if (days === null) {
      diagnostics.push(at(['acks', i, 'expires'], `acks.${i}.expires: ${item.expires} is not a date`));
      ok = false;
    } else if (item.expires < today) {
      diagnostics.push(at(['acks', i, 'expires'], `acks.${i}: the acknowledgement of ${item.resource} expired on ${item.expires}; remove it or renew it`));
    } else {
      const ahead = days - (dayNumber(today) ?? 0);
      if (ahead > opts.maxDays) {
        diagnostics.push(
          at(
            ['acks', i, 'expires'],
            `acks.${i}.expires: ${item.expires} is ${ahead} days ahead; at most ${opts.maxDays} are allowed (server config acks.maxDays)`,
          ),
        );
        ok = false;
      }
    }
    if (!ok) return;
    const colon = item.resource.indexOf(':');
    const pos = locate(source, doc.index, ['acks', i]);
    acks.push({
      resource: item.resource,
      stack: item.resource.slice(0, colon),
      id: item.resource.slice(colon + 1),
      ...(item.fields ? { fields: item.fields } : {}),
      reason: item.reason,
      owner: item.owner,
      expires: item.expires,
      line: pos.line,
      col: pos.col,
    });
  });
  return { acks, diagnostics };
}

/**
 * Acks whose resource is not declared: the stack is unknown, or has no such resource at the commit.
 * `resources(stack)` gives the stack's resource ids, or undefined for no such stack.
 */
export function checkAckTargets(acks: readonly Ack[], resources: (stack: string) => ReadonlySet<string> | undefined, file = ACKS_FILE): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const a of acks) {
    const ids = resources(a.stack);
    if (!ids) out.push({ file, line: a.line, col: a.col, message: `${a.resource}: there is no stack ${a.stack} in driftless.yaml` });
    else if (!ids.has(a.id)) out.push({ file, line: a.line, col: a.col, message: `${a.resource}: stack ${a.stack} declares no resource ${a.id}` });
  }
  return out;
}

/** What is wrong with a JSON pointer into a resource, or null. Drift compares fields under /spec. */
function pointerProblem(p: string): string | null {
  if (!p.startsWith('/')) return `"${p}" is not a JSON pointer: it must start with /`;
  if (/~(?![01])/.test(p)) return `"${p}" is not a JSON pointer: ~ must be followed by 0 or 1`;
  if (p !== '/spec' && !p.startsWith('/spec/')) return `"${p}" must point into the resource's spec (/spec/...)`;
  if (p.endsWith('/')) return `"${p}" ends with an empty segment`;
  return null;
}

/** Days since 1970-01-01 of a YYYY-MM-DD date, or null when there is no such day (2027-02-30). */
function dayNumber(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / DAY_MS;
}
