/**
 * A git pack and its index, read without isomorphic-git: the index parsed once (binary search over
 * its sorted oids, no per-object map), the pack read in pieces, entries inflated with node's zlib and
 * deltas applied. Pure but for reading the files.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

export const TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs_delta', 'ref_delta'] as const;
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/**
 * A bulk read reads the pack in pieces of this size as it reaches them, and keeps the last few (a
 * delta's base is mostly near it). Read whole, a 60 MB pack stayed in memory until a full
 * collection found it dead, well after the read: the peak of a plan of 100,000 manifests.
 */
export const PIECE = 4 * 1024 * 1024;
const PIECES_KEPT = 4;

export class PackIndex {
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

export class Pack {
  /** A bulk read's pieces by number, oldest first. */
  private pieces?: Map<number, Buffer>;
  /** The pack's file while someone holds it open (a bulk read, a walk of trees): ranged reads share it. */
  private fd?: number;
  private holders = 0;
  constructor(
    readonly name: string,
    readonly path: string,
    readonly index: PackIndex,
    private readonly pieceSize = PIECE,
  ) {}

  /** Keep the pack's file open until as many unhold() (each read then costs one system call, not three). */
  hold(): void {
    if (this.holders++ === 0) this.fd ??= openSync(this.path, 'r');
  }

  unhold(): void {
    if (this.holders === 0 || --this.holders > 0) return;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Before a bulk read of `objects` of the pack's objects (endBulk() after). One of much of the pack
   * (an eighth of its objects or more) reads it piece by piece; a smaller one (a stack of a
   * repository of many) reads each object's range. Reading pieces for each of 100 stacks would
   * read the whole pack 100 times.
   */
  beginBulk(objects: number): void {
    if (!this.pieces && objects * 8 >= this.index.count) this.pieces = new Map();
    this.hold();
  }

  /** A new pass in pack order begins (after a pass over the headers): pieces are read from the start again. */
  rewind(): void {
    this.pieces?.clear();
  }

  /** The end of a bulk read: its pieces are let go. */
  endBulk(): void {
    this.pieces = undefined;
    this.unhold();
  }

  /**
   * The pack's bytes in [start, end). During a bulk read they may be a view of a piece, valid until
   * the next read of this pack (a later piece is read over it): use them before reading again.
   */
  bytes(start: number, end: number): Buffer {
    const k = Math.floor(start / this.pieceSize);
    if (this.pieces && this.fd !== undefined && Math.floor((end - 1) / this.pieceSize) === k) {
      const piece = this.piece(k, this.fd);
      if (piece) return piece.subarray(start - k * this.pieceSize, end - k * this.pieceSize);
    }
    if (this.fd !== undefined) return readFrom(this.fd, start, end - start);
    const fd = openSync(this.path, 'r');
    try {
      return readFrom(fd, start, end - start);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Piece `k`: kept, or read now unless it lies behind every piece kept (a far base: its range alone
   * is read, as loading the piece again would push out one the pass is in). The oldest piece read
   * makes room, and its memory is read over: a bulk read allocates PIECES_KEPT pieces at most (new
   * ones for each piece were garbage outside V8's heap, 50 MB of it before a full collection).
   */
  private piece(k: number, fd: number): Buffer | undefined {
    const pieces = this.pieces!;
    const kept = pieces.get(k);
    if (kept) return kept;
    if (pieces.size && k < Math.min(...pieces.keys())) return undefined;
    let memory: Buffer;
    if (pieces.size >= PIECES_KEPT) {
      const oldest = pieces.keys().next().value!;
      const old = pieces.get(oldest)!;
      memory = Buffer.from(old.buffer, old.byteOffset, this.pieceSize);
      pieces.delete(oldest);
    } else memory = Buffer.allocUnsafeSlow(this.pieceSize);
    const length = readInto(fd, memory, k * this.pieceSize, Math.min(this.pieceSize, this.index.packSize - k * this.pieceSize));
    const piece = memory.subarray(0, length);
    pieces.set(k, piece);
    return piece;
  }
}

/**
 * Inflate an entry whose inflated size the pack header gives. zlib's default output chunk is 16 KB
 * and a one-chunk result is a view of it, so every small object kept in a cache held 16 KB; an
 * output buffer of the right size keeps only the object.
 */
export function inflateExact(deflated: Buffer, size: number): Buffer {
  return inflateSync(deflated, { chunkSize: Math.max(64, size + 1) });
}

export function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readFrom(fd, 0, statSync(path).size);
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes of an open file from `start` (a shorter file leaves the rest of the buffer unset). */
function readFrom(fd: number, start: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  readInto(fd, out, start, length);
  return out;
}

/** Read `length` bytes of an open file from `start` into `out`; the bytes read (fewer at its end). */
function readInto(fd: number, out: Buffer, start: number, length: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return got;
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

/** An entry's header: its type, inflated size, where its data starts, and a delta's base (an offset back, or an oid). */
export interface EntryHeader {
  typeNum: number;
  size: number;
  /** Where the deflated data starts. */
  data: number;
  /** An ofs_delta's base: how far back in the pack it starts. */
  baseBack?: number;
  /** A ref_delta's base oid (20 raw bytes). */
  baseOid?: Buffer;
}

export function entryHeader(buf: Buffer): EntryHeader {
  let p = 0;
  let c = buf[p++];
  const typeNum = (c >> 4) & 7;
  let size = c & 0x0f;
  for (let shift = 4; c & 0x80; shift += 7) {
    c = buf[p++];
    size += (c & 0x7f) * 2 ** shift;
  }
  if (TYPES[typeNum] === 'ofs_delta') {
    c = buf[p++];
    let back = c & 0x7f;
    while (c & 0x80) {
      c = buf[p++];
      back = (back + 1) * 128 + (c & 0x7f);
    }
    return { typeNum, size, data: p, baseBack: back };
  }
  if (TYPES[typeNum] === 'ref_delta') return { typeNum, size, data: p + 20, baseOid: buf.subarray(p, p + 20) };
  return { typeNum, size, data: p };
}
