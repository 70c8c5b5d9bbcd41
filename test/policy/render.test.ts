import { describe, expect, it } from 'vitest';
import { countResults, policyMarkdown, policyNoteLines, policyStatusLine } from '../../src/policy/render.js';
import type { StackPolicyReport } from '../../src/policy/evaluate.js';
import { noteText } from '../../src/forge/messages.js';

const report: StackPolicyReport = {
  stack: 'web',
  digest: 'sha256:abc',
  results: [
    { name: 'hard', level: 'hard-mandatory', file: 'h.yaml', checked: 2, outcome: 'passed', failures: [] },
    { name: 'soft', level: 'soft-mandatory', file: 's.yaml', checked: 2, outcome: 'failed', failures: [{ change: 'File/a', message: 'a | has a TODO' }] },
    {
      name: 'hint',
      level: 'advisory',
      file: 'a.yaml',
      checked: 1,
      outcome: 'warned',
      failures: [{ change: null, message: 'big plan', error: 'No such key: x' }],
    },
  ],
};
const override = { policy: 'soft', digest: 'sha256:abc', by: 'sec', reason: 'tracked in #9', at: '2026-12-01T10:00:00.000Z' };

describe('policy results in words', () => {
  it('the comment section lists each policy, the failures per change (table cells escaped) and an override', () => {
    const lines = policyMarkdown(report, [], 'Blocked by policy on stack `web`: …').join('\n');
    expect(lines).toContain('| `soft` | soft-mandatory | ❌ failed: 1 of 2 |');
    expect(lines).toContain('- `File/a`: a \\| has a TODO');
    expect(lines).toContain('- big plan (error: No such key: x)');
    expect(lines).toContain('> ⛔ Blocked by policy');
    expect(policyMarkdown(report, [override], null).join('\n')).toContain('| `soft` | soft-mandatory | ✋ overridden by @sec: tracked in #9 |');
  });

  it('the status line counts, and an override of another plan does not count', () => {
    expect(policyStatusLine(countResults([report], [override]))).toBe('Policies: 1 passed, 1 warned, 0 failed, 1 overridden');
    expect(policyStatusLine(countResults([report], [{ ...override, digest: 'sha256:other' }]))).toBe('Policies: 1 passed, 1 warned, 1 failed');
  });

  it('the git note of an apply names the overrides used: who, when, why, which plan', () => {
    const lines = policyNoteLines(report, [override]);
    expect(lines).toEqual([
      'policy soft (soft-mandatory): failed, overridden by @sec at 2026-12-01T10:00:00.000Z: tracked in #9 (plan sha256:abc)',
      'policy hint (advisory): warned',
    ]);
    const note = noteText({
      stack: 'web',
      commit: 'c'.repeat(40),
      pr: 3,
      actor: null,
      author: 'A <a@example.com>',
      time: '2026-12-01T10:01:00.000Z',
      policy: lines,
      result: { runId: 7, outcome: 'succeeded', summary: { create: 1, update: 0, replace: 0, delete: 0, noop: 0 }, results: [] },
    } as unknown as Parameters<typeof noteText>[0]);
    expect(note).toContain('policy soft (soft-mandatory): failed, overridden by @sec');
  });
});
