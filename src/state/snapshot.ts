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
 * It holds the state rows as the store holds them (secrets are never in state, so never here), and
 * is written with mode 0600 like the store's own files.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { RecordedResource } from '../plan/model.js';
import { migrations } from './migrations/index.js';

/** Bumped when what the file holds changes shape. */
const FORMAT = 1;
/** The core tables the copy holds are shaped by these migrations. */
const SCHEMA = migrations.map((m) => m.version).join(',');
const FILE = 'state-snapshot.bin';

export interface SnapshotStack {
  serial: number;
  appliedCommit: string | null;
  resources: RecordedResource[];
}

interface SnapshotFile {
  format: number;
  schema: string;
  fingerprint: string;
  /** `repo\0stack` -> the stack. */
  stacks: [string, SnapshotStack][];
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

/** The copy in `dataDir`, when it matches the store's files as they are now; undefined otherwise. */
export function readSnapshot(dataDir: string, stateDir: string): Map<string, SnapshotStack> | undefined {
  let file: SnapshotFile;
  try {
    file = deserialize(readFileSync(join(dataDir, FILE))) as SnapshotFile;
  } catch {
    return undefined;
  }
  if (file?.format !== FORMAT || file.schema !== SCHEMA || file.fingerprint !== storeFingerprint(stateDir)) return undefined;
  return new Map(file.stacks);
}

/** Write the copy of `stacks`, fingerprinting the store as its files are now (call it after the store closed). */
export function writeSnapshot(dataDir: string, stateDir: string, stacks: Map<string, SnapshotStack>): void {
  const fingerprint = storeFingerprint(stateDir);
  if (!fingerprint) return;
  const file: SnapshotFile = { format: FORMAT, schema: SCHEMA, fingerprint, stacks: [...stacks] };
  const tmp = join(dataDir, `${FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, serialize(file), { mode: 0o600 });
  renameSync(tmp, join(dataDir, FILE));
}
