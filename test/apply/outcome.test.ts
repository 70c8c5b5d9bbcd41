import { describe, expect, it } from 'vitest';
import { reachedCommit, runOutcome } from '../../src/apply/outcome.js';
import type { ResultChange } from '../../src/state/store.js';

const ok = (id: string): ResultChange => ({ id, action: 'create', outcome: 'ok' });
const failed = (id: string): ResultChange => ({ id, action: 'create', outcome: 'failed', error: 'boom' });
const skipped = (id: string, why = 'skipped: a did not succeed'): ResultChange => ({ id, action: 'create', outcome: 'skipped', error: why });

describe('runOutcome', () => {
  it('no steps: no-changes; every step ok: succeeded', () => {
    expect(runOutcome({ steps: 0, results: [], aborted: false })).toBe('no-changes');
    expect(runOutcome({ steps: 2, results: [ok('a'), ok('b')], aborted: false })).toBe('succeeded');
    expect(runOutcome({ steps: 2, results: [ok('a'), ok('b')], aborted: true })).toBe('succeeded');
  });

  it('some steps not ok: partial, or interrupted when the run was asked to stop', () => {
    expect(runOutcome({ steps: 3, results: [ok('a'), failed('b'), skipped('c')], aborted: false })).toBe('partial');
    expect(runOutcome({ steps: 3, results: [ok('a'), skipped('b', 'skipped: shutting down'), skipped('c')], aborted: true })).toBe('interrupted');
  });

  it('no step ok, or an error of the run itself: failed', () => {
    expect(runOutcome({ steps: 2, results: [failed('a'), skipped('b')], aborted: false })).toBe('failed');
    expect(runOutcome({ steps: 2, results: [skipped('a', 'skipped: shutting down'), skipped('b')], aborted: true })).toBe('failed');
    expect(runOutcome({ steps: 2, results: [ok('a'), ok('b')], error: 'state store closed', aborted: false })).toBe('failed');
    expect(runOutcome({ steps: 0, results: [], error: 'state store closed', aborted: false })).toBe('failed');
    expect(runOutcome({ steps: 2, results: [], error: 'dependency cycle: a -> b -> a', aborted: false })).toBe('failed');
  });

  it('only a run that did everything leaves the stack at its commit', () => {
    expect(reachedCommit('succeeded')).toBe(true);
    expect(reachedCommit('no-changes')).toBe(true);
    for (const o of ['failed', 'partial', 'interrupted'] as const) expect(reachedCommit(o)).toBe(false);
  });
});
