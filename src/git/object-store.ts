import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyDelta, type EntryHeader, entryHeader, inflateExact, type ObjectType, Pack, PackIndex, PIECE, readWhole, TYPES } from './pack.js';
import { inflateSync } from 'node:zlib';

/**
 * A read-only fast path to a repository's objects, beside isomorphic-git (which stays the reader of
 * record: whatever this cannot find, the caller reads through isomorphic-git).
 *
 * Why: isomorphic-git's readObject probes for a loose object (stat, open, a thrown ENOENT) before
 * each packed read, inflates with pako, and resolves every delta chain from scratch (no base
 * cache), so a cold read of 10,000 deltified blobs costs seconds. Here each pack is read as pack.ts
 * reads it, and resolved delta bases are kept while deltas still to be read need them.
 */

export type { ObjectType };

/**
 * Resolved delta bases kept (bytes). Outside a bulk read, least recently used out first. In a bulk
 * read (planBulk), a base is kept until the last delta that needs it is resolved, within this bound:
 * in a pack of 10,000 manifests, bases are used far from where they were read (an LRU of 8 MB
 * resolved twice as many chains as one of 32 MB), and counting uses keeps only the live ones.
 */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

export interface GitObject {
  type: ObjectType;
  data: Buffer;
}

export class ObjectStore {
  private packs = new Map<string, Pack>();
  private scanned = false;
  private baseCache = new Map<string, GitObject>();
  private baseBytes = 0;
  /** Objects inflated (each resolved once in a bulk read whose bases fit), and the most base bytes held at once. */
  readonly stats = { inflated: 0, peakBaseBytes: 0 };
  /** In a bulk read: how many deltas still to be resolved use each base (by cache key). */
  private baseUses: Map<string, number> | null = null;
  /** The packs a bulk read began (endBulk ends them). */
  private bulkPacks: Pack[] = [];

