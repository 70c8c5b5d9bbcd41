import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, manifest, FS_REPO_CONFIG, tempDir } from '../helpers/git.js';
import { GitRepository } from '../../src/git/repository.js';
import { ManifestLoader, type LoadedStack } from '../../src/manifests/loader.js';
import { ParseCache } from '../../src/manifests/parse-cache.js';
import { decodeEntry, encodeEntry } from '../../src/manifests/parse-cache-codec.js';
import { parseCacheDigest } from '../../src/manifests/parse-cache-digest.js';
import { parseRepoConfig } from '../../src/manifests/repo-config.js';
import { loadProviders } from '../../src/providers/registry.js';
import { Ref, SecretRef } from '../../src/manifests/values.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

const FILES: Record<string, string> = {
  'driftless.yaml': FS_REPO_CONFIG,
  'stacks/web/dir.yaml': manifest('Directory', 'etc', { path: 'etc' }),
  'stacks/web/motd.yaml': manifest('File', 'motd', { path: 'etc/motd', content: 'hi\n', mode: '0600' }, { dependsOn: ['Directory/etc'] }),
  'stacks/web/flow.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: Symlink\nmetadata: {name: link, labels: {team: web}}\nspec: {path: etc/l, target: motd}\n',
  'stacks/web/bad.yaml': manifest('File', 'bad', { path: 'x', nope: 1 }),
  'stacks/web/odd.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: odd\nspec:\n  path: odd\n  content: !secret MOTD_TEXT\n',
};

