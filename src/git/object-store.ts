import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

/**
 * A read-only fast path to a repository's objects, beside isomorphic-git (which stays the reader of
 * record: whatever this cannot find, the caller reads through isomorphic-git).
 *
 * Why: isomorphic-git's readObject probes for a loose object (stat, open, a thrown ENOENT) before
 * each packed read, inflates with pako, and resolves every delta chain from scratch (no base
 * cache), so a cold read of 10,000 deltified blobs costs seconds. Here each pack index is parsed
 * once (binary search over its sorted oids, no per-object map), the pack is read once, objects are
 * inflated with node's zlib and resolved delta bases are kept in a bounded cache.
 */

const TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs_delta', 'ref_delta'] as const;
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** Packs up to this size are held in memory (isomorphic-git holds them whole too); larger ones are read per object. */
const IN_MEMORY_PACK_LIMIT = 256 * 1024 * 1024;
/**
 * Resolved delta bases kept during a read (bytes), least recently used out first. Read in pack
 * order, a delta's base is nearly always among the last objects read (git deltifies against a window
 * of 10 neighbours), so a small cache serves a bulk read of 10,000 blobs.
 */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

class PackIndex {
  readonly count: number;
  private readonly fanout: Uint32Array;
  private readonly shaStart = 8 + 1024;
  private readonly offStart: number;
  private readonly off64Start: number;
  /** Object offsets in pack order (each object ends where the next begins). */
  private sortedOffsets?: Float64Array;

  constructor(
    private readonly buf: Buffer,
    readonly packSize: number,
  ) {
    if (buf.readUInt32BE(0) !== 0xff744f63 || buf.readUInt32BE(4) !== 2) throw new Error('unsupported pack index version');
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = buf.readUInt32BE(8 + i * 4);
    this.count = this.fanout[255];
    this.offStart = this.shaStart + this.count * 20 + this.count * 4;
    this.off64Start = this.offStart + this.count * 4;
  }

  private offsetAt(i: number): number {
    const o = this.buf.readUInt32BE(this.offStart + i * 4);
    if (!(o & 0x80000000)) return o;
    const j = o & 0x7fffffff;
    return Number(this.buf.readBigUInt64BE(this.off64Start + j * 8));
  }

  /** The pack offset of `oid` (20 raw bytes), or -1. */
  find(oid: Buffer): number {
    const first = oid[0];
    let lo = first === 0 ? 0 : this.fanout[first - 1];
    let hi = this.fanout[first];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.buf.compare(oid, 0, 20, this.shaStart + mid * 20, this.shaStart + mid * 20 + 20);
      if (c === 0) return this.offsetAt(mid);
      if (c > 0) hi = mid;
      else lo = mid + 1;
    }
    return -1;
  }

  /** Where the object at `offset` ends (the next object's offset, or the trailing checksum). */
  endOf(offset: number): number {
    if (!this.sortedOffsets) {
      const s = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) s[i] = this.offsetAt(i);
      s.sort();
      this.sortedOffsets = s;
    }
    const s = this.sortedOffsets;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < s.length ? s[lo] : this.packSize - 20;
  }
}

/**
 * Reads of a pack before it is read whole: a command that reads a few objects (a re-plan reading
 * driftless.yaml and the trees on the way to it) does not read a pack of tens of megabytes for them.
 */
const READS_BEFORE_WHOLE = 256;

class Pack {
  private data?: Buffer;
  private reads = 0;
  constructor(
    readonly name: string,
    readonly path: string,
    readonly index: PackIndex,
  ) {}

