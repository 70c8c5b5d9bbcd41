/** Small helpers shared by the kind modules. */
import { ProviderError, type Json, type Spec } from '../../sdk/provider.js';

/** The object's name: `spec.name` when given, else the resource's metadata.name. */
export function objectName(spec: Spec, name: string): string {
  return typeof spec.name === 'string' && spec.name !== '' ? spec.name : name;
}

export function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Code-unit order, independent of any locale or collation. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compare);
}

export function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], (b as Record<string, Json>)[k]));
  }
  return false;
}

/** Two string lists equal as sets (order and duplicates do not matter). */
export function sameSet(a: Json | undefined, b: Json | undefined): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return deepEqual(a, b);
  const x = sortedUnique(strings(a));
  const y = sortedUnique(strings(b));
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The observed spec in the shape of the recorded one: only the fields the manifest declares
 * (absent optional fields are not managed), never sensitive ones (they cannot be read back).
 */
export function shapeLike(full: Spec, recordedSpec: Spec, omit: string[] = []): Spec {
  const out: Spec = {};
  for (const key of Object.keys(recordedSpec)) {
    if (omit.includes(key)) continue;
    if (key in full && full[key] !== undefined) out[key] = full[key]!;
  }
  return out;
}

/** How many groups (databases) are read at once: each holds a connection while it runs. */
const GROUP_CONCURRENCY = 8;

/** Read a list of resources in groups (e.g. per database), keeping input order in the result. */
export async function byGroup<R, T>(items: R[], groupOf: (r: R) => string, readGroup: (group: string, members: R[]) => Promise<T[]>): Promise<T[]> {
  const groups = new Map<string, number[]>();
  items.forEach((r, i) => {
    const g = groupOf(r);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  const out = new Array<T>(items.length);
  const queue = [...groups];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [g, idx] = next;
      const res = await readGroup(
        g,
        idx.map((i) => items[i]!),
      );
      idx.forEach((i, j) => (out[i] = res[j]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, queue.length) }, worker));
  return out;
}

/** The database a schema or extension lives in (required by their schemas). */
export function databaseOf(spec: Spec, id?: string): string {
  const db = str(spec.database);
  if (!db) throw new ProviderError('spec.database is required', id);
  return db;
}

/**
 * Batched refresh of objects that live in a database (schemas, extensions): one `read` per
 * database for all the names asked there, results mapped back in input order (null = gone).
 */
export function readPerDatabase<L extends { spec: Spec }>(
  rs: { id: string; name: string; spec: Spec }[],
  read: (db: string, names: string[]) => Promise<Map<string, L>>,
  outputs: (live: L) => Spec,
): Promise<({ spec: Spec; outputs: Spec } | null)[]> {
  return byGroup(
    rs,
    (r) => databaseOf(r.spec, r.id),
    async (db, members) => {
      const live = await read(db, sortedUnique(members.map((r) => objectName(r.spec, r.name))));
      return members.map((r) => {
        const l = live.get(objectName(r.spec, r.name));
        return l ? { spec: shapeLike(l.spec, r.spec), outputs: outputs(l) } : null;
      });
    },
  );
}
