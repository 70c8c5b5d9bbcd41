import type { Ack } from '../manifests/acks.js';
import { ackValid } from '../manifests/acks.js';
import type { DiffEntry, DriftEntry } from './model.js';

/** Drift against acknowledgements: what a valid ack covers, what still alarms, which acks lapsed. Pure. */

/** The part of an ack a report shows. */
export interface AckInfo {
  resource: string;
  fields?: string[];
  reason: string;
  owner: string;
  expires: string;
}

/** Drift a valid ack covers: the fields (or the deletion) it accepts, and the acks that accept them. */
export interface AcknowledgedDrift extends DriftEntry {
  acks: AckInfo[];
}

/** Drift that an ack covered until it expired: it alarms again. */
export interface LapsedAck {
  id: string;
  /** The drifted fields the expired ack would cover (empty: the resource was deleted outside driftless). */
  paths: string[];
  ack: AckInfo;
}

export interface AckedDrift {
  /** What still alarms: drift no valid ack covers. */
  drift: DriftEntry[];
  acknowledged: AcknowledgedDrift[];
  lapsed: LapsedAck[];
}

function info(a: Ack): AckInfo {
  return { resource: a.resource, ...(a.fields ? { fields: a.fields } : {}), reason: a.reason, owner: a.owner, expires: a.expires };
}

/** Does an ack cover a field? A pointer covers itself and everything below it; no fields: everything. */
function covers(a: Ack, path: string): boolean {
  return !a.fields || a.fields.some((f) => path === f || path.startsWith(`${f}/`));
}

/**
 * Split a stack's drift by its acknowledgements at `now`. A field's drift is acknowledged when a
 * valid ack of the resource covers it; a resource deleted outside driftless only by a whole-resource
 * ack. Drift an expired ack would have covered stays drift, and the ack is listed as lapsed.
 */
export function applyAcks(drift: readonly DriftEntry[], stack: string, acks: readonly Ack[], now: Date): AckedDrift {
  const out: AckedDrift = { drift: [], acknowledged: [], lapsed: [] };
  const byId = new Map<string, Ack[]>();
  for (const a of acks) {
    if (a.stack !== stack) continue;
    const list = byId.get(a.id) ?? [];
    list.push(a);
    byId.set(a.id, list);
  }
  for (const d of drift) {
    const mine = byId.get(d.id) ?? [];
    const valid = mine.filter((a) => ackValid(a, now));
    const expired = mine.filter((a) => !ackValid(a, now));
    if (d.gone) {
      const whole = valid.filter((a) => !a.fields);
      if (whole.length) out.acknowledged.push({ ...d, acks: whole.map(info) });
      else {
        out.drift.push(d);
        for (const a of expired.filter((x) => !x.fields)) out.lapsed.push({ id: d.id, paths: [], ack: info(a) });
      }
      continue;
    }
    const acked: DiffEntry[] = [];
    const open: DiffEntry[] = [];
    const used = new Set<Ack>();
    for (const e of d.diff) {
      const by = valid.filter((a) => covers(a, e.path));
      if (by.length) {
        acked.push(e);
        by.forEach((a) => used.add(a));
      } else open.push(e);
    }
    if (acked.length) out.acknowledged.push({ id: d.id, diff: acked, acks: valid.filter((a) => used.has(a)).map(info) });
    if (open.length) {
      out.drift.push({ id: d.id, diff: open });
      for (const a of expired) {
        const paths = open.filter((e) => covers(a, e.path)).map((e) => e.path);
        if (paths.length) out.lapsed.push({ id: d.id, paths, ack: info(a) });
      }
    }
  }
  return out;
}
