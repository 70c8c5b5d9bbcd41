import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ObjectStore } from '../../src/git/object-store.js';
import { parseManyManifests, parsePoolStats } from '../../src/manifests/parse-pool.js';
import { parseManifestFile } from '../../src/manifests/yaml.js';
import { Ref, SecretRef } from '../../src/manifests/values.js';
import { TestRepo } from '../helpers/git.js';

function allObjects(dir: string): { oid: string; type: string }[] {
  const out = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'], { cwd: dir, encoding: 'utf8' });
  return out.trim().split('\n').map((l) => {
    const [oid, type] = l.split(' ');
    return { oid, type };
  });
}

function gitBytes(dir: string, type: string, oid: string): Buffer {
  return execFileSync('git', ['cat-file', type, oid], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
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
    const store = new ObjectStore(join(repo.dir, '.git'));
    const objects = allObjects(repo.dir);
    expect(objects.length).toBeGreaterThan(100);
    const deltas = execFileSync('git', ['verify-pack', '-v', ...execFileSync('sh', ['-c', 'ls .git/objects/pack/*.idx'], { cwd: repo.dir, encoding: 'utf8' }).trim().split('\n')], { cwd: repo.dir, encoding: 'utf8' });
    expect(deltas).toMatch(/chain length = [2-9]/); // there are real delta chains to resolve
    for (const { oid, type } of objects) {
      const got = await store.read(oid);
      expect(got, oid).not.toBeNull();
      expect(got!.type).toBe(type);
      expect(got!.data.equals(gitBytes(repo.dir, type, oid)), `${type} ${oid}`).toBe(true);
    }
    expect(await store.read('0'.repeat(40))).toBeNull();
  });
});

describe('parse pool: parsing on worker threads equals parsing here', () => {
  it('gives the same documents, diagnostics and tagged values', async () => {
    const files: string[] = [];
    const sources: string[] = [];
    for (let i = 0; i < 60; i++) {
      files.push(`stacks/s/f${i}.yaml`);
      sources.push(i % 13 === 0
        ? `kind: [broken ${i}\n`
        : `apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: f${i}\nspec:\n  path: f${i}.txt\n  content: !ref File/f${i + 1}.outputs.sha256\n  mode: !secret MODE_${i}\n---\nkind: Directory\nmetadata: { name: d${i} }\n`);
    }
    const here = files.map((f, i) => parseManifestFile(f, sources[i]));
    const before = { ...parsePoolStats };
    const pooled = await parseManyManifests(files, sources, { workers: 2, minFiles: 1 });
    expect(parsePoolStats.fallbacks).toBe(before.fallbacks);
    expect(parsePoolStats.workerFiles - before.workerFiles).toBeGreaterThan(30); // most files went to the two workers
    expect(pooled).toEqual(here);
    const value = pooled[1].docs[0].value as { spec: { content: unknown; mode: unknown } };
    expect(value.spec.content).toBeInstanceOf(Ref);
    expect(value.spec.mode).toBeInstanceOf(SecretRef);
    expect(pooled[0].diagnostics[0].file).toBe('stacks/s/f0.yaml');
  });
});
