/**
 * The journal writes of one run, group-committed. Each step still waits for its entry to be stored
 * before its provider call, and for its outcome to be stored before it counts as done (and frees
 * its slot); steps that run together share the statements.
 */
import type { RecordedResource } from '../plan/model.js';
import type { JournalEffect, StackKey, StateStore } from '../state/store.js';

export interface JournalWriter {
  /** Write the entry that precedes a provider call; resolves with its id once it is stored. */
  start(resourceId: string, operation: string, resource: RecordedResource): Promise<number>;
  /** The call succeeded: the entry says ok and state records `effect`; resolves once stored. */
  done(entry: number, effect: JournalEffect): Promise<void>;
  /** The call failed: the entry says so, with the (redacted) message. */
  failed(entry: number, message: string): Promise<void>;
}

/** Most writes in one statement (a statement's parameters are bounded: 10 per resource). */
const MOST = 200;

/**
 * How long a step's outcome waits for those of the provider calls still running before it is
 * written (PostgreSQL's commit_delay, with the calls in flight as its siblings); it is written as
 * soon as no call is running. Local changes finish a fraction of a millisecond apart, and a
 * statement per step was most of an apply's CPU on embedded state (bench/analysis.md). When the
 * outcomes of the steps of one slot-full are written together, their slots free together, and the
 * entries of the steps that take them are written together too.
 */
export const COMMIT_DELAY_MS = 3;

export function journalWriter(store: StateStore, runId: number, key: StackKey): JournalWriter {
  // Entries stored whose outcome has not been handed in yet: their provider calls are running.
  let calling = 0;
  const starts = groupCommit<{ resourceId: string; operation: string; resource: RecordedResource }, number>(
    () => true,
    (items) => store.journalStartMany(runId, key, items),
  );
  const dones = groupCommit<{ id: number; effect: JournalEffect }, void>(
    () => calling === 0,
    async (items) => {
      await store.journalDoneMany(key, items);
      return items.map(() => undefined);
    },
  );
  return {
    async start(resourceId, operation, resource) {
      const id = await starts.push({ resourceId, operation, resource });
      calling++;
      return id;
    },
    done(id, effect) {
      calling--;
      return dones.push({ id, effect });
    },
    async failed(id, message) {
      calling--;
      dones.nudge();
      await store.journalFinish(id, 'failed', message);
    },
  };
}

interface Waiter<I, O> {
  item: I;
  resolve(o: O): void;
  reject(err: unknown): void;
}

/**
 * Calls gathered into batches. A batch is written one turn of the event loop after its first call
 * (an embedded store runs its statements synchronously: steps whose provider calls returned
 * meanwhile queue only once the loop has turned), and when `complete()` says nothing more is
 * coming, or COMMIT_DELAY_MS after its first call. Calls made while a batch is written go in the
 * next. A batch that fails is written again one by one, so a write that only one item breaks fails
 * that item alone.
 */
function groupCommit<I, O>(complete: () => boolean, write: (items: I[]) => Promise<O[]>) {
  const queue: Waiter<I, O>[] = [];
  let busy = false;
  let kick: (() => void) | undefined;
  const writeBatch = async (batch: Waiter<I, O>[]): Promise<void> => {
    try {
      const out = await write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      for (const w of batch) await writeBatch([w]);
    }
  };
  const gathered = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    if (complete()) return;
    await new Promise<void>((r) => {
      const timer = setTimeout(r, COMMIT_DELAY_MS);
      kick = () => {
        clearTimeout(timer);
        r();
      };
    });
    kick = undefined;
  };
  const drain = async (): Promise<void> => {
    while (queue.length) {
      await gathered();
      await writeBatch(queue.splice(0, MOST));
    }
    busy = false;
  };
  const nudge = () => {
    if (kick && complete()) kick();
  };
  return {
    push: (item: I): Promise<O> =>
      new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!busy) {
          busy = true;
          void drain();
        } else nudge();
      }),
    nudge,
  };
}
