import type { Change, DiffEntry } from './model.js';
import { canonicalJson, deepEqual } from './values.js';

/** The answer of checkRemainder: the same, or the first difference found (by resource id). */
export type RemainderCheck = { same: true } | { same: false; difference: string };

/**
 * Is a fresh plan what is left of a reviewed plan after an apply of it was cut short? Pure.
 *
 * `done` holds the resources the interrupted apply's journal shows it worked on. A fresh change is
 * accepted when the reviewed plan has the same change (same action, same diff), or, for a resource in
 * `done`, when it is a part of the reviewed change: the same action with some of its field changes
 * (the rest happened before the stop), or the create that remains of a replace whose delete happened.
 * A reviewed change may be missing from the fresh plan only for a resource in `done`. Anything the
 * reviewed plan does not hold is a difference: nothing unreviewed is ever accepted.
 */
export function checkRemainder(reviewed: readonly Change[], done: ReadonlySet<string>, fresh: readonly Change[]): RemainderCheck {
  const byId = new Map(reviewed.map((c) => [c.id, c]));
  const seen = new Set<string>();
  for (const f of [...fresh].sort(byIdOrder)) {
    seen.add(f.id);
    const r = byId.get(f.id);
    if (!r) return { same: false, difference: `${f.id}: ${f.action} was not in the reviewed plan` };
    if (f.action === r.action && sameDiff(f.diff, r.diff)) continue;
    if (!done.has(f.id)) return { same: false, difference: `${f.id}: ${describe(f, r)}` };
    const why = partOf(f, r);
    if (why) return { same: false, difference: `${f.id}: ${why}` };
  }
  for (const r of [...reviewed].sort(byIdOrder)) {
    if (!seen.has(r.id) && !done.has(r.id))
      return { same: false, difference: `${r.id}: the reviewed ${r.action} is no longer planned, and the interrupted apply did not get to it` };
  }
  return { same: true };
}

function byIdOrder(a: Change, b: Change): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A diff's entries as a set (their order carries no meaning). */
function entrySet(diff: readonly DiffEntry[]): Set<string> {
  return new Set(diff.map((e) => canonicalJson(e)));
}

function sameDiff(a: readonly DiffEntry[], b: readonly DiffEntry[]): boolean {
  if (a.length !== b.length) return false;
  const bs = entrySet(b);
  return a.every((e) => bs.has(canonicalJson(e)));
}

/** Why a fresh change is not the reviewed one: the action, or the first field that differs. */
function describe(f: Change, r: Change): string {
  if (f.action !== r.action) return `${f.action} where the reviewed plan has ${r.action}`;
  const rs = entrySet(r.diff);
  const extra = [...f.diff].sort(byPath).find((e) => !rs.has(canonicalJson(e)));
  if (extra) return `${f.action} changes ${extra.path} other than reviewed`;
  const fs = entrySet(f.diff);
  const missing = [...r.diff].sort(byPath).find((e) => !fs.has(canonicalJson(e)));
  return `${f.action} no longer changes ${missing?.path ?? 'the same fields'}`;
}

function byPath(a: DiffEntry, b: DiffEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Null when `f` is a part of `r` (see checkRemainder), else why not. */
function partOf(f: Change, r: Change): string | null {
  if (f.action === r.action) {
    const rs = entrySet(r.diff);
    const extra = [...f.diff].sort(byPath).find((e) => !rs.has(canonicalJson(e)));
    return extra ? `${f.action} changes ${extra.path} other than reviewed` : null;
  }
  if (r.action === 'replace' && f.action === 'create') {
    // The delete half happened: the create must give every reviewed field its reviewed value.
    const fields = new Map(f.diff.map((e) => [e.path, e]));
    for (const e of [...r.diff].sort(byPath)) {
      const g = fields.get(e.path);
      const removes = e.after === undefined && !e.unknown && !e.sensitive;
      if (removes ? g !== undefined : !g || !deepEqual(g.after, e.after) || !!g.sensitive !== !!e.sensitive || !!g.unknown !== !!e.unknown) {
        return `create after the interrupted replace gives ${e.path} a value other than reviewed`;
      }
    }
    return null;
  }
  return `${f.action} where the reviewed plan has ${r.action}`;
}
