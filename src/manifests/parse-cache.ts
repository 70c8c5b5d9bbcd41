/**
 * The persistent parse cache: each manifest file's parsed and validated result, by git blob id,
 * in the data dir, so that a new process (a CLI run, a restarted service) parses only the files
 * that changed. Entries live in segment files of one schema digest (the schemas, the parser's
 * version): a schema change makes every older entry unreachable, and the next compaction deletes it.
 *
 * A segment is a header line, one line per entry (`OID JSON`), and a last line with the SHA-256 of
 * all before it. It is written and read a line at a time: a reader indexes the lines and parses an
 * entry only when it is asked for, and a compaction copies lines without parsing them, so no step
 * holds the whole cache as one string or one parsed value.
 *
 * Safe against a crash mid-write: a segment is written to a temporary name and renamed into place,
 * so a reader sees a whole segment or none; a segment that does not check (truncated, corrupted,
 * another format) is ignored, never trusted.
 * Several processes may share the directory: names are unique, and a segment deleted under a
 * reader is a miss. Bounded: past `maxSegments` segments or `maxBytes`, the next write compacts
 * them into one, dropping other digests' segments, and the entries not in use now if still too big.
 * Every I/O error is a miss (or a write skipped): the cache never fails a command.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEntry, encodeEntry } from './parse-cache-codec.js';

const MAGIC = 'driftless-parse-cache 2';
const SUFFIX = '.seg';
const END = 'end ';
const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** Bytes gathered before one write. */
const CHUNK = 1 << 20;

export interface ParseCacheOptions {
  /** Compact past this many segments of one digest. */
  maxSegments?: number;
  /** Bytes the directory may hold (a compaction keeps only the entries in use beyond it). */
  maxBytes?: number;
}

interface Segment {
  file: string;
  digest: string;
  bytes: number;
}

/** One entry's line in a segment read into memory: its JSON is `bytes[start, end)`. */
interface Line {
  bytes: Buffer;
  start: number;
  end: number;
}

export class ParseCache {
  private readonly maxSegments: number;
  private readonly maxBytes: number;
  /** Entries read from disk, by digest then blob id (parsed only when asked for: most are read once). */
  private loaded = new Map<string, Map<string, Line>>();
  stats = { segmentsRead: 0, segmentsIgnored: 0, written: 0, compactions: 0 };

  constructor(
    readonly dir: string,
    opts: ParseCacheOptions = {},
  ) {
    this.maxSegments = opts.maxSegments ?? 16;
    this.maxBytes = opts.maxBytes ?? 256 * 2 ** 20;
  }

  /** The cached values of `oids` under `digest` (those found). */
  get(digest: string, oids: readonly string[]): Map<string, unknown> {
    const entries = this.entries(digest);
    const out = new Map<string, unknown>();
    for (const oid of oids) {
      const line = entries.get(oid);
      if (line === undefined) continue;
      entries.delete(oid); // decoded once: the caller keeps the value
      const v = decodeLine(line);
      if (v !== null) out.set(oid, v);
    }
    return out;
  }

  /**
   * Store new results under `digest` as one segment; `inUse` are the blob ids the caller uses now
   * (kept by a compaction that must shrink the cache). Values that cannot be encoded exactly are
   * left out.
   */
  put(digest: string, results: ReadonlyMap<string, unknown>, inUse: ReadonlySet<string>): void {
    const s = this.stream(digest);
    if (s) {
      for (const [oid, v] of results) s.add(oid, v);
      s.finish();
      return;
    }
    try {
      this.compact(digest, results, this.segments(), inUse);
    } catch {
      // A read-only or full disk: the results stay in memory only.
    }
  }

