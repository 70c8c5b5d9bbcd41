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
 *
 * A kept plan whose stack's tree changed may still be patched by the files that changed (see
 * plan-patch.ts): for that it also keeps the tree it was made at and the stack's index.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../plan/model.js';
import type { DesiredSet } from '../plan/desired.js';
import { storeFingerprint } from '../state/snapshot.js';
import { PatchIndex, patchIndexChunks } from './patch-index.js';

const FILE = 'plan-reuse.json';
/** Bumped when what the file holds, or what a key covers, changes. */
const FORMAT = 2;

/**
 * What a kept plan needs to be patched by a later commit's changed files (see plan/patch.ts): the
 * shared part of its key, the stack's tree it was made at, and the name of the file beside this one
 * that holds the stack's index (`plan-reuse.<deps>.deps`, see patch-index.ts: its resources, their
 * dependencies and natural keys), read only by a patch, and only for the resources it plans).
 */
export interface PatchBase {
  shared: string;
  tree: string;
  deps: string;
}

interface Kept {
  key: string;
  plan: Plan;
  /** Present when the plan may be patched (plan/patch.ts says when). */
  base?: PatchBase;
}

const depsFile = (token: string) => `${FILE.replace(/\.json$/, '')}.${token}.deps`;

interface ReuseFile {
  format: number;
  /** The store's fingerprint the plans were made against. */
  fingerprint: string;
  stacks: Record<string, Kept>;
}

export class PlanReuse {
  private file?: ReuseFile | null;
  private fresh = new Map<string, Kept>();
  /** Dependency files written for the kept plans, by name: where each was written, to rename or remove at the end. */
  private depsFiles = new Map<string, string>();
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

  /**
   * The kept plan of `stack` to patch, when its shared inputs (`shared`) are as they were and it may
   * be patched: with the tree it was made at and the stack's index (undefined without a whole one).
   */
  patchBase(stack: string, shared: string): { plan: Plan; base: PatchBase; index: PatchIndex } | undefined {
    const f = this.read();
    const kept = f && f.fingerprint === this.startFingerprint ? f.stacks[stack] : undefined;
    if (kept?.base?.shared !== shared) return undefined;
    let index: PatchIndex | undefined;
    try {
      index = PatchIndex.of(readFileSync(join(this.dataDir, depsFile(kept.base.deps)), 'utf8'), kept.base.deps);
    } catch {
      return undefined;
    }
    return index && { plan: kept.plan, base: kept.base, index };
  }

  /**
   * Keep a stack's plan for the next command, when it may be reused (see the module comment).
   * `patch`: the shared part of its key and its tree, when no resource of the stack is spread over
   * hosts; the plan is then kept as a base to patch (plan/patch.ts) when nothing in it has a trigger.
   */
  keep(stack: string, key: string, plan: Plan, desired: DesiredSet, patch?: { shared: string; tree: string | null }): void {
    if (plan.changes.length || plan.errors.length || plan.drift.length) return;
    let patchable = !!patch?.tree;
    for (const d of desired.resources.values()) {
      if (d.secretPaths.length || d.refs.some((r) => r.ref.stack !== undefined)) return;
      if (d.refs.length || d.info?.triggers) patchable = false;
    }
    let base: PatchBase | undefined;
    if (patchable && patch?.tree) {
      const token = randomBytes(8).toString('hex');
      if (this.writeDeps(depsFile(token), patchIndexChunks(token, desired))) base = { shared: patch.shared, tree: patch.tree, deps: token };
    }
    this.fresh.set(stack, { key, plan, base });
  }

  /** Keep a patched plan with nothing to do (a commit that changed no resource) as the base of the next one, at its tree. */
  keepPatched(stack: string, key: string, plan: Plan, base: PatchBase, tree: string): void {
    if (plan.changes.length || plan.errors.length) return;
    this.fresh.set(stack, { key, plan, base: { ...base, tree } });
  }

  /**
   * After the store closed, with the data-dir lock still held: write the kept plans (with those of
   * the file that still hold) under the store's fingerprint now, unless this command wrote state.
   */
  afterClose(wroteState: boolean, fingerprintNow: () => string | null): void {
    try {
      if (!wroteState) this.write(fingerprintNow);
    } catch {
      /* only a cache: the next plan plans every stack */
    } finally {
      for (const tmp of this.depsFiles.values()) rmSync(tmp, { force: true }); // those not renamed
    }
  }

  private write(fingerprintNow: () => string | null): void {
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
    // The dependency files first: a plan file never names one that is not whole.
    for (const [name, tmp] of this.depsFiles) {
      renameSync(tmp, join(this.dataDir, name));
      this.depsFiles.delete(name);
    }
    const tmp = join(this.dataDir, `${FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    renameSync(tmp, join(this.dataDir, FILE));
    const named = new Set(Object.values(stacks).flatMap((k) => (k.base ? [depsFile(k.base.deps)] : [])));
    // Unnamed dependency files go, and temporary files a killed command left (the data-dir lock keeps
    // every other command out: none is being written).
    for (const name of readdirSync(this.dataDir))
      if ((/^plan-reuse\.[0-9a-f]{16}\.deps$/.test(name) && !named.has(name)) || /^plan-reuse\..*\.tmp$/.test(name))
        rmSync(join(this.dataDir, name), { force: true });
  }

  /**
   * Write a dependency file's pieces to a temporary file beside it, renamed by afterClose. False
   * when it could not be written (the plan is then kept without a base to patch).
   */
  private writeDeps(name: string, chunks: Iterable<string>): boolean {
    const tmp = join(this.dataDir, `${name}.${process.pid}.tmp`);
    let fd: number | undefined;
    try {
      fd = openSync(tmp, 'w', 0o600);
      for (const c of chunks) writeSync(fd, c);
      this.depsFiles.set(name, tmp);
      return true;
    } catch {
      rmSync(tmp, { force: true });
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
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
