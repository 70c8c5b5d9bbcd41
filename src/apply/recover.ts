import type { Recorded, ResourceWithSpec, Session } from '../sdk/provider.js';
import type { StateStore, StackKey } from '../state/store.js';
import { containsMask, unmaskSpec } from '../plan/sensitive.js';
import { maskOutputs, overlay } from './record.js';

export interface RecoverOptions {
  /** A secret's value by name: a field recorded as a masked secret is given in clear to the provider's read. */
  secret?(name: string): string | undefined;
  /** The outputs of a resource that state must mask (`*`: all); default: all when its spec has a masked field. */
  sensitiveOutputs?(id: string): string[] | undefined;
}

/**
 * Finish what a crashed apply left: every journal entry without an outcome is looked up live and
 * state records what exists, so nothing created is ever forgotten. Returns one line per entry.
 * Call with the stack's lock held.
 */
export async function recoverStack(
  store: StateStore,
  key: StackKey,
  sessionFor: (apiVersion: string) => Session | undefined,
  o: RecoverOptions = {},
): Promise<string[]> {
  const entries = await store.unfinishedJournal(key);
  const notes: string[] = [];
  const runs = new Set<number>();
  for (const e of entries) {
    runs.add(e.runId);
    const session = sessionFor(e.resource.apiVersion);
    if (!session) {
      notes.push(`${e.resourceId}: interrupted ${e.operation} left as is (no target for ${e.resource.apiVersion} now)`);
      continue;
    }
    let note: string;
    try {
      const spec = o.secret ? unmaskSpec(e.resource.spec, o.secret) : e.resource.spec;
      const observed = await session.read(spec === e.resource.spec ? e.resource : ({ ...e.resource, spec } as Recorded));
      const isDelete = e.operation === 'delete' || e.operation === 'replace-delete';
      if (isDelete) {
        if (observed === null) {
          await store.deleteResource(key, e.resourceId);
          note = `${e.resourceId}: interrupted ${e.operation} had finished; forgotten from state`;
        } else {
          note = `${e.resourceId}: interrupted ${e.operation} had not happened; the object still exists`;
        }
      } else if (observed) {
        const masked = o.sensitiveOutputs?.(e.resourceId) ?? (containsMask(e.resource.spec) ? ['*'] : []);
        const outputs = observed.outputs ? maskOutputs(observed.outputs, masked, [], e.resource.outputs) : (e.resource.outputs ?? {});
        await store.putResource(key, { ...e.resource, spec: overlay(e.resource.spec, observed.spec), outputs });
        note = `${e.resourceId}: interrupted ${e.operation} found the object live; recorded it`;
      } else {
        note = `${e.resourceId}: interrupted ${e.operation} left nothing live; nothing to record`;
      }
      await store.journalFinish(e.id, 'recovered', note);
    } catch (err) {
      note = `${e.resourceId}: could not check the interrupted ${e.operation}: ${(err as Error).message}`;
      // Leave the entry open: the next run tries again.
    }
    notes.push(note);
  }
  for (const id of runs) {
    const [run] = await store.runs({ id });
    if (run && run.outcome === 'running')
      await store.finishRun(id, 'interrupted', run.summary, run.results, 'the process stopped during the apply; recovered by a later run');
  }
  // Runs that died before their first journal entry.
  for (const run of await store.runs({ repo: key.repo, stack: key.stack, outcome: 'running', limit: 20 })) {
    if (run.kind === 'apply' || run.kind === 'remediate') {
      await store.finishRun(run.id, 'interrupted', run.summary, run.results, 'the process stopped during the apply');
    }
  }
  return notes;
}

/**
 * After an interrupted apply, let each provider remove what its cut-short calls left (say, temporary
 * files) around the stack's resources: `Session.recover`, once per session. Returns one line per
 * thing removed; a provider that fails here is reported and does not stop the apply.
 */
export async function recoverProviders(resources: Iterable<ResourceWithSpec>, sessionFor: (apiVersion: string) => Session | undefined): Promise<string[]> {
  const bySession = new Map<Session, ResourceWithSpec[]>();
  for (const r of resources) {
    const session = sessionFor(r.apiVersion);
    if (!session?.recover) continue;
    let list = bySession.get(session);
    if (!list) bySession.set(session, (list = []));
    list.push(r);
  }
  const notes: string[] = [];
  for (const [session, list] of bySession) {
    const apiVersion = list[0].apiVersion;
    try {
      notes.push(...(await session.recover!(list)).map((line) => `${apiVersion}: ${line}`));
    } catch (err) {
      notes.push(`${apiVersion}: could not clean up after the interrupted apply: ${(err as Error).message}`);
    }
  }
  return notes;
}
