/** What each host kind provides: its KindInfo, a read snippet for the host's one read script, and its writes. */
import type { PathRead } from '../batch-read.js';
import type { Desired, Json, KindInfo, Observed, Outputs, Recorded, Spec, SpecProblem } from '../../../sdk/provider.js';
import { memberOf, ProviderError } from '../../../sdk/provider.js';
import type { HostConnection } from '../connection.js';
import type { HostEntry } from '../inventory.js';
import { shCommand } from '../shell.js';

/** The fields one resource's read snippet printed (`key value` lines). */
export type Fields = Map<string, string>;

/** A host as a kind's writes see it. */
export interface HostOps {
  host: HostEntry;
  conn: HostConnection;
  /** Run one host-wide thing at a time under `key` (apt's lock). */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface HostKind {
  info: KindInfo;
  /** A POSIX sh snippet that reads the resource and prints `key value` lines (values on one line). */
  readSnippet(spec: Spec): string;
  /**
   * For kinds that read one path: the path (and whether its content is wanted), read with every
   * other path of the host in one batch (batch-read.ts) instead of by the snippet, which stays the
   * fallback. The fields given to `observe` are the snippet's.
   */
  readPath?(spec: Spec): PathRead;
  /** The live state from what the snippet printed, against the recorded spec; null when it does not exist. */
  observe(rec: Recorded, fields: Fields, host: HostEntry): Observed | null;
  create(h: HostOps, r: Desired): Promise<Outputs>;
  update(h: HostOps, r: Desired, prior: Recorded, changed: string[]): Promise<Outputs>;
  delete(h: HostOps, prior: Recorded): Promise<void>;
}

/** Run `argv` or a script with arguments on the host; a non-zero exit is an error naming the resource. */
export async function runChecked(h: HostOps, id: string, what: string, script: string, args: string[] = [], stdin?: string | Buffer): Promise<string> {
  const r = await h.conn.exec(shCommand(script, args), stdin);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-12).join('\n');
    throw new ProviderError(`${id} on ${h.host.name}: ${what} failed (exit ${r.code})${tail ? `:\n${tail}` : ''}`, id);
  }
  return r.stdout;
}

/** Run a command given as a list of words (each one quoted): `["useradd", "-m", name]`. */
export function runArgv(h: HostOps, id: string, argv: string[]): Promise<string> {
  return runChecked(h, id, argv[0], '"$@"', argv);
}

/** The natural key of a host resource: the object's name or path on its host. */
export function onHost(key: string, name: string): string {
  return `${key}@${memberOf(name) ?? ''}`;
}

/** `spec.field` as a string, or undefined. */
export function str(spec: Spec, field: string): string | undefined {
  const v = spec[field];
  return typeof v === 'string' ? v : undefined;
}

/** A problem at `path` when `check` finds one in a plain string value (values given by !ref are checked at apply). */
export function checkField(spec: Spec, field: string, check: (v: string) => string | undefined, out: SpecProblem[]): void {
  const v = spec[field];
  if (typeof v !== 'string') return;
  const p = check(v);
  if (p) out.push({ path: `/${field}`, message: p });
}

/** Keep only the fields the record declares: a field left undeclared is not managed, so it cannot drift. */
export function declared(rec: Spec, live: Record<string, Json | undefined>): Spec {
  const out: Spec = {};
  for (const [k, v] of Object.entries(live)) if (k in rec && v !== undefined) out[k] = v;
  return out;
}
