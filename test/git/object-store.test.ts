import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectStore } from '../../src/git/object-store.js';
import { TestRepo } from '../helpers/git.js';

function allObjects(dir: string): { oid: string; type: string }[] {
  const out = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'], { cwd: dir, encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [oid, type] = l.split(' ');
      return { oid, type };
    });
}

/** Every object's bytes as git gives them, from one `git cat-file --batch` (one process, not one per object). */
function gitBytes(dir: string, oids: string[]): Map<string, Buffer> {
  const out = execFileSync('git', ['cat-file', '--batch'], { cwd: dir, input: oids.join('\n') + '\n', maxBuffer: 256 * 1024 * 1024 });
  const bytes = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const [oid, , size] = out.subarray(at, eol).toString('utf8').split(' ');
    const start = eol + 1;
    bytes.set(oid, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1; // the content is followed by a newline
  }
  return bytes;
}

/**
 * A repository whose history of small edits to similar files packs (`git gc --aggressive`) into delta
 * chains: `rounds` commits, each editing one line of a shared body (every `step`th) and writing
 * `files` files of its first `size(f)` characters. Its blobs, and their bytes as git gives them.
 */
function packedHistory(o: {
  lines: number;
  pad: string;
  mod: number;
  rounds: number;
  step: number;
  files: number;
  path: (f: number) => string;
  size: (f: number) => number;
}) {
  const repo = TestRepo.create();
  let body = Array.from({ length: o.lines }, (_, i) => `line ${i}: ${o.pad.repeat(i % o.mod)}`).join('\n');
  for (let c = 0; c < o.rounds; c++) {
    body = body.replace(`line ${c * o.step}:`, `line ${c * o.step} (edit ${c}):`);
    const files: Record<string, string> = {};
    for (let f = 0; f < o.files; f++) files[o.path(f)] = `n: ${f}\nround: ${c}\n${body.slice(0, o.size(f))}`;
    repo.commit(files, `round ${c}`);
  }
  repo.git('gc', '-q', '--aggressive', '--prune=now');
  const blobs = allObjects(repo.dir).filter((b) => b.type === 'blob');
  const expected = gitBytes(
    repo.dir,
    blobs.map((b) => b.oid),
  );
  return { repo, blobs, expected };
}

/** Sixteen files of 1.5-2.1 KB in four directories (`dir`0-3), twelve rounds of edits: a pack of deltas. */
function sixteenFiles(pad: string, dir: string): Parameters<typeof packedHistory>[0] {
  return { lines: 200, pad, mod: 30, rounds: 12, step: 9, files: 16, path: (f) => `${dir}${f % 4}/f${f}.yaml`, size: (f) => 1500 + f * 40 };
}

