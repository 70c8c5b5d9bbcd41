/**
 * What a kept plan's patch needs to know of the whole stack without loading it (see plan-patch.ts),
 * as a text file of JSON lines beside the kept plans, searched rather than parsed (a patch asks
 * about a few resources of thousands):
 *
 * - `["i", id, ...deps]`: every resource, with its dependencies as the full build gave them;
 * - `["k", "Kind\0key", id]`: each natural key, and the resource that holds it;
 * - `["u", "Kind\0key"]`: a natural key some resource refers to implicitly that no resource holds
 *   (a resource added with it would become a dependency of the one that refers to it).
 *
 * The first line is the file's token, named by the kept plan: a file that is not the one the plan
 * was kept with is never read as its index.
 */
import { kindFacts, type DesiredSet } from '../plan/desired.js';

const keyOf = (kind: string, key: string) => `${kind}\u0000${key}`;

/**
 * The index of a desired set, under `token`, in pieces of about 64 KB to write as they come (the
 * index of 100,000 resources is about 10 MB, and a single text of it doubled a plan's peak). Pure.
 */
export function* patchIndexChunks(token: string, desired: DesiredSet): Generator<string> {
  let chunk = `${token}\n`;
  const line = function* (v: unknown[]): Generator<string> {
    chunk += `${JSON.stringify(v)}\n`;
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = '';
    }
  };
  const held = new Set<string>();
  const referred = new Set<string>();
  for (const d of desired.resources.values()) {
    yield* line(['i', d.id, ...d.deps]);
    if (!d.info) continue;
    const facts = kindFacts(d.info, d); // computed once per resource here, and not kept
    const k = keyOf(d.kind, facts.key);
    held.add(k);
    yield* line(['k', k, d.id]);
    for (const r of facts.refs) referred.add(keyOf(r.kind, r.key));
  }
  for (const k of referred) if (!held.has(k)) yield* line(['u', k]);
  if (chunk) yield chunk;
}

export class PatchIndex {
  constructor(private readonly text: string) {}

  /** The index in `text` when it is the one named `token`. */
  static of(text: string, token: string): PatchIndex | undefined {
    return text.startsWith(`${token}\n`) ? new PatchIndex(text) : undefined;
  }

  /** The line that starts with `prefix` (a JSON array's first items), parsed; undefined when none. */
  private line(prefix: unknown[]): unknown[] | undefined {
    const at = this.text.indexOf(`\n${JSON.stringify(prefix).slice(0, -1)}`);
    if (at < 0) return undefined;
    return JSON.parse(this.text.slice(at + 1, this.text.indexOf('\n', at + 1))) as unknown[];
  }

  /** Whether the stack declared `id`. */
  has(id: string): boolean {
    return this.line(['i', id]) !== undefined;
  }

  /** The dependencies the full build gave `id` (none when it was not declared). */
  depsOf(id: string): string[] {
    return (this.line(['i', id])?.slice(2) as string[] | undefined) ?? [];
  }

  /** The resource that holds a natural key, or undefined. */
  holderOf(kind: string, key: string): string | undefined {
    return this.line(['k', keyOf(kind, key)])?.[2] as string | undefined;
  }

  /** Whether some resource refers implicitly to a natural key no resource holds. */
  wanted(kind: string, key: string): boolean {
    return this.line(['u', keyOf(kind, key)]) !== undefined;
  }

  /** Whether any resource other than `id` itself depends on `id` (its name in another resource's line). */
  dependedOn(id: string): boolean {
    const needle = JSON.stringify(id);
    for (let at = this.text.indexOf(needle); at >= 0; at = this.text.indexOf(needle, at + 1)) {
      const start = this.text.lastIndexOf('\n', at) + 1;
      const line = this.text.slice(start, this.text.indexOf('\n', at));
      const own = line.startsWith(`["i",${needle}`) || (line.startsWith('["k",') && line.endsWith(`,${needle}]`));
      if (!own) return true;
    }
    return false;
  }
}
