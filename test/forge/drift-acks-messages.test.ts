import { describe, expect, it } from 'vitest';
import { driftBody, driftGoneBody } from '../../src/forge/messages.js';
import type { Plan } from '../../src/plan/model.js';

const plan: Plan = {
  formatVersion: 1,
  repo: 'r',
  stack: 'web',
  commit: 'abcdef0123456789',
  appliedCommit: 'abcdef0123456789',
  stateSerial: 1,
  changes: [],
  drift: [{ id: 'File/motd', diff: [{ path: '/spec/mode', before: '0644', after: '0600' }] }],
  orphans: [],
  errors: [],
  summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 1 },
  digest: 'sha256:0000000000000000000000',
};
const ack = { resource: 'web:File/motd', fields: ['/spec/content'], reason: 'incident 231', owner: '@ada', expires: '2027-01-15' };

describe('drift issue texts with acknowledgements', () => {
  it('names lapsed acks first, shows acknowledged drift apart, and what remediation left alone', () => {
    const body = driftBody('web', plan, null, {
      lapsed: [{ id: 'File/old', paths: [], ack: { resource: 'web:File/old', reason: 'moved by hand', owner: '@bob', expires: '2026-11-30' } }],
      acknowledged: [{ id: 'File/motd', diff: [{ path: '/spec/content', before: 'a', after: 'b' }], acks: [ack] }],
      notRemediated: ['File/motd'],
    });
    const lines = body.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'driftless found that the live state of stack `web` differs from what was applied at `abcdef012345`.',
      '',
      '- ⏰ acknowledgement by @bob (moved by hand) lapsed on 2026-11-30: File/old (deleted outside driftless) alarms again',
    ]);
    expect(body).toContain(
      '**Acknowledged drift** (`.driftless/acks.yaml`; not reported as drift, not remediated):\n\n- File/motd /spec/content: acknowledged by @ada until 2027-01-15 (incident 231)\n',
    );
    expect(body).toContain('Not remediated, because they also have acknowledged drift that re-applying them would revert: `File/motd`.');
    // Without acks the body is what it was.
    expect(driftBody('web', plan, null)).not.toMatch(/acknowledg/i);
  });

  it('closing: says what stays acknowledged', () => {
    expect(driftGoneBody('web')).toBe('The drift of stack `web` is gone: the live state matches what was applied.');
    expect(driftGoneBody('web', [{ id: 'File/motd', diff: [{ path: '/spec/content' }], acks: [ack] }])).toBe(
      'The drift of stack `web` that alarmed is gone; what remains is acknowledged in `.driftless/acks.yaml`:\n\n' +
        '- File/motd /spec/content: acknowledged by @ada until 2027-01-15 (incident 231)',
    );
  });
});
