import { describe, expect, it } from 'vitest';
import { PatchIndex, patchIndexChunks } from '../../src/engine/patch-index.js';
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
