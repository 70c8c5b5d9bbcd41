import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PatchIndex, patchIndexChunks } from '../../src/engine/patch-index.js';
import { PlanReuse } from '../../src/engine/plan-reuse.js';
import type { DesiredResource, DesiredSet } from '../../src/plan/desired.js';

describe('a stack index written in pieces', () => {
  it('gives the same index in pieces of about 64 KB as in one, each line whole', () => {
    const resources = new Map<string, DesiredResource>();
    for (let i = 0; i < 3000; i++) {
      const id = `Directory/d${i}`;
      resources.set(id, { id, kind: 'Directory', deps: i ? [`Directory/d${i - 1}`] : [] } as unknown as DesiredResource);
    }
    const chunks = [...patchIndexChunks('0123456789abcdef', { resources } as DesiredSet)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(65536);
      expect(c.endsWith('\n')).toBe(true);
    }
    const text = chunks.join('');
    expect(text.split('\n')).toHaveLength(3002); // the token, 3,000 lines, and the empty rest after the last newline
    const index = PatchIndex.of(text, '0123456789abcdef')!;
    expect(index.depsOf('Directory/d2999')).toEqual(['Directory/d2998']);
    expect(index.dependedOn('Directory/d2998')).toBe(true);
    expect(index.dependedOn('Directory/d2999')).toBe(false);
    expect(PatchIndex.of(text, 'fedcba9876543210')).toBeUndefined();
  });
});

describe("a stack index's natural keys", () => {
  it('names each held key with its holder, and each key referred to but held by none once, in the order first referred to', () => {
    // A kind whose natural key is the spec's path and which refers to the directories it lists.
    const info = {
      naturalKey: (spec: { path: string }) => spec.path,
      references: (spec: { dirs: string[] }) => spec.dirs.map((key) => ({ kind: 'Directory', key })),
    };
    const r = (kind: string, name: string, spec: { path: string; dirs: string[] }) =>
      ({ id: `${kind}/${name}`, kind, name, spec, deps: [], info }) as unknown as DesiredResource;
    const resources = new Map(
      [
        r('Directory', 'a', { path: 'a', dirs: [] }),
        r('File', 'f1', { path: 'a/x', dirs: ['a', 'c'] }),
        r('File', 'f2', { path: 'b/y', dirs: ['b', 'c'] }),
      ].map((d) => [d.id, d]),
    );
    const text = [...patchIndexChunks('0123456789abcdef', { resources } as DesiredSet)].join('');
    const lines = text
      .split('\n')
      .slice(1, -1)
      .map((l) => JSON.parse(l) as string[]);
    expect(lines.filter((l) => l[0] === 'k').map((l) => l[2])).toEqual(['Directory/a', 'File/f1', 'File/f2']);
    const index = PatchIndex.of(text, '0123456789abcdef')!;
    expect(index.holderOf('Directory', 'a')).toBe('Directory/a');
    expect(index.holderOf('File', 'b/y')).toBe('File/f2');
    expect([index.wanted('Directory', 'a'), index.wanted('Directory', 'b'), index.wanted('Directory', 'c')]).toEqual([false, true, true]);
    expect(lines.filter((l) => l[0] === 'u')).toEqual([
      ['u', 'Directory\u0000c'],
      ['u', 'Directory\u0000b'],
    ]);
  });
});

describe('a kept plan whose command wrote state', () => {
  it('leaves neither its index nor a temporary file (the stack is planned in full next time)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-reuse-'));
    try {
      const reuse = new PlanReuse(dir);
      const resources = new Map([['Directory/d', { id: 'Directory/d', kind: 'Directory', deps: [], secretPaths: [], refs: [] } as unknown as DesiredResource]]);
      const plan = { changes: [], errors: [], drift: [] } as unknown as Parameters<PlanReuse['keep']>[2];
      reuse.keep('app', 'key', plan, { resources } as DesiredSet, { shared: 'shared', tree: 'tree' });
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(1); // written aside while the command runs
      reuse.afterClose(true, () => 'fingerprint');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
