/**
 * The persistent parse cache: each manifest file's parsed and validated result, by git blob id,
 * in the data dir, so that a new process (a CLI run, a restarted service) parses only the files
 * that changed. Entries live in segment files of one schema digest (the schemas, the parser's
 * version): a schema change makes every older entry unreachable, and the next compaction deletes it.
 *
 * Safe against a crash mid-write: a segment is written to a temporary name and renamed into place,
 * so a reader sees a whole segment or none; each segment carries the SHA-256 of its body, and a
 * segment that does not check (truncated, corrupted, another format) is ignored, never trusted.
 * Several processes may share the directory: names are unique, and a segment deleted under a
 * reader is a miss. Bounded: past `maxSegments` segments or `maxBytes`, the next write compacts
 * them into one, dropping other digests' segments, and the entries not in use now if still too big.
 * Every I/O error is a miss (or a write skipped): the cache never fails a command.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEntry, encodeEntry, type Encoded } from './parse-cache-codec.js';

const MAGIC = 'driftless-parse-cache 1';
const SUFFIX = '.seg';

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

export class ParseCache {
  private readonly maxSegments: number;
  private readonly maxBytes: number;
  /** Entries read from disk, by digest then blob id (decoded lazily: most are read once). */
  private loaded = new Map<string, Map<string, unknown>>();
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
      const e = entries.get(oid);
      if (e === undefined) continue;
      const v = decodeEntry(e);
      entries.delete(oid); // decoded once: the caller keeps the value
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
    const fresh: [string, Encoded][] = [];
    for (const [oid, v] of results) {
      const e = encodeEntry(v);
      if (e) fresh.push([oid, e]);
    }
    if (!fresh.length) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const segments = this.segments();
      const mine = segments.filter((s) => s.digest === digest);
      const total = segments.reduce((n, s) => n + s.bytes, 0);
      if (mine.length + 1 > this.maxSegments || total > this.maxBytes || mine.length < segments.length) {
        this.compact(digest, fresh, segments, inUse);
      } else {
        this.write(digest, fresh);
      }
    } catch {
      // A read-only or full disk: the results stay in memory only.
    }
  }

  /** One segment replacing all: this digest's entries still readable, then the fresh ones. */
  private compact(digest: string, fresh: [string, Encoded][], segments: Segment[], inUse: ReadonlySet<string>): void {
    const merged = new Map<string, unknown>();
    for (const s of segments) if (s.digest === digest) for (const [oid, e] of this.readSegment(s.file, digest) ?? []) merged.set(oid, e);
    for (const [oid, e] of fresh) merged.set(oid, e);
    let list = [...merged];
    let body = JSON.stringify(list);
    if (body.length > this.maxBytes) {
      list = list.filter(([oid]) => inUse.has(oid));
      body = JSON.stringify(list);
    }
    if (body.length <= this.maxBytes) this.writeBody(digest, body);
    for (const s of segments) this.remove(s.file);
    for (const f of this.listFiles()) if (f.includes('.tmp-')) this.remove(f);
    this.stats.compactions++;
  }

  private write(digest: string, entries: [string, Encoded][]): void {
    this.writeBody(digest, JSON.stringify(entries));
  }

  private writeBody(digest: string, body: string): void {
    const sum = createHash('sha256').update(body).digest('hex');
    const name = `${digest}-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}${SUFFIX}`;
    const tmp = join(this.dir, `${name}.tmp-${process.pid}`);
    writeFileSync(tmp, `${MAGIC} ${digest} ${sum}\n${body}`);
    renameSync(tmp, join(this.dir, name));
    this.stats.written++;
  }

  /** Every entry under `digest` on disk (encoded), read once per process. */
  private entries(digest: string): Map<string, unknown> {
    let m = this.loaded.get(digest);
    if (m) return m;
    m = new Map();
    for (const s of this.segments()) {
      if (s.digest !== digest) continue;
      const list = this.readSegment(s.file, digest);
      if (!list) continue;
      for (const [oid, e] of list) m.set(oid, e);
    }
    this.loaded.set(digest, m);
    return m;
  }

  /** A segment's entries, or null when it does not check (and is then ignored). */
  private readSegment(file: string, digest: string): [string, unknown][] | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.dir, file));
    } catch {
      return null; // deleted by another process's compaction: a miss
    }
    // The body's bytes are hashed as read: a string would be encoded back to UTF-8 first.
    const nl = bytes.indexOf(0x0a);
    const head = nl < 0 ? '' : bytes.subarray(0, nl).toString('latin1');
    const body = bytes.subarray(nl + 1);
    const [magic, formatVersion, d, sum] = head.split(' ');
    const checked = `${magic} ${formatVersion}` === MAGIC && d === digest && sum === createHash('sha256').update(body).digest('hex');
    const list = checked ? entryList(body.toString('utf8')) : null;
    if (!list) {
      this.stats.segmentsIgnored++;
      return null;
    }
    this.stats.segmentsRead++;
    return list;
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

/** A segment body's [blob id, entry] pairs, or null when it is not such a JSON list. */
function entryList(body: string): [string, unknown][] | null {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return null;
  }
  const ok = Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && /^[0-9a-f]{40,64}$/.test(p[0]));
  return ok ? (v as [string, unknown][]) : null;
}
