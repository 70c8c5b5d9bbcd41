/**
 * The store's writes of recorded resources, each one statement built from values (no I/O): the
 * resources written or removed, the journal entries of those changes finished as ok, and the
 * stack's serial moved by one per change, all or nothing. One statement rather than a transaction
 * of several: each statement is a round trip, and on embedded state they were most of an apply.
 */
import type { RecordedResource } from '../plan/model.js';

/** A journal entry to write before a provider call. */
export interface JournalIntent {
  resourceId: string;
  operation: string;
  resource: RecordedResource;
}

/** What state records once a provider call succeeded: the resource, or its absence. */
export type JournalEffect = { put: RecordedResource } | { forget: string };

export interface Statement {
  sql: string;
  params: unknown[];
}

type Stack = { repo: string; stack: string };

/**
 * Record `effects` in a stack's state and finish the journal entries `finished` (ids) as ok; the
 * serial moves by one per effect. The statement returns the new serial.
 */
export function stateWrite(k: Stack, effects: JournalEffect[], finished: number[] = []): Statement {
  const params: unknown[] = [k.repo, k.stack, effects.length];
  const at = (v: unknown) => `$${params.push(v)}`;
  const ids = finished.map(at);
  const puts: string[] = [];
  const forgets: string[] = [];
  for (const effect of effects) {
    if ('put' in effect) puts.push(`($1, $2, ${resourceValues(effect.put).map(at).join(', ')})`);
    else forgets.push(at(effect.forget));
  }
  const parts: string[] = [];
  if (ids.length) parts.push(`j AS (UPDATE journal SET finished_at = now(), outcome = 'ok', error = NULL WHERE id IN (${ids.join(', ')}))`);
  if (puts.length) parts.push(`p AS (${UPSERT_HEAD} ${puts.join(', ')} ${UPSERT_TAIL})`);
  if (forgets.length) parts.push(`d AS (DELETE FROM resources WHERE repo = $1 AND stack = $2 AND id IN (${forgets.join(', ')}))`);
  return { sql: `${parts.length ? `WITH ${parts.join(', ')} ` : ''}${BUMP_SERIAL}`, params };
}

/** The journal entries of a run's provider calls, one row each; the statement returns `id, resource_id`. */
export function journalEntries(runId: number, k: Stack, entries: JournalIntent[]): Statement {
  const params: unknown[] = [runId, k.repo, k.stack];
  const rows = entries.map((e) => {
    params.push(e.resourceId, e.operation, JSON.stringify(e.resource));
    const n = params.length;
    return `($1, $2, $3, $${n - 2}, $${n - 1}, $${n})`;
  });
  return {
    sql: `INSERT INTO journal (run_id, repo, stack, resource_id, operation, resource) VALUES ${rows.join(', ')} RETURNING id, resource_id`,
    params,
  };
}

const UPSERT_HEAD = 'INSERT INTO resources (repo, stack, id, api_version, kind, name, spec, outputs, deps, protect) VALUES';
const UPSERT_TAIL = `ON CONFLICT (repo, stack, id) DO UPDATE SET api_version = EXCLUDED.api_version, kind = EXCLUDED.kind,
  name = EXCLUDED.name, spec = EXCLUDED.spec, outputs = EXCLUDED.outputs, deps = EXCLUDED.deps, protect = EXCLUDED.protect, updated_at = now()`;

/** Bump a stack's serial ($1 repo, $2 stack) by $3, creating its row at $3; returns the serial. */
const BUMP_SERIAL = `INSERT INTO stacks (repo, stack, serial) VALUES ($1, $2, $3)
  ON CONFLICT (repo, stack) DO UPDATE SET serial = stacks.serial + $3, updated_at = now() RETURNING serial`;

/** A resource's columns after repo and stack: id, api_version, kind, name, spec, outputs, deps, protect. */
function resourceValues(res: RecordedResource): unknown[] {
  return [res.id, res.apiVersion, res.kind, res.name, JSON.stringify(res.spec), JSON.stringify(res.outputs), JSON.stringify(res.deps), res.protect];
}