  /**
   * A new segment under `digest`, written while the caller makes its results: each is encoded as it
   * is added, so none waits in a map for the end (at 10,000 manifests that map and its encoding
   * were 15 MB of a cold plan's peak). Null when the next write must compact (then `put` the
   * results) or the directory cannot be written. A failed write abandons the segment.
   */
  stream(digest: string): { add(oid: string, value: unknown): void; finish(): void; abandon(): void } | null {
    let w: SegmentWriter;
    try {
      mkdirSync(this.dir, { recursive: true });
      if (this.mustCompact(digest, this.segments())) return null;
      w = new SegmentWriter(this.dir, digest);
    } catch {
      return null;
    }
    let broken = false;
    const guard = (fn: () => void) => {
      if (broken) return;
      try {
        fn();
      } catch {
        broken = true;
        w.abandon();
      }
    };
    return {
      add: (oid, value) => guard(() => w.entry(oid, value)),
      finish: () =>
        guard(() => {
          if (w.entries) {
            w.finish();
            this.stats.written++;
          } else w.abandon();
        }),
      abandon: () => w.abandon(),
    };
  }

  /** Whether one more segment of `digest` must be a compaction: too many, too big, or other digests to drop. */
  private mustCompact(digest: string, segments: Segment[]): boolean {
    const mine = segments.filter((s) => s.digest === digest);
    const total = segments.reduce((n, s) => n + s.bytes, 0);
    return mine.length + 1 > this.maxSegments || total > this.maxBytes || mine.length < segments.length;
  }

  /**
   * One segment replacing all: this digest's entries still readable (their lines copied as they
   * are), then the fresh ones. Past `maxBytes`, only the entries in use are kept.
   */
  private compact(digest: string, fresh: ReadonlyMap<string, unknown>, segments: Segment[], inUse: ReadonlySet<string>): void {
    const merged = new Map<string, Line | { value: unknown }>();
    for (const s of segments) if (s.digest === digest) for (const [oid, line] of this.readSegment(s.file, digest) ?? []) merged.set(oid, line);
    for (const [oid, value] of fresh) merged.set(oid, { value });
    let size = 0;
    for (const e of merged.values()) size += 'bytes' in e ? e.end - e.start + 42 : 0;
    const keepAll = size <= this.maxBytes;
    const w = new SegmentWriter(this.dir, digest);
    try {
      for (const [oid, e] of merged) {
        if (!keepAll && !inUse.has(oid)) continue;
        if ('bytes' in e) w.line(oid, e.bytes, e.start, e.end);
        else w.entry(oid, e.value);
        if (w.bytes > this.maxBytes) break;
      }
      if (w.bytes <= this.maxBytes && w.entries) w.finish();
    } finally {
      w.abandon();
    }
    for (const s of segments) this.remove(s.file);
    for (const f of this.listFiles()) if (f.includes('.tmp-')) this.remove(f);
    this.stats.compactions++;
  }

  /** Every entry under `digest` on disk (unparsed), read once per process. */
  private entries(digest: string): Map<string, Line> {
    let m = this.loaded.get(digest);
    if (m) return m;
    m = new Map();
    for (const s of this.segments()) {
      if (s.digest !== digest) continue;
      for (const [oid, line] of this.readSegment(s.file, digest) ?? []) m.set(oid, line);
    }
    this.loaded.set(digest, m);
    return m;
  }

