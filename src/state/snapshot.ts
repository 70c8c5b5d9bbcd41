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
 * A stack file is the records in chunks of CHUNK, each serialized alone, then a header (its key,
 * serial, applied commit, resource ids and where each chunk ends, in V8's serialization format),
 * then the header's length in its last 4 bytes: written a chunk at a time as the records are
 * serialized. A plan that needs a few records (a patched plan, see engine/plan-patch.ts) reads the
 * header and their chunks, not the whole stack.
 *
 * It holds the state rows as the store holds them (secrets are never in state, so never here), and
 * is written with mode 0600 like the store's own files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { RecordedResource } from '../plan/model.js';
import { migrations } from './migrations/index.js';

/** Bumped when what the files hold changes shape. */
const FORMAT = 4;
/** Records per chunk of a stack file. */
const CHUNK = 256;
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

/** The head of a stack file; `ends[i]` is where chunk i ends, counted from the start of the file. */
interface StackHead {
  format: number;
  generation: string;
  key: string;
  serial: number;
  appliedCommit: string | null;
  ids: string[];
  ends: number[];
}

/** A fingerprint of every file under the store's directory; null when there is no store. */
export function storeFingerprint(stateDir: string): string | null {
  // Walked by hand: readdirSync's `recursive` costs 2-3 times as much (a path.relative per entry;
  // 36-51 ms against 15 ms for the embedded store's 1,006 files).
  const names: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(rel ? join(stateDir, rel) : stateDir, { withFileTypes: true })) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(name);
      else names.push(name);
    }
  };
  try {
    walk('');
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
  private heads = new Map<string, StackHead | null>();

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

  /** A stack's serial and applied commit, or undefined when the copy does not hold it (whole and of this generation). */
  state(key: string): { serial: number; appliedCommit: string | null } | undefined {
    const h = this.head(key);
    return h ? { serial: h.serial, appliedCommit: h.appliedCommit } : undefined;
  }

  /** One stack, or undefined when the copy does not hold it. */
  stack(key: string, each: (r: RecordedResource) => RecordedResource = (r) => r): SnapshotStack | undefined {
    const h = this.head(key);
    if (!h) return undefined;
    // A chunk at a time: the file's bytes (13 MB for 10,000 records) are never held at once, and
    // `each` (which may swap a record's parts for equal ones already held) sees a chunk as it is read.
    const resources: RecordedResource[] = [];
    for (let c = 0; c < h.ends.length; c++) {
      const chunk = this.chunk(key, h, c);
      if (!chunk) return undefined;
      for (const r of chunk) resources.push(each(r));
    }
    // The head's ids (kept for `records`) are the records' own strings from now on, which `each`
    // may have swapped for the manifests': its copies go (100,000 ids: about 5 MB).
    if (h.ids.length === resources.length) for (let i = 0; i < resources.length; i++) h.ids[i] = resources[i].id;
    return { serial: h.serial, appliedCommit: h.appliedCommit, resources };
  }

  /** The records of some of a stack's resources (absent ids: not recorded), or undefined when the copy does not hold the stack. */
  records(key: string, ids: readonly string[]): RecordedResource[] | undefined {
    const h = this.head(key);
    if (!h) return undefined;
    const wanted = new Set(ids);
    const chunks = new Set<number>();
    h.ids.forEach((id, i) => wanted.has(id) && chunks.add(Math.floor(i / CHUNK)));
    const out: RecordedResource[] = [];
    for (const c of [...chunks].sort((a, b) => a - b)) {
      const chunk = this.chunk(key, h, c);
      if (!chunk) return undefined;
      for (const r of chunk) if (wanted.has(r.id)) out.push(r);
    }
    return out;
  }

  /** The records of chunk `c` of a stack's file, or undefined when the file is missing or shorter. */
  private chunk(key: string, h: StackHead, c: number): RecordedResource[] | undefined {
    const from = c ? h.ends[c - 1] : 0;
    const bytes = this.read(key, from, h.ends[c] - from);
    return bytes && (deserialize(bytes) as RecordedResource[]);
  }

  /** The head of a stack's file (at its end, see the module comment); null when the copy does not hold the stack. */
  private head(key: string): StackHead | null {
    let h = this.heads.get(key);
    if (h !== undefined) return h;
    h = null;
    try {
      const size = statSync(stackFile(this.dataDir, key)).size;
      const len = size >= 4 ? this.read(key, size - 4, 4)?.readUInt32LE(0) : undefined;
      const bytes = len && len <= size - 4 ? this.read(key, size - 4 - len, len) : undefined;
      const head = bytes && (deserialize(bytes) as StackHead);
      if (head?.format === FORMAT && head.generation === this.generation && head.key === key) h = head;
    } catch {
      /* not a stack file of ours */
    }
    this.heads.set(key, h);
    return h;
  }

  /** `length` bytes of a stack's file from `position`; undefined when the file is missing or shorter. */
  private read(key: string, position: number, length: number): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(stackFile(this.dataDir, key), 'r');
    } catch {
      return undefined;
    }
    try {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, position + got);
        if (n === 0) return undefined;
        got += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Write a stack's file to `fd`: its chunks as each is serialized, then its head (which names where
 * each chunk ends), then the head's length. Neither the whole file nor all the chunks are held at
 * once: joined in memory they doubled the records' bytes (100,000 records: 250 MB for a moment).
 */
function writeStackFile(fd: number, generation: string, key: string, stack: SnapshotStack): void {
  const ends: number[] = [];
  let end = 0;
  for (let i = 0; i < stack.resources.length; i += CHUNK) {
    const c = serialize(stack.resources.slice(i, i + CHUNK));
    writeAll(fd, c);
    ends.push((end += c.length));
  }
  const ids = stack.resources.map((r) => r.id);
  const head = serialize({ format: FORMAT, generation, key, serial: stack.serial, appliedCommit: stack.appliedCommit, ids, ends } satisfies StackHead);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  writeAll(fd, head);
  writeAll(fd, len);
}

/**
 * Write the copy of `stacks` (call it after the store closed, having written nothing): in the
 * generation of `current` (a copy found current when the command started: its other stacks stay
 * valid), or a new one; then `current` moves to `fingerprint`, the store's as it is now.
 */
export function writeSnapshot(dataDir: string, fingerprint: string, stacks: Map<string, SnapshotStack>, current?: Snapshot): void {
  mkdirSync(join(dataDir, DIR), { recursive: true, mode: 0o700 });
  const generation = current?.generation ?? randomBytes(8).toString('hex');
  const put = (file: string, write: (fd: number) => void) => {
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      write(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  };
  for (const [key, stack] of stacks) put(stackFile(dataDir, key), (fd) => writeStackFile(fd, generation, key, stack));
  const pointer = JSON.stringify({ format: FORMAT, schema: SCHEMA, fingerprint, generation } satisfies Current);
  put(join(dataDir, DIR, CURRENT), (fd) => writeAll(fd, pointer));
}

/** Write all of `data` at the file's position (writeSync may write less than asked). */
function writeAll(fd: number, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}
