import { describe, expect, it } from 'vitest';
import { checkAckTargets, parseAcks } from '../../src/manifests/acks.js';
import { formatDiagnostic } from '../../src/manifests/diagnostics.js';

const now = new Date('2026-12-02T10:00:00Z');
const opts = { now, maxDays: 90 };

describe('.driftless/acks.yaml', () => {
  it('reads acks with where they are written', () => {
    const r = parseAcks(
      [
        'acks:',
        '  - resource: web:File/motd       # stack:id',
        '    fields: [/spec/content]',
        '    reason: hotfix during incident 231, to be folded into the manifest',
        '    owner: "@ada"',
        '    expires: 2027-01-15',
        '  - resource: db:PostgresRole/app',
        '    reason: rotated by hand',
        '    owner: "@ops/dba"',
        '    expires: 2026-12-02',
        '',
      ].join('\n'),
      opts,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.acks).toEqual([
      {
        resource: 'web:File/motd',
        stack: 'web',
        id: 'File/motd',
        fields: ['/spec/content'],
        reason: 'hotfix during incident 231, to be folded into the manifest',
        owner: '@ada',
        expires: '2027-01-15',
        line: 2,
        col: 5,
      },
      {
        resource: 'db:PostgresRole/app',
        stack: 'db',
        id: 'PostgresRole/app',
        reason: 'rotated by hand',
        owner: '@ops/dba',
        expires: '2026-12-02',
        line: 7,
        col: 5,
      },
    ]);
    expect(parseAcks('', opts)).toEqual({ acks: [], diagnostics: [] });
    expect(parseAcks('acks: []\n', opts)).toEqual({ acks: [], diagnostics: [] });
  });

  it('reports each problem at its line and drops the ack it makes unusable', () => {
    const r = parseAcks(
      [
        'acks:',
        '  - resource: web:File/a',
        '    reason: r',
        '    owner: "@ada"',
        '    expires: 2027-01-15',
        '    expire: 2027-01-15',
        '  - resource: web:File/b',
        '    fields: [spec/content, /status/x, /spec/a~2]',
        '    reason: r',
        '    owner: "@ada"',
        '    expires: 2027-01-15',
        '  - resource: web:File/c',
        '    reason: r',
        '    owner: "@ada"',
        '    expires: 2027-06-01',
        '  - resource: web:File/d',
        '    reason: r',
        '    owner: "@ada"',
        '    expires: 2027-02-30',
        '  - resource: web:File/e',
        '    reason: r',
        '    owner: "@ada"',
        '    expires: 2026-11-30',
        '  - resource: web:File/f',
        '    owner: ada',
        '    expires: 2027-01-15',
        '',
      ].join('\n'),
      opts,
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      '.driftless/acks.yaml:6:5: acks.0.expire: unknown property',
      '.driftless/acks.yaml:24:5: acks.5.reason: is required',
      '.driftless/acks.yaml:25:12: acks.5.owner: must match pattern "^@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$"',
      '.driftless/acks.yaml:8:14: acks.1.fields.0: "spec/content" is not a JSON pointer: it must start with /',
      '.driftless/acks.yaml:8:28: acks.1.fields.1: "/status/x" must point into the resource\'s spec (/spec/...)',
      '.driftless/acks.yaml:8:39: acks.1.fields.2: "/spec/a~2" is not a JSON pointer: ~ must be followed by 0 or 1',
      '.driftless/acks.yaml:15:14: acks.2.expires: 2027-06-01 is 181 days ahead; at most 90 are allowed (server config acks.maxDays)',
      '.driftless/acks.yaml:19:14: acks.3.expires: 2027-02-30 is not a date',
      '.driftless/acks.yaml:23:14: acks.4: the acknowledgement of web:File/e expired on 2026-11-30; remove it or renew it',
    ]);
    // The expired one is kept: it reports a lapse.
    expect(r.acks.map((a) => a.resource)).toEqual(['web:File/e']);
    // The server config may allow more days.
    expect(parseAcks('acks:\n  - { resource: "web:File/c", reason: r, owner: "@ada", expires: 2027-06-01 }\n', { now, maxDays: 365 }).diagnostics).toEqual([]);
  });

  it('reports a malformed file as a whole', () => {
    expect(parseAcks('acks: {}\n', opts).diagnostics.map(formatDiagnostic)).toEqual(['.driftless/acks.yaml:1:7: acks: must be array']);
    expect(parseAcks('acks:\n  - [unclosed\n', opts).diagnostics.length).toBeGreaterThan(0);
  });

  it('reports an ack of a resource that does not exist at its line', () => {
    const { acks } = parseAcks(
      'acks:\n  - { resource: "web:File/a", reason: r, owner: "@ada", expires: 2027-01-15 }\n' +
        '  - { resource: "web:File/zz", reason: r, owner: "@ada", expires: 2027-01-15 }\n' +
        '  - { resource: "nope:File/a", reason: r, owner: "@ada", expires: 2027-01-15 }\n',
      opts,
    );
    const ids = new Map([['web', new Set(['File/a'])]]);
    expect(checkAckTargets(acks, (s) => ids.get(s)).map(formatDiagnostic)).toEqual([
      '.driftless/acks.yaml:3:5: web:File/zz: stack web declares no resource File/zz',
      '.driftless/acks.yaml:4:5: nope:File/a: there is no stack nope in driftless.yaml',
    ]);
  });
});