  /** A segment's entry lines, or null when it does not check (and is then ignored). */
  private readSegment(file: string, digest: string): Map<string, Line> | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.dir, file));
    } catch {
      return null; // deleted by another process's compaction: a miss
    }
    const lines = segmentLines(bytes, digest);
    if (!lines) {
      this.stats.segmentsIgnored++;
      return null;
    }
    this.stats.segmentsRead++;
    return lines;
  }

  private segments(): Segment[] {
    const out: Segment[] = [];
    for (const file of this.listFiles()) {
      if (!file.endsWith(SUFFIX)) continue;
      try {
        out.push({ file, digest: file.slice(0, file.indexOf('-')), bytes: statSync(join(this.dir, file)).size });
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  private listFiles(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  private remove(file: string): void {
    try {
      unlinkSync(join(this.dir, file));
    } catch {
      // already gone
    }
  }
}

/**
 * Writes one segment a line at a time to a temporary file, hashing what it writes, and renames it
 * into place on `finish` (`abandon` removes a segment left unfinished).
 */
class SegmentWriter {
  private readonly name: string;
  private readonly tmp: string;
  private fd: number;
  private hash: Hash = createHash('sha256');
  /** Lines not written yet: entries as text (no Buffer per entry), copied lines as bytes. */
  private pending: (string | Buffer)[] = [];
  private pendingBytes = 0;
  bytes = 0;
  entries = 0;

  constructor(
    private readonly dir: string,
    digest: string,
  ) {
    this.name = `${digest}-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}${SUFFIX}`;
    this.tmp = join(dir, `${this.name}.tmp-${process.pid}`);
    this.fd = openSync(this.tmp, 'w');
    this.push(`${MAGIC} ${digest}\n`);
  }

  /** A value's line (skipped when the value cannot be encoded exactly). */
  entry(oid: string, value: unknown): void {
    const e = encodeEntry(value);
    if (!e) return;
    // In three parts: one text of them is a rope that measuring it would copy whole.
    this.push(`${oid} `);
    this.push(e);
    this.push('\n');
    this.entries++;
  }

  /** A line read from another segment, as it is. */
  line(oid: string, bytes: Buffer, start: number, end: number): void {
    this.push(`${oid} `);
    this.push(bytes.subarray(start, end + 1)); // with its newline
    this.entries++;
  }

  private push(b: string | Buffer): void {
    const n = typeof b === 'string' ? Buffer.byteLength(b) : b.length;
    this.pending.push(b);
    this.pendingBytes += n;
    this.bytes += n;
    if (this.pendingBytes >= CHUNK) this.flush();
  }

  private flush(): void {
    const p = this.pending;
    const b = p.every((x) => typeof x === 'string') ? p.join('') : Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
    this.pending = [];
    this.pendingBytes = 0;
    this.hash.update(b);
    if (typeof b === 'string') writeSync(this.fd, b);
    else writeSync(this.fd, b);
  }

  finish(): void {
    this.flush();
    writeSync(this.fd, `${END}${this.hash.digest('hex')}\n`);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, join(this.dir, this.name));
  }

  abandon(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }
}

/**
 * A segment's entry lines by blob id, or null when it is not one whole segment of `digest`: the
 * header, lines of a blob id and JSON text, and the checksum line over all before it.
 */
function segmentLines(bytes: Buffer, digest: string): Map<string, Line> | null {
  const headEnd = bytes.indexOf(0x0a);
  if (headEnd < 0 || bytes.subarray(0, headEnd).toString('latin1') !== `${MAGIC} ${digest}`) return null;
  if (bytes.length < 2 || bytes[bytes.length - 1] !== 0x0a) return null;
  const lastStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  const last = bytes.subarray(lastStart, bytes.length - 1).toString('latin1');
  if (lastStart <= headEnd || last !== END + createHash('sha256').update(bytes.subarray(0, lastStart)).digest('hex')) return null;
  const out = new Map<string, Line>();
  for (let at = headEnd + 1; at < lastStart; ) {
    const nl = bytes.indexOf(0x0a, at);
    const space = bytes.indexOf(0x20, at);
    if (space < 0 || space > nl) return null;
    const oid = bytes.subarray(at, space).toString('latin1');
    if (!OID.test(oid)) return null;
    out.set(oid, { bytes, start: space + 1, end: nl });
    at = nl + 1;
  }
  return out;
}

/** An entry line's value, or null when it is not a well-formed entry. */
function decodeLine(line: Line): unknown {
  try {
    return decodeEntry(JSON.parse(line.bytes.toString('utf8', line.start, line.end)));
  } catch {
    return null;
  }
}