/** A loader over a fresh repository with the given files and a cache in its own dir. */
async function setup(
  files = FILES,
): Promise<{ repo: TestRepo; cacheDir: string; load: (cache?: ParseCache) => Promise<{ loader: ManifestLoader; stack: LoadedStack }> }> {
  const repo = TestRepo.create(files);
  const cacheDir = tempDir('driftless-parse-cache-');
  cleanup.push(
    () => repo.remove(),
    () => rmSync(cacheDir, { recursive: true, force: true }),
  );
  const providers = await loadProviders();
  const load = async (cache = new ParseCache(cacheDir)) => {
    const loader = new ManifestLoader(GitRepository.openLocal(repo.dir), providers, cache);
    const commit = repo.head();
    const cfg = parseRepoConfig(files['driftless.yaml']).config!;
    const { registry } = await loader.registry(commit);
    return { loader, stack: await loader.loadStack(commit, 'web', cfg.stacks.web, registry) };
  };
  return { repo, cacheDir, load };
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg'));

describe('persistent parse cache', () => {
  it('a second process reads every result back, equal to a parse, and parses nothing', async () => {
    const { load, cacheDir } = await setup();
    const first = await load();
    expect(first.loader.stats).toMatchObject({ parsed: 5, restored: 0 });
    expect(segments(cacheDir)).toHaveLength(1);
    const second = await load();
    expect(second.loader.stats).toMatchObject({ parsed: 0, restored: 5 });
    expect(second.stack.resources).toEqual(first.stack.resources);
    expect(second.stack.diagnostics).toEqual(first.stack.diagnostics);
    expect(second.stack.diagnostics.map((d) => d.file)).toEqual(['stacks/web/bad.yaml']);
    const odd = second.stack.resources.find((r) => r.name === 'odd')!;
    expect(odd.spec.content).toBeInstanceOf(SecretRef);
    // Nothing new parsed: nothing written.
    expect(segments(cacheDir)).toHaveLength(1);
  });

  it("a loader keeps a stack's loaded resources for the next load of its tree, unless told not to (a command that loads each stack once)", async () => {
    const { repo, cacheDir } = await setup();
    const providers = await loadProviders();
    const cfg = parseRepoConfig(FILES['driftless.yaml']).config!;
    const twice = async (keepStacks: boolean) => {
      const loader = new ManifestLoader(GitRepository.openLocal(repo.dir), providers, new ParseCache(cacheDir));
      loader.keepStacks = keepStacks;
      const { registry } = await loader.registry(repo.head());
      const a = await loader.loadStack(repo.head(), 'web', cfg.stacks.web, registry);
      const b = await loader.loadStack(repo.head(), 'web', cfg.stacks.web, registry);
      expect(b.resources).toEqual(a.resources);
      return { same: a.resources === b.resources, stats: loader.stats };
    };
    // Kept: the second load is the first's, with no file looked at again.
    expect(await twice(true)).toEqual({ same: true, stats: { parsed: 5, cached: 0, restored: 0 } });
    // Not kept: the second load goes through the files again (5 more from memory; the first restored them).
    expect(await twice(false)).toEqual({ same: false, stats: { parsed: 0, cached: 10, restored: 5 } });
  });

  it('after a one-file commit, only that file is parsed', async () => {
    const { repo, load } = await setup();
    await load();
    repo.commit({ 'stacks/web/motd.yaml': manifest('File', 'motd', { path: 'etc/motd', content: 'changed\n' }) });
    const again = await load();
    expect(again.loader.stats).toMatchObject({ parsed: 1, restored: 4 });
    expect(again.stack.resources.find((r) => r.name === 'motd')!.spec.content).toBe('changed\n');
  });

  it('ignores a truncated, corrupted or foreign segment, and parses instead', async () => {
    const { load, cacheDir } = await setup();
    const reference = (await load()).stack;
    const [seg] = segments(cacheDir);
    const file = join(cacheDir, seg);
    const good = readFileSync(file);
    const damages: [string, () => void][] = [
      ['truncated', () => truncateSync(file, Math.floor(good.length / 2))],
      ['empty', () => truncateSync(file, 0)],
      // Still valid JSON, one value changed: only the checksum can tell.
      ['corrupted', () => writeFileSync(file, good.toString('utf8').replace('etc/motd', 'etc/mote'))],
      ['another format', () => writeFileSync(file, good.toString('utf8').replace('driftless-parse-cache 2', 'driftless-parse-cache 9'))],
      ['garbage', () => writeFileSync(file, Buffer.from([0xff, 0x00, 0x0a, 0x7b]))],
    ];
    for (const [what, damage] of damages) {
      damage();
      const { loader, stack } = await load();
      expect(loader.stats, what).toMatchObject({ parsed: 5, restored: 0 });
      expect(loader.persistent!.stats.segmentsIgnored, what).toBeGreaterThan(0);
      expect(stack.resources, what).toEqual(reference.resources);
      expect(stack.diagnostics, what).toEqual(reference.diagnostics);
      for (const s of segments(cacheDir)) rmSync(join(cacheDir, s));
      writeFileSync(file, good);
    }
    // A temporary file left by a crash before its rename is never read.
    writeFileSync(join(cacheDir, `${seg}.tmp-1`), 'partial');
    expect((await load()).loader.stats).toMatchObject({ parsed: 0, restored: 5 });
  });

  it('a well-formed segment with one entry that does not decode: that file is parsed again, the others restored', async () => {
    const { load, cacheDir } = await setup();
    const reference = (await load()).stack;
    const [seg] = segments(cacheDir);
    const file = join(cacheDir, seg);
    const lines = readFileSync(file, 'utf8').split('\n');
    // The header, one line per entry (`OID JSON`), the checksum of all before it, and a final newline.
    expect(lines[0]).toMatch(/^driftless-parse-cache 2 [0-9a-f]+$/);
    expect(lines.at(-2)).toMatch(/^end [0-9a-f]{64}$/);
    expect(lines.at(-1)).toBe('');
    const entries = lines.slice(1, -2);
    expect(entries).toHaveLength(5);
    for (const l of entries) expect(l).toMatch(/^[0-9a-f]{40} \{/);
    // Break one entry's JSON (a value the codec refuses) and give the segment a matching checksum.
    const broken = [lines[0], entries[0].replace(/ \{.*$/, ' {"v":1,"t":[3]}'), ...entries.slice(1)].map((l) => `${l}\n`).join('');
    const { createHash } = await import('node:crypto');
    writeFileSync(file, `${broken}end ${createHash('sha256').update(broken).digest('hex')}\n`);
    const { loader, stack } = await load();
    expect(loader.persistent!.stats.segmentsIgnored).toBe(0);
    expect(loader.stats).toMatchObject({ parsed: 1, restored: 4 });
    expect(stack.resources).toEqual(reference.resources);
    expect(stack.diagnostics).toEqual(reference.diagnostics);
  });

  it('a schema change makes older entries unreachable, and the next write drops them', async () => {
    const { repo, load, cacheDir } = await setup();
    const before = await load();
    const providers = await loadProviders();
    // The fs File kind now takes a `nope` number: bad.yaml becomes valid.
    const changed = providers.map((p) => {
      if (p.name !== 'fs') return p;
      const file = p.kinds.File;
      const schema = { ...file.schema, properties: { ...(file.schema.properties as object), nope: { type: 'number' } } };
      return { ...p, kinds: { ...p.kinds, File: { ...file, schema } } };
    });
    const loader = new ManifestLoader(GitRepository.openLocal(repo.dir), changed, new ParseCache(cacheDir));
    const cfg = parseRepoConfig(FILES['driftless.yaml']).config!;
    const { registry } = await loader.registry(repo.head());
    const oldDigest = parseCacheDigest((await before.loader.registry(repo.head())).registry);
    expect(parseCacheDigest(registry)).not.toBe(oldDigest);
    const stack = await loader.loadStack(repo.head(), 'web', cfg.stacks.web, registry);
    expect(loader.stats).toMatchObject({ parsed: 5, restored: 0 });
    expect(stack.diagnostics).toEqual([]);
    expect(segments(cacheDir).map((f) => f.slice(0, f.indexOf('-')))).toEqual([parseCacheDigest(registry)]);
  });

  it('stays within its bound: compaction keeps the entries in use', async () => {
    const { repo, load, cacheDir } = await setup();
    const small = () => new ParseCache(cacheDir, { maxSegments: 3, maxBytes: 6000 });
    await load(small());
    for (let i = 0; i < 6; i++) {
      repo.commit({ 'stacks/web/motd.yaml': manifest('File', 'motd', { path: 'etc/motd', content: `v${i}\n${'x'.repeat(900)}\n` }) });
      await load(small());
      expect(segments(cacheDir).length).toBeLessThanOrEqual(3);
    }
    const total = segments(cacheDir).reduce((n, f) => n + readFileSync(join(cacheDir, f)).length, 0);
    expect(total).toBeLessThan(6000 + 200);
    expect((await load(small())).loader.stats).toMatchObject({ parsed: 0, restored: 5 });
  });

  it('a segment streamed while files parse: whole once finished, nothing left when abandoned, and a compaction instead when one is due', async () => {
    const dir = tempDir('driftless-parse-stream-');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const cache = new ParseCache(dir, { maxSegments: 2 });
    const oid = (i: number) => String(i).padStart(40, '0');
    const s1 = cache.stream('d1')!;
    s1.add(oid(1), { resources: [], diagnostics: [] });
    expect(segments(dir)).toEqual([]); // written aside until finished
    s1.add(oid(2), { resources: [{ a: 1 }], diagnostics: [] });
    s1.finish();
    expect(segments(dir)).toHaveLength(1);
    expect([...new ParseCache(dir).get('d1', [oid(1), oid(2), oid(3)]).keys()]).toEqual([oid(1), oid(2)]);
    const s2 = cache.stream('d1')!;
    s2.add(oid(4), { resources: [], diagnostics: [] });
    s2.abandon();
    expect(readdirSync(dir).sort()).toEqual(segments(dir)); // no temporary file left
    cache.stream('d1')!.finish(); // nothing added: no segment
    expect(segments(dir)).toHaveLength(1);
    const s3 = cache.stream('d1')!;
    s3.add(oid(5), { resources: [], diagnostics: [] });
    s3.finish();
    expect(segments(dir)).toHaveLength(2);
    expect(cache.stream('d1')).toBeNull(); // a third segment must be a compaction: put does it
    cache.put('d1', new Map([[oid(6), { resources: [], diagnostics: [] }]]), new Set());
    expect(segments(dir)).toHaveLength(1);
    expect(new ParseCache(dir).get('d1', [1, 2, 5, 6].map(oid)).size).toBe(4);
    expect(cache.stream('d2')).toBeNull(); // another digest's segments are dropped by a compaction first
  });

  it('a data dir it cannot write leaves results in memory, and the command works', async () => {
    const { load, cacheDir } = await setup();
    const blocked = join(cacheDir, 'file-not-dir');
    writeFileSync(blocked, '');
    const { loader, stack } = await load(new ParseCache(join(blocked, 'cache')));
    expect(loader.stats).toMatchObject({ parsed: 5 });
    expect(stack.resources).toHaveLength(4);
  });
});

describe('parse cache encoding', () => {
  it('gives back exactly what it took, with refs and secrets shared as they were', () => {
    const ref = Ref.parse('File/a.outputs.sha256')!;
    const value = { a: [1, 'x', true, null, { b: undefined }], r1: ref, r2: ref, s: new SecretRef('TOKEN'), n: 1.5 };
    const back = decodeEntry(JSON.parse(encodeEntry(value)!)) as typeof value;
    expect(back).toEqual(value);
    expect(back.r1).toBeInstanceOf(Ref);
    expect(back.r1).toBe(back.r2);
    expect(Object.hasOwn(back.a[4] as object, 'b')).toBe(true);
  });

  it('a value with nothing to tag is its JSON; one level deeper, a tag sends the whole value through the replacer', () => {
    const value = { resources: [{ id: 'File/a', spec: { path: 'a', mode: '0644', n: [1, 2.5, -3] }, ok: true, no: null }], diagnostics: [] };
    expect(encodeEntry(value)).toBe(`{"v":${JSON.stringify(value)},"t":[]}`);
    expect(decodeEntry(JSON.parse(encodeEntry(value)!))).toEqual(value);
    const nested = { ...value, deep: { x: [{ y: { z: undefined } }] } };
    const back = decodeEntry(JSON.parse(encodeEntry(nested)!)) as typeof nested;
    expect(back).toEqual(nested);
    expect(Object.hasOwn(back.deep.x[0].y, 'z')).toBe(true);
    // A hole reads back as undefined, where JSON alone would give null.
    // biome-ignore lint/suspicious/noSparseArray: the hole is the case
    expect(decodeEntry(JSON.parse(encodeEntry([1, , 3])!))).toEqual([1, undefined, 3]);
  });

  it('refuses what JSON cannot give back', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const v of [
      { a: Number.NaN },
      { a: Number.POSITIVE_INFINITY },
      { a: -0 },
      { a: new Date(0) },
      { $driftless: 'ref' },
      { a: () => 1 },
      [new Map()],
      { a: 1n },
      cycle,
      { deep: [[[{ cycle }]]] },
      JSON.parse('{"a":{"__proto__":1}}'),
      { a: [1, Number.NaN] },
    ])
      expect(encodeEntry(v)).toBeNull();
  });

  it('rejects malformed entries', () => {
    for (const e of [
      null,
      1,
      {},
      { v: 1 },
      { v: { $driftless: 'ref', i: 3 }, t: [] },
      { v: { $driftless: 'ref', i: 0 }, t: ['not a ref'] },
      { v: { $driftless: 'x' }, t: [] },
    ])
      expect(decodeEntry(e)).toBeNull();
  });
});
