/**
 * Plans of unchanged stacks, reused by the CLI's `plan --no-refresh` on embedded state: a stack
 * whose last plan changed nothing, and whose every input is as it was then, gets that plan again
 * (at the new commit) instead of being loaded and planned. A one-file commit in a repository of
 * many stacks then plans one stack, as Atlantis plans only the projects a change touches.
 *
 * The inputs, hashed into one key per stack: the stack's tree, driftless.yaml as parsed, the schema
 * digest (driftless's version, every kind's schema, the repository's schemas), the server's targets
 * (secret values print as `(secret)`: none is hashed), and the store's files (every path, size,
 * modification time and inode, as the state snapshot takes them: any process that opens the store
 * changes them). Only plans with nothing to do, no error and no diagnostic are kept, of stacks with
 * no `!secret` (a missing secret is an error that depends on the environment) and no `!ref` to
 * another stack (whose outputs another plan may change). A stack another stack refers to is planned
 * whenever that one is (see plan-stacks.ts). The file is written with the data-dir lock held.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../plan/model.js';
import type { DesiredSet } from '../plan/desired.js';
import { storeFingerprint } from '../state/snapshot.js';

const FILE = 'plan-reuse.json';
/** Bumped when what the file holds, or what a key covers, changes. */
const FORMAT = 1;

interface ReuseFile {
  format: number;
  /** The store's fingerprint the plans were made against. */
  fingerprint: string;
  stacks: Record<string, { key: string; plan: Plan }>;
}

export class PlanReuse {
  private file?: ReuseFile | null;
  private fresh = new Map<string, { key: string; plan: Plan }>();
  /** The store's fingerprint when this command started (null: no store yet). */
  readonly startFingerprint: string | null;

  constructor(private readonly dataDir: string) {
    this.startFingerprint = storeFingerprint(join(dataDir, 'state'));
  }

  /** The part of every stack's key that the stacks share: driftless.yaml, the schemas, the targets. Pure. */
  static sharedKey(parts: { repoConfig: unknown; schemaDigest: string; targets: unknown }): string {
    return createHash('sha256')
      .update(JSON.stringify([FORMAT, parts]))
      .digest('hex');
  }

  /** The key of a stack's inputs (see the module comment): the shared part, and the stack's tree. Pure. */
  static key(shared: string, stack: string, treeOid: string | null): string {
    return createHash('sha256')
      .update(JSON.stringify([shared, stack, treeOid]))
      .digest('hex');
  }

  /** The kept plan of `stack` under `key`, at `commit`; undefined when there is none or its inputs changed. */
  lookup(stack: string, key: string, commit: string): Plan | undefined {
    const f = this.read();
    const kept = f && f.fingerprint === this.startFingerprint ? f.stacks[stack] : undefined;
    if (!kept || kept.key !== key) return undefined;
    return { ...kept.plan, commit };
  }

  /** Keep a stack's plan for the next command, when it may be reused (see the module comment). */
  keep(stack: string, key: string, plan: Plan, desired: DesiredSet): void {
    if (plan.changes.length || plan.errors.length || plan.drift.length) return;
    for (const d of desired.resources.values()) if (d.secretPaths.length || d.refs.some((r) => r.ref.stack !== undefined)) return;
    this.fresh.set(stack, { key, plan });
  }

  /**
   * After the store closed, with the data-dir lock still held: write the kept plans (with those of
   * the file that still hold) under the store's fingerprint now, unless this command wrote state.
   */
  afterClose(wroteState: boolean, fingerprintNow: () => string | null): void {
    if (wroteState) return;
    const fingerprint = fingerprintNow();
    if (!fingerprint) return;
    const prior = this.read();
    // The file's other stacks hold if they were kept for the state this command started from: it
    // wrote nothing, so opening the store (which changes its files) left that state as it was.
    const carried = prior && prior.fingerprint === this.startFingerprint ? prior : undefined;
    if (!this.fresh.size && (!carried || carried.fingerprint === fingerprint)) return; // nothing new to say
    const stacks = carried ? { ...carried.stacks } : {};
    for (const [s, v] of this.fresh) stacks[s] = v;
    const body: ReuseFile = { format: FORMAT, fingerprint, stacks };
    try {
      const tmp = join(this.dataDir, `${FILE}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
      renameSync(tmp, join(this.dataDir, FILE));
    } catch {
      /* only a cache: the next plan plans every stack */
    }
  }

  private read(): ReuseFile | null {
    if (this.file !== undefined) return this.file;
    this.file = null;
    try {
      const v = JSON.parse(readFileSync(join(this.dataDir, FILE), 'utf8')) as ReuseFile;
      if (v?.format === FORMAT && typeof v.fingerprint === 'string' && v.stacks && typeof v.stacks === 'object') this.file = v;
    } catch {
      /* none, or not ours: nothing to reuse */
    }
    return this.file;
  }
}
