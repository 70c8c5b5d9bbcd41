/**
 * What the plans read of state: each stack's serial, applied commit and recorded resources. Read
 * again only when the serial moved (the service stays warm). A CLI `plan` on embedded state reads
 * them from the data dir's snapshot while it is current, and does not start the store at all
 * (src/state/snapshot.ts); when it had to start it, it leaves a fresh snapshot for the next one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shareWithManifest, type DesiredSet } from '../plan/desired.js';
import type { RecordedResource } from '../plan/model.js';
import { Snapshot, snapshotKey, writeSnapshot, type SnapshotStack } from '../state/snapshot.js';
import type { StackKey, StateStore } from '../state/store.js';

type StackState = { serial: number; appliedCommit: string | null };

const NOTHING: SnapshotStack = { serial: 0, appliedCommit: null, resources: [] };

export class RecordedState {
  /** Recorded resources per stack with the serial they were read at: every state write bumps the serial. */
  private cache = new Map<string, { serial: number; resources: Map<string, RecordedResource> }>();
  /** The snapshot: undefined until looked at; null when there is none to use. */
  private snapshot?: { copy?: Snapshot; noStore: boolean } | null;
  /** What this process read from the store, for the next snapshot. */
  private read = new Map<string, SnapshotStack>();
  private states = new Map<string, StackState>();

  /**
   * `snapshotDir`: the data dir of an embedded store whose snapshot may stand in for it (a read-only
   * command); undefined: always read the store.
   */
  constructor(
    private readonly store: () => Promise<StateStore>,
    private readonly snapshotDir?: string,
    /** The store's fingerprint taken when the command started, before anything opened it (saves taking it again). */
    private readonly startFingerprint?: string | null,
  ) {}

  private snap(): { copy?: Snapshot; noStore: boolean } | null {
    if (this.snapshot === undefined) {
      this.snapshot = null;
      if (this.snapshotDir) {
        const stateDir = join(this.snapshotDir, 'state');
        // No store yet: nothing is recorded, and a plan need not create one to learn that.
        if (!existsSync(stateDir)) this.snapshot = { noStore: true };
        else {
          const copy = Snapshot.open(this.snapshotDir, stateDir, this.startFingerprint);
          if (copy) this.snapshot = { copy, noStore: false };
        }
      }
    }
    return this.snapshot;
  }

  /** A stack's serial and applied commit in the snapshot (undefined: not in it). */
  private snappedState(k: string): StackState | undefined {
    const s = this.snap();
    if (!s) return undefined;
    if (s.noStore) return NOTHING;
    return s.copy?.state(k);
  }

  async stackState(key: StackKey): Promise<StackState> {
    const k = snapshotKey(key.repo, key.stack);
    const hit = this.snappedState(k);
    if (hit) return { serial: hit.serial, appliedCommit: hit.appliedCommit };
    const state = await (await this.store()).stackState(key);
    this.states.set(k, state);
    return state;
  }

  /** The stack's recorded resources at `serial` (as stackState gave it). Callers must not mutate them. */
  async resources(key: StackKey, serial: number, desired?: DesiredSet): Promise<Map<string, RecordedResource>> {
    const k = snapshotKey(key.repo, key.stack);
    const hit = this.cache.get(k);
    if (hit && hit.serial === serial) return hit.resources;
    const share = desired ? (r: RecordedResource) => shareWithManifest(r, desired) : (r: RecordedResource) => r;
    const snapped = this.snappedState(k)?.serial === serial ? this.snapshotStack(k, share) : undefined;
    let resources: Map<string, RecordedResource>;
    if (snapped) resources = new Map(snapped.resources.map((r) => [r.id, r]));
    else {
      resources = await (await this.store()).resources(key, share);
      const state = this.states.get(k);
      if (this.snapshotDir && state?.serial === serial) this.read.set(k, { ...state, resources: [...resources.values()] });
    }
    this.cache.set(k, { serial, resources });
    return resources;
  }

  /** Some of the stack's recorded resources at `serial` (absent ids: not recorded). Callers must not mutate them. */
  async some(key: StackKey, serial: number, ids: string[]): Promise<Map<string, RecordedResource>> {
    const k = snapshotKey(key.repo, key.stack);
    const few = this.cache.get(k)?.serial === serial || this.snappedState(k)?.serial !== serial ? undefined : this.snap()?.copy?.records(k, ids);
    const all = few ? new Map(few.map((r) => [r.id, r])) : await this.resources(key, serial);
    const out = new Map<string, RecordedResource>();
    for (const id of ids) {
      const r = all.get(id);
      if (r) out.set(id, r);
    }
    return out;
  }

  private snapshotStack(k: string, each: (r: RecordedResource) => RecordedResource): SnapshotStack | undefined {
    const s = this.snap();
    return s?.noStore ? NOTHING : s?.copy?.stack(k, each);
  }

  /**
   * After the store closed: when this process read stacks from it and changed none of their rows,
   * leave the snapshot of them (with those of the snapshot it found, still current) for the next plan.
   */
  afterClose(store: StateStore | undefined, fingerprintNow: () => string | null): void {
    if (!this.snapshotDir || !store || store.wroteState || !this.read.size) return;
    try {
      const fingerprint = fingerprintNow();
      if (fingerprint) writeSnapshot(this.snapshotDir, fingerprint, this.read, this.snapshot?.copy);
    } catch {
      /* only a cache: the next plan reads the store */
    }
  }
}
