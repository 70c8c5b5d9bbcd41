/**
 * A read-only copy of the embedded store's stacks and resources, kept beside it in the data dir, so
 * that a `plan` finds the recorded state without starting PostgreSQL (PGlite's start costs about a
 * second of CPU and tens of megabytes). It is valid only while the store's files are exactly as they
 * were when it was written: it carries a fingerprint of every file of the store (path, size,
 * modification time in nanoseconds), taken after the store was closed. Any process that opens the
 * store changes those files (start-up, its writes, the shutdown checkpoint), so a copy written
 * before cannot be mistaken for the current state, even after a crash. The data-dir lock keeps
 * other processes out while it is read or written.
 *
 * It is a folder: one file per stack, read only when a plan needs that stack (a plan of one stack of
 * many reads one), and `current`, which names the fingerprint and the generation the stack files
 * belong to. A stack file of another generation is ignored. When a plan had to start the store (and
 * wrote nothing), it rewrites the files of the stacks it read and moves `current` to the store's new
 * fingerprint, keeping the generation when the copy it found was current (its other stack files stay
 * valid), starting a new one otherwise.
 *
 * It holds the state rows as the store holds them (secrets are never in state, so never here), and
 * is written with mode 0600 like the store's own files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { RecordedResource } from '../plan/model.js';
import { migrations } from './migrations/index.js';

/** Bumped when what the files hold changes shape. */
const FORMAT = 2;
/** The core tables the copy holds are shaped by these migrations. */
const SCHEMA = migrations.map((m) => m.version).join(',');
const DIR = 'state-snapshot';
const CURRENT = 'current';

export interface SnapshotStack {
  serial: number;
  appliedCommit: string | null;
  resources: RecordedResource[];
}

interface Current {
  format: number;
  schema: string;
  fingerprint: string;
  generation: string;
}

interface StackFile {
  format: number;
  generation: string;
  key: string;
  stack: SnapshotStack;
}

/** A fingerprint of every file under the store's directory; null when there is no store. */
export function storeFingerprint(stateDir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(stateDir, { recursive: true }) as string[];
  } catch {
    return null;
  }
  names.sort();
  const h = createHash('sha256');
  for (const name of names) {
    const st = statSync(join(stateDir, name), { bigint: true, throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue;
    h.update(`${name}\0${st.size}\0${st.mtimeNs}\0${st.ino}\n`);
  }
  return h.digest('hex');
}

export const snapshotKey = (repo: string, stack: string) => `${repo}\u0000${stack}`;

const stackFile = (dataDir: string, key: string) => join(dataDir, DIR, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.bin`);

/** The copy in `dataDir` while it matches the store's files as they are now: its stacks, read when asked for. */
export class Snapshot {
  private constructor(
    private readonly dataDir: string,
    readonly generation: string,
  ) {}

  /**
   * The copy, when its `current` matches the store's files now (`fingerprint`: theirs, when the
   * caller has just taken it); undefined otherwise.
   */
  static open(dataDir: string, stateDir: string, fingerprint: string | null = storeFingerprint(stateDir)): Snapshot | undefined {
    let c: Current;
    try {
      c = JSON.parse(readFileSync(join(dataDir, DIR, CURRENT), 'utf8')) as Current;
    } catch {
      return undefined;
    }
    if (c?.format !== FORMAT || c.schema !== SCHEMA || typeof c.generation !== 'string' || c.fingerprint !== fingerprint) return undefined;
    return new Snapshot(dataDir, c.generation);
  }

  /** One stack, or undefined when the copy does not hold it (whole and of this generation). */
  stack(key: string): SnapshotStack | undefined {
    try {
      const f = deserialize(readFileSync(stackFile(this.dataDir, key))) as StackFile;
      return f?.format === FORMAT && f.generation === this.generation && f.key === key ? f.stack : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Write the copy of `stacks` (call it after the store closed, having written nothing): in the
 * generation of `current` (a copy found current when the command started: its other stacks stay
 * valid), or a new one; then `current` moves to `fingerprint`, the store's as it is now.
 */
export function writeSnapshot(dataDir: string, fingerprint: string, stacks: Map<string, SnapshotStack>, current?: Snapshot): void {
  mkdirSync(join(dataDir, DIR), { recursive: true, mode: 0o700 });
  const generation = current?.generation ?? randomBytes(8).toString('hex');
  const put = (file: string, data: string | Buffer) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
  };
  for (const [key, stack] of stacks) put(stackFile(dataDir, key), serialize({ format: FORMAT, generation, key, stack } satisfies StackFile));
  put(join(dataDir, DIR, CURRENT), JSON.stringify({ format: FORMAT, schema: SCHEMA, fingerprint, generation } satisfies Current));
}