  bytes(start: number, end: number): Buffer {
    if (this.index.packSize <= IN_MEMORY_PACK_LIMIT && (this.data || ++this.reads > READS_BEFORE_WHOLE)) {
      this.data ??= readWhole(this.path);
      return this.data.subarray(start, end);
    }
    const out = Buffer.allocUnsafe(end - start);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < out.length) {
        const n = readSync(fd, out, got, out.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }
}

/**
 * Inflate an entry whose inflated size the pack header gives. zlib's default output chunk is 16 KB
 * and a one-chunk result is a view of it, so every small object kept in a cache held 16 KB; an
 * output buffer of the right size keeps only the object.
 */
function inflateExact(deflated: Buffer, size: number): Buffer {
  return inflateSync(deflated, { chunkSize: Math.max(64, size + 1) });
}

function readWhole(path: string): Buffer {
  const size = statSync(path).size;
  const out = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Apply a git delta (copy/insert instructions) to `base`. */
export function applyDelta(delta: Buffer, base: Buffer): Buffer {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[p++];
      v += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80);
    return v;
  };
  const srcSize = varint();
  if (srcSize !== base.length) throw new Error(`delta base size ${srcSize} does not match ${base.length}`);
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++];
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      if (op & 0x01) off |= delta[p++];
      if (op & 0x02) off |= delta[p++] << 8;
      if (op & 0x04) off |= delta[p++] << 16;
      if (op & 0x08) off = (off | (delta[p++] << 24)) >>> 0;
      if (op & 0x10) size |= delta[p++];
      if (op & 0x20) size |= delta[p++] << 8;
      if (op & 0x40) size |= delta[p++] << 16;
      if (size === 0) size = 0x10000;
      base.copy(out, o, off, off + size);
      o += size;
    } else if (op > 0) {
      delta.copy(out, o, p, p + op);
      o += op;
      p += op;
    } else {
      throw new Error('invalid delta instruction 0');
    }
  }
  if (o !== out.length) throw new Error('delta result has the wrong size');
  return out;
}

export interface GitObject {
  type: ObjectType;
  data: Buffer;
}

export class ObjectStore {
  private packs = new Map<string, Pack>();
  private scanned = false;
  private baseCache = new Map<string, GitObject>();
  private baseBytes = 0;

  constructor(
    readonly gitdir: string,
    private readonly baseCacheBytes = BASE_CACHE_BYTES,
  ) {}

  /** (Re)list objects/pack: new packs are indexed, vanished ones dropped. */
  private rescan(): void {
    const dir = join(this.gitdir, 'objects', 'pack');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    const present = new Set<string>();
    for (const n of names) {
      if (!n.endsWith('.idx')) continue;
      const base = n.slice(0, -4);
      if (!names.includes(`${base}.pack`)) continue;
      present.add(base);
      if (this.packs.has(base)) continue;
      try {
        const packPath = join(dir, `${base}.pack`);
        const index = new PackIndex(readWhole(join(dir, n)), statSync(packPath).size);
        this.packs.set(base, new Pack(base, packPath, index));
      } catch {
        /* an index we cannot read (being written, or v1): leave it to isomorphic-git */
      }
    }
    for (const k of [...this.packs.keys()]) if (!present.has(k)) this.packs.delete(k);
    this.scanned = true;
  }

  private locate(raw: Buffer): { pack: Pack; offset: number } | null {
    for (const pack of this.packs.values()) {
      const offset = pack.index.find(raw);
      if (offset >= 0) return { pack, offset };
    }
    return null;
  }

  /** Read an object from the packs or as a loose object; null when neither has it (ask isomorphic-git). */
  async read(oid: string): Promise<GitObject | null> {
    const packed = this.readPacked(oid);
    if (packed) return packed;
    return this.readLoose(oid);
  }

  /** A packed object, or null. Synchronous: everything it touches is in memory after the first read. */
  readPacked(oid: string): GitObject | null {
    if (!/^[0-9a-f]{40}$/.test(oid)) return null;
    const raw = Buffer.from(oid, 'hex');
    if (!this.scanned) this.rescan();
    let at = this.locate(raw);
    if (!at) {
      this.rescan(); // a fetch may have added a pack
      at = this.locate(raw);
    }
    if (!at) return null;
    try {
      return this.readAt(at.pack, at.offset, 0);
    } catch {
      return null; // anything odd: let isomorphic-git read (and report) it
    }
  }