describe('git object store: the fast read path gives what git gives', () => {
  it('reads every object of a repository with deltified packs and loose objects, byte for byte', async () => {
    const repo = TestRepo.create();
    // History with small edits to large files makes deep delta chains once packed.
    let body = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'x'.repeat(i % 50)}`).join('\n');
    for (let c = 0; c < 25; c++) {
      body = body.replace(`line ${c * 7}:`, `line ${c * 7} (edit ${c}):`);
      const files: Record<string, string> = { 'big.txt': body };
      for (let f = 0; f < 12; f++) files[`dir${f % 3}/f${f}.yaml`] = `n: ${f}\nround: ${c}\n${body.slice(0, 300 + f * 20)}`;
      repo.commit(files, `round ${c}`);
    }
    repo.git('tag', '-a', 'v1', '-m', 'annotated');
    repo.git('gc', '-q', '--aggressive', '--prune=now');
    repo.commit({ 'loose.txt': 'a loose object after the pack\n' }, 'loose');
    const objects = allObjects(repo.dir);
    expect(objects.length).toBeGreaterThan(100);
    const deltas = execFileSync(
      'git',
      ['verify-pack', '-v', ...execFileSync('sh', ['-c', 'ls .git/objects/pack/*.idx'], { cwd: repo.dir, encoding: 'utf8' }).trim().split('\n')],
      { cwd: repo.dir, encoding: 'utf8' },
    );
    expect(deltas).toMatch(/chain length = [2-9]/); // there are real delta chains to resolve
    const expected = gitBytes(
      repo.dir,
      objects.map((o) => o.oid),
    );
    expect(expected.size).toBe(objects.length);
    // The default delta-base cache, one that evicts nearly every base, and reads after dropping it.
    for (const store of [new ObjectStore(join(repo.dir, '.git')), new ObjectStore(join(repo.dir, '.git'), 8 * 1024)]) {
      for (const [i, { oid, type }] of objects.entries()) {
        if (i === objects.length >> 1) store.dropBaseCache();
        const got = await store.read(oid);
        expect(got, oid).not.toBeNull();
        expect(got!.type).toBe(type);
        expect(got!.data.equals(expected.get(oid)!), `${type} ${oid}`).toBe(true);
      }
      expect(await store.read('0'.repeat(40))).toBeNull();
    }
  });

  it('in a bulk read, resolves each object once and keeps a base only until its last delta', async () => {
    const { repo, blobs, expected } = packedHistory({
      lines: 300,
      pad: 'y',
      mod: 40,
      rounds: 20,
      step: 5,
      files: 10,
      path: (f) => `d/f${f}.yaml`,
      size: (f) => 2000 + f * 50,
    });
    for (const budget of [undefined, 8 * 1024]) {
      const store = new ObjectStore(join(repo.dir, '.git'), budget);
      const order = blobs.map((b) => b.oid).sort((a, b) => store.packOrder(a) - store.packOrder(b));
      store.planBulk(order);
      for (const oid of order) expect(store.readPacked(oid)!.data.equals(expected.get(oid)!), oid).toBe(true);
      if (budget === undefined) {
        // Every blob is a delta base or a delta of the others: each is inflated exactly once, and
        // the bases held at once stay far below all the blobs together (12 kB of 448 kB when written).
        expect(store.stats.inflated).toBe(blobs.length);
        const total = [...expected.values()].reduce((n, b) => n + b.length, 0);
        expect(store.stats.peakBaseBytes).toBeLessThan(total / 10);
      }
      store.dropBaseCache();
      expect(store.readPacked(order[0])!.data.equals(expected.get(order[0])!)).toBe(true);
    }
  });

  it('reads a small part of a pack by ranges, the whole pack for a large part, and leaves no pack file open', async () => {
    const { blobs, expected, repo } = packedHistory(sixteenFiles('z', 's'));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const store = new ObjectStore(join(repo.dir, '.git'));
    const before = openFiles();
    const order = blobs.map((b) => b.oid).sort((a, b) => store.packOrder(a) - store.packOrder(b));
    // A few objects (less than an eighth of the pack's): each read by its range, through one open file.
    for (const part of [order.slice(0, 3), order.slice(-2), order]) {
      store.planBulk(part);
      for (const oid of part) expect(store.readPacked(oid)!.data.equals(expected.get(oid)!), oid).toBe(true);
      store.endBulk();
      expect(openFiles()).toBe(before);
    }
    // Outside a bulk read, and after a bulk read never ended (the next one ends it).
    expect(store.readPacked(order[5])!.data.equals(expected.get(order[5])!)).toBe(true);
    store.planBulk(order.slice(0, 2));
    store.planBulk(order.slice(2, 4));
    for (const oid of order.slice(2, 4)) expect(store.readPacked(oid)!.data.equals(expected.get(oid)!)).toBe(true);
    store.endBulk();
    expect(openFiles()).toBe(before);
    expect(await store.withPacksOpen(async () => openFiles())).toBe(before + 1);
    expect(openFiles()).toBe(before);
  });

  it('reads a large part of a pack in pieces, each kept piece read over by a later one, in any order', async () => {
    const { blobs, expected, repo } = packedHistory(sixteenFiles('w', 'p'));
    const packed = blobs.map((b) => b.oid);
    // Pieces far smaller than the pack (four kept): bases behind every kept piece are read by their
    // ranges, objects across two pieces too, and a later piece reuses the memory of the oldest.
    for (const pieceSize of [97, 1024, 8192]) {
      const store = new ObjectStore(join(repo.dir, '.git'), undefined, pieceSize);
      const order = [...packed].sort((a, b) => store.packOrder(a) - store.packOrder(b));
      const shuffled = [...order].sort((a, b) => (a < b ? -1 : 1)); // by oid: jumps back and forth
      for (const list of [order, [...order].reverse(), shuffled]) {
        store.planBulk(list);
        for (const oid of list) expect(store.readPacked(oid)!.data.equals(expected.get(oid)!), `${pieceSize} ${oid}`).toBe(true);
        store.endBulk();
      }
    }
  });
});
