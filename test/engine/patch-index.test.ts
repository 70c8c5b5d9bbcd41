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
