import { describe, expect, it } from 'vitest';
import type { Ack } from '../../src/manifests/acks.js';
import { applyAcks } from '../../src/plan/acks.js';
import type { DriftEntry, Plan } from '../../src/plan/model.js';
import { planDigest, withoutChanges, type PlannedStack } from '../../src/plan/planner.js';

const ack = (resource: string, expires: string, fields?: string[]): Ack => {
  const [stack, id] = resource.split(':');
  return { resource, stack, id, ...(fields ? { fields } : {}), reason: 'incident 231', owner: '@ada', expires, line: 2, col: 5 };
};
const motd: DriftEntry = {
  id: 'File/motd',
  diff: [
    { path: '/spec/content', before: 'a', after: 'b' },
    { path: '/spec/mode', before: '0644', after: '0600' },
  ],
};
const gone: DriftEntry = { id: 'File/gone', diff: [], gone: true };

describe('applyAcks', () => {
  const acks = [ack('web:File/motd', '2027-01-15', ['/spec/content']), ack('web:File/gone', '2027-01-15', ['/spec'])];

  it('acknowledges drift in the scope of a valid ack and leaves the rest as drift', () => {
    const r = applyAcks([motd, gone], 'web', acks, new Date('2026-12-02T00:00:00Z'));
    expect(r.acknowledged).toEqual([
      {
        id: 'File/motd',
        diff: [{ path: '/spec/content', before: 'a', after: 'b' }],
        acks: [{ resource: 'web:File/motd', fields: ['/spec/content'], reason: 'incident 231', owner: '@ada', expires: '2027-01-15' }],
      },
    ]);
    // A deletion is acknowledged only by a whole-resource ack (a field ack, even /spec, is not one).
    expect(r.drift).toEqual([{ id: 'File/motd', diff: [{ path: '/spec/mode', before: '0644', after: '0600' }] }, gone]);
    expect(r.lapsed).toEqual([]);
  });

  it('a whole-resource ack covers every field and a deletion; another stack is not concerned', () => {
    const whole = [ack('web:File/motd', '2027-01-15'), ack('web:File/gone', '2027-01-15')];
    const r = applyAcks([motd, gone], 'web', whole, new Date('2027-01-15T23:59:59Z'));
    expect(r.drift).toEqual([]);
    expect(r.acknowledged.map((a) => [a.id, a.diff.length, a.gone ?? false])).toEqual([
      ['File/motd', 2, false],
      ['File/gone', 0, true],
    ]);
    expect(applyAcks([motd], 'ops', whole, new Date('2027-01-01T00:00:00Z')).drift).toEqual([motd]);
  });

  it('a pointer covers what is below it, not its siblings or parents', () => {
    const d: DriftEntry = {
      id: 'File/motd',
      diff: [
        { path: '/spec/labels/a', before: '1', after: '2' },
        { path: '/spec/labelsX', before: '1', after: '2' },
        { path: '/spec', before: 1, after: 2 },
      ],
    };
    const r = applyAcks([d], 'web', [ack('web:File/motd', '2027-01-15', ['/spec/labels'])], new Date('2027-01-01T00:00:00Z'));
    expect(r.acknowledged[0].diff.map((e) => e.path)).toEqual(['/spec/labels/a']);
    expect(r.drift[0].diff.map((e) => e.path)).toEqual(['/spec/labelsX', '/spec']);
  });

  it('after the expires day the drift alarms again and the ack is reported as lapsed', () => {
    const r = applyAcks([motd, gone], 'web', [...acks, ack('web:File/gone', '2027-01-15')], new Date('2027-01-16T00:00:00Z'));
    expect(r.acknowledged).toEqual([]);
    expect(r.drift).toEqual([motd, gone]);
    expect(r.lapsed).toEqual([
      {
        id: 'File/motd',
        paths: ['/spec/content'],
        ack: { resource: 'web:File/motd', fields: ['/spec/content'], reason: 'incident 231', owner: '@ada', expires: '2027-01-15' },
      },
      { id: 'File/gone', paths: [], ack: { resource: 'web:File/gone', reason: 'incident 231', owner: '@ada', expires: '2027-01-15' } },
    ]);
  });
});

describe('withoutChanges (remediation leaves acknowledged resources alone)', () => {
  it('drops their changes, counts them unchanged, and digests what is left', () => {
    const change = (id: string, action: 'update' | 'create') => ({
      id,
      action,
      diff: [{ path: '/spec/content', before: 'a', after: 'b' }],
      dependsOn: [],
      reason: 'changed outside driftless',
    });
    const changes = [change('File/a', 'update'), change('File/b', 'create')];
    const full: Plan = {
      formatVersion: 1,
      repo: 'r',
      stack: 'web',
      commit: 'c',
      appliedCommit: 'c',
      stateSerial: 3,
      changes,
      drift: [],
      orphans: [],
      errors: [],
      summary: { create: 1, update: 1, replace: 0, delete: 0, noop: 2 },
      digest: planDigest('web', changes),
    };
    const planned = { plan: full, steps: new Map(changes.map((c) => [c.id, c])), desired: {} as PlannedStack['desired'], recorded: new Map() };
    const left = withoutChanges(planned, new Set(['File/a']));
    expect(left.plan.changes.map((c) => c.id)).toEqual(['File/b']);
    expect([...left.steps.keys()]).toEqual(['File/b']);
    expect(left.plan.summary).toEqual({ create: 1, update: 0, replace: 0, delete: 0, noop: 3 });
    expect(left.plan.digest).toBe(planDigest('web', [changes[1]]));
    expect(withoutChanges(planned, new Set(['File/zz']))).toBe(planned);
  });
});