  constructor(
    readonly gitdir: string,
    private readonly baseCacheBytes = BASE_CACHE_BYTES,
    /** The size of the pieces a bulk read reads (see Pack). */
    private readonly pieceSize = PIECE,
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
        this.packs.set(base, new Pack(base, packPath, index, this.pieceSize));
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

  /** Least recently used first (a Map keeps insertion order; a hit moves the entry to the end); in a bulk read, only bases still to be used. */
  private cacheBase(key: string, obj: GitObject): void {
    if (obj.data.length > this.baseCacheBytes / 4) return;
    if (this.baseUses) {
      if (!this.baseUses.get(key) || this.baseBytes + obj.data.length > this.baseCacheBytes) return;
    } else {
      for (const [k, v] of this.baseCache) {
        if (this.baseBytes + obj.data.length <= this.baseCacheBytes) break;
        this.baseCache.delete(k);
        this.baseBytes -= v.data.length;
      }
    }
    this.baseCache.set(key, obj);
    this.baseBytes += obj.data.length;
    if (this.baseBytes > this.stats.peakBaseBytes) this.stats.peakBaseBytes = this.baseBytes;
  }

  /** A base resolved for a delta: in a bulk read, dropped once no delta still to come uses it. */
  private usedBase(key: string): void {
    const left = this.baseUses?.get(key);
    if (left === undefined) return;
    if (left > 1) {
      this.baseUses!.set(key, left - 1);
      return;
    }
    this.baseUses!.delete(key);
    const obj = this.baseCache.get(key);
    if (obj) {
      this.baseCache.delete(key);
      this.baseBytes -= obj.data.length;
    }
  }

  private readAt(pack: Pack, offset: number, depth: number): GitObject {
    if (depth > 10_000) throw new Error('delta chain too deep');
    const key = `${pack.name}:${offset}`;
    const cached = this.baseCache.get(key);
    if (cached) {
      if (!this.baseUses) {
        this.baseCache.delete(key);
        this.baseCache.set(key, cached);
      }
      return cached;
    }
    const buf = pack.bytes(offset, pack.index.endOf(offset));
    const h = entryHeader(buf);
    const type = TYPES[h.typeNum];
    this.stats.inflated++;
    let obj: GitObject;
    if (type === 'ofs_delta' || type === 'ref_delta') {
      const at = this.baseOf(pack, offset, h);
      if (!at) throw new Error('ref-delta base outside the packs');
      const delta = inflateExact(buf.subarray(h.data), h.size); // before the base is read: `buf` is valid until then
      const base = this.readAt(at.pack, at.offset, depth + 1);
      obj = { type: base.type, data: applyDelta(delta, base.data) };
      this.usedBase(`${at.pack.name}:${at.offset}`);
    } else if (type === 'commit' || type === 'tree' || type === 'blob' || type === 'tag') {
      obj = { type, data: inflateExact(buf.subarray(h.data), h.size) };
    } else {
      throw new Error(`unknown pack object type ${h.typeNum}`);
    }
    // Any object may be the base of a later delta: cacheBase keeps what may be used again.
    this.cacheBase(key, obj);
    return obj;
  }

  /** Where the base of the delta at `offset` is (null for an object that is not a delta, or a base outside the packs). */
  private baseOf(pack: Pack, offset: number, h: EntryHeader): { pack: Pack; offset: number } | null {
    if (h.baseBack !== undefined) return { pack, offset: offset - h.baseBack };
    return h.baseOid ? this.locate(h.baseOid) : null;
  }

  /**
   * Before reading many objects in pack order: count how many deltas along their chains use each
   * base, so that each resolved base is kept until its last use and no longer (dropBaseCache ends it).
   */
  planBulk(oids: readonly string[]): void {
    if (!this.scanned) this.rescan();
    const located = oids.map((oid) => (/^[0-9a-f]{40}$/.test(oid) ? this.locate(Buffer.from(oid, 'hex')) : null));
    const perPack = new Map<Pack, number>();
    for (const at of located) if (at) perPack.set(at.pack, (perPack.get(at.pack) ?? 0) + 1);
    this.endBulk(); // a bulk read left unfinished ends here
    for (const [pack, n] of perPack) pack.beginBulk(n);
    this.bulkPacks = [...perPack.keys()];
    const uses = new Map<string, number>();
    const seen = new Set<string>();
    for (let at of located) {
      while (at) {
        const key = `${at.pack.name}:${at.offset}`;
        if (seen.has(key)) break; // the rest of this chain is counted already
        seen.add(key);
        let h: EntryHeader;
        try {
          h = entryHeader(at.pack.bytes(at.offset, Math.min(at.pack.index.endOf(at.offset), at.offset + 64)));
        } catch {
          break;
        }
        const base = this.baseOf(at.pack, at.offset, h);
        if (!base) break;
        const bk = `${base.pack.name}:${base.offset}`;
        uses.set(bk, (uses.get(bk) ?? 0) + 1);
        at = base;
      }
    }
    this.baseUses = uses; // the bases of the bulk read ended above are dropped already
    for (const p of this.bulkPacks) p.rewind(); // the read itself goes through the pack from its start again
  }

  /**
   * Forget the resolved delta bases. They speed up one bulk read (neighbouring objects are deltas of
   * each other); kept afterwards they hold up to the cache's budget for nothing.
   */
  dropBaseCache(): void {
    this.baseCache.clear();
    this.baseBytes = 0;
    this.baseUses = null;
  }

  /** The end of a bulk read: its bases and the packs' bytes are let go. */
  endBulk(): void {
    this.dropBaseCache();
    for (const p of this.bulkPacks) p.endBulk();
    this.bulkPacks = [];
  }

  /** Keep every pack's file open while `fn` runs (a walk of many trees); pack files are open only then. */
  async withPacksOpen<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.scanned) this.rescan();
    const held = [...this.packs.values()];
    for (const p of held) p.hold();
    try {
      return await fn();
    } finally {
      for (const p of held) p.unhold();
    }
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