  private async readLoose(oid: string): Promise<GitObject | null> {
    if (!/^[0-9a-f]{40}$/.test(oid)) return null;
    let buf: Buffer;
    try {
      buf = await readFile(join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
    } catch {
      return null;
    }
    try {
      const raw = inflateSync(buf);
      const sp = raw.indexOf(0x20);
      const nul = raw.indexOf(0, sp);
      const type = raw.subarray(0, sp).toString('latin1') as ObjectType;
      if (!['blob', 'tree', 'commit', 'tag'].includes(type)) return null;
      return { type, data: raw.subarray(nul + 1) };
    } catch {
      return null;
    }
  }

  /** Least recently used first (a Map keeps insertion order; a hit moves the entry to the end). */
  private cacheBase(key: string, obj: GitObject): void {
    if (obj.data.length > this.baseCacheBytes / 4) return;
    this.baseCache.set(key, obj);
    this.baseBytes += obj.data.length;
    for (const [k, v] of this.baseCache) {
      if (this.baseBytes <= this.baseCacheBytes) break;
      this.baseCache.delete(k);
      this.baseBytes -= v.data.length;
    }
  }

  private readAt(pack: Pack, offset: number, depth: number): GitObject {
    if (depth > 10_000) throw new Error('delta chain too deep');
    const key = `${pack.name}:${offset}`;
    const cached = this.baseCache.get(key);
    if (cached) {
      this.baseCache.delete(key);
      this.baseCache.set(key, cached);
      return cached;
    }
    const end = pack.index.endOf(offset);
    const buf = pack.bytes(offset, end);
    let p = 0;
    let c = buf[p++];
    const typeNum = (c >> 4) & 7;
    let size = c & 0x0f;
    for (let shift = 4; c & 0x80; shift += 7) {
      c = buf[p++];
      size += (c & 0x7f) * 2 ** shift;
    }
    const type = TYPES[typeNum];
    let obj: GitObject;
    if (type === 'ofs_delta') {
      c = buf[p++];
      let rel = c & 0x7f;
      while (c & 0x80) {
        c = buf[p++];
        rel = (rel + 1) * 128 + (c & 0x7f);
      }
      const base = this.readAt(pack, offset - rel, depth + 1);
      obj = { type: base.type, data: applyDelta(inflateExact(buf.subarray(p), size), base.data) };
    } else if (type === 'ref_delta') {
      const baseOid = buf.subarray(p, p + 20);
      p += 20;
      const at = this.locate(baseOid);
      if (!at) throw new Error('ref-delta base outside the packs');
      const base = this.readAt(at.pack, at.offset, depth + 1);
      obj = { type: base.type, data: applyDelta(inflateExact(buf.subarray(p), size), base.data) };
    } else if (type === 'commit' || type === 'tree' || type === 'blob' || type === 'tag') {
      obj = { type, data: inflateExact(buf.subarray(p), size) };
    } else {
      throw new Error(`unknown pack object type ${typeNum}`);
    }
    // Every object may be a delta base of a later one; most chains are short-lived, so cache all (bounded).
    this.cacheBase(key, obj);
    return obj;
  }

  /**
   * Forget the resolved delta bases. They speed up one bulk read (neighbouring objects are deltas of
   * each other); kept afterwards they hold up to the cache's budget for nothing.
   */
  dropBaseCache(): void {
    this.baseCache.clear();
    this.baseBytes = 0;
  }

  /** Offsets for ordering bulk reads (pack order keeps delta bases hot); -1 when not packed. */
  packOrder(oid: string): number {
    if (!this.scanned) this.rescan();
    const at = /^[0-9a-f]{40}$/.test(oid) ? this.locate(Buffer.from(oid, 'hex')) : null;
    return at ? at.offset : -1;
  }
}

/** Parse a raw tree object into entries (mode, name, oid, type as isomorphic-git names them). */
export function parseTree(data: Buffer): { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] {
  const out: { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] = [];
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    const nul = data.indexOf(0, sp);
    const mode = data.toString('latin1', p, sp);
    const path = data.toString('utf8', sp + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 21);
    p = nul + 21;
    const type = mode === '40000' || mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode: mode.padStart(6, '0'), path, oid, type });
  }
  return out;
}
