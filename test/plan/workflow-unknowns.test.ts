import { describe, expect, it } from 'vitest';
import { allOutputsChange, changedOutputs, upstreamValue, usesChangedOutputs } from '../../src/plan/workflow.js';
import { Ref, UNKNOWN } from '../../src/manifests/values.js';
import type { KindInfo } from '../../src/sdk/provider.js';
import type { DesiredSet } from '../../src/plan/desired.js';
import type { RecordedResource } from '../../src/plan/model.js';

// The shapes of fs File and PostgresDatabase: outputs from fields, and one from none (an oid).
const file = { schema: {}, outputSources: { path: ['/spec/path'], sha256: ['/spec/content'] } } as unknown as KindInfo;
const database = { schema: {}, outputSources: { name: ['/spec/name'], oid: [], owner: ['/spec/owner'] } } as unknown as KindInfo;
const coarse = { schema: {} } as unknown as KindInfo;
const kinds: Record<string, KindInfo> = { 'File/f': file, 'PostgresDatabase/d': database, 'Custom/c': coarse };
const infoOf = (id: string) => kinds[id];
const update = (id: string, ...paths: string[]) => ({ id, action: 'update' as const, diff: paths.map((path) => ({ path })) });
const ref = (text: string) => Ref.parse(text)!;

const recorded = new Map<string, RecordedResource>([
  [
    'File/f',
    { id: 'File/f', apiVersion: 'fs.driftless.dev/v1', kind: 'File', name: 'f', spec: {}, outputs: { path: 'a.txt', sha256: 'abc' }, deps: [], protect: false },
  ],
  [
    'PostgresDatabase/d',
    {
      id: 'PostgresDatabase/d',
      apiVersion: 'postgres.driftless.dev/v1',
      kind: 'PostgresDatabase',
      name: 'd',
      spec: {},
      outputs: { name: 'd', oid: 7, owner: 'o' },
      deps: [],
      protect: false,
    },
  ],
  ['Custom/c', { id: 'Custom/c', apiVersion: 'x/v1', kind: 'Custom', name: 'c', spec: {}, outputs: { name: 'c' }, deps: [], protect: false }],
]);

describe('which upstream outputs a change makes unknown', () => {
  it('an update leaves known the outputs derived only from fields it does not touch', () => {
    const changed = changedOutputs([update('File/f', '/spec/content'), update('PostgresDatabase/d', '/spec/owner')], infoOf);
    const view = { recorded, changed };
    expect(upstreamValue(ref('db:File/f.outputs.path'), view)).toBe('a.txt');
    expect(upstreamValue(ref('db:File/f.outputs.sha256'), view)).toBe(UNKNOWN);
    expect(upstreamValue(ref('db:PostgresDatabase/d.outputs.name'), view)).toBe('d');
    expect(upstreamValue(ref('db:PostgresDatabase/d.outputs.owner'), view)).toBe(UNKNOWN);
    // Derived from no field: it may change with any change of its resource.
    expect(upstreamValue(ref('db:PostgresDatabase/d.outputs.oid'), view)).toBe(UNKNOWN);
  });

  it('a nested change counts for the field above it, and a field above counts for those below', () => {
    const nested = { schema: {}, outputSources: { sha256: ['/spec/vars'], path: ['/spec/path/x'] } } as unknown as KindInfo;
    const keeps = changedOutputs([update('File/f', '/spec/vars/workers', '/spec/path')], () => nested).get('File/f')!;
    expect([...keeps]).toEqual([]);
    expect([...changedOutputs([update('File/f', '/spec/mode')], () => nested).get('File/f')!].sort()).toEqual(['path', 'sha256']);
  });

  it('every output is unknown on a create, replace or delete, and for a kind without outputSources', () => {
    for (const action of ['create', 'replace', 'delete'] as const) {
      const changed = changedOutputs([{ id: 'File/f', action, diff: [{ path: '/spec/content' }] }], infoOf);
      expect(upstreamValue(ref('db:File/f.outputs.path'), { recorded, changed })).toBe(UNKNOWN);
    }
    const changed = changedOutputs([update('Custom/c', '/spec/other')], infoOf);
    expect(upstreamValue(ref('db:Custom/c.outputs.name'), { recorded, changed })).toBe(UNKNOWN);
    expect(upstreamValue(ref('db:File/f.outputs.path'), { recorded, changed: allOutputsChange(['File/f']) })).toBe(UNKNOWN);
  });

  it('a downstream stack is planned again only when it uses an output that may change', () => {
    const set = (text: string) =>
      ({ resources: new Map([['File/x', { id: 'File/x', refs: [{ path: '/spec/content', ref: ref(text) }] }]]) }) as unknown as DesiredSet;
    const byStack = new Map([['db', changedOutputs([update('File/f', '/spec/content')], infoOf)]]);
    expect(usesChangedOutputs(set('db:File/f.outputs.path'), byStack)).toBe(false);
    expect(usesChangedOutputs(set('db:File/f.outputs.sha256'), byStack)).toBe(true);
    expect(usesChangedOutputs(set('db:PostgresDatabase/d.outputs.name'), byStack)).toBe(false);
  });
});
