import { describe, expect, it } from 'vitest';
import { planDigest } from '../../src/plan/planner.js';
import type { Change } from '../../src/plan/model.js';
import { canonicalJson, sha256 } from '../../src/plan/values.js';

/** The digest as it was defined: the SHA-256 of the whole canonical JSON text. */
const whole = (stack: string, changes: Change[]) => sha256(canonicalJson({ stack, changes: changes.map(({ id, action, diff }) => ({ id, action, diff })) }));

describe('plan digest', () => {
  it('is the SHA-256 of the canonical JSON of the stack and its changes, hashed a change at a time', () => {
    const changes = [
      { id: 'File/a', action: 'create', reason: 'new', diff: [{ path: '/spec/content', after: 'ünïcode "quoted"\n\\ ✓' }], dependsOn: [] },
      { id: 'File/b', action: 'update', reason: 'changed', diff: [{ path: '/spec/mode', before: '0644', after: '0600' }], dependsOn: ['File/a'] },
      { id: 'Directory/d', action: 'delete', reason: 'gone', diff: [{ path: '/spec', before: { z: 1, a: [2, { y: null, b: true }] } }], dependsOn: [] },
      { id: 'File/c', action: 'noop', diff: undefined },
    ] as unknown as Change[];
    for (const stack of ['web', 'stack "quoted" ✓']) {
      for (const n of [0, 1, changes.length]) expect(planDigest(stack, changes.slice(0, n))).toBe(whole(stack, changes.slice(0, n)));
    }
    expect(planDigest('web', changes)).not.toBe(planDigest('web', changes.slice(1)));
    expect(planDigest('web', changes)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
