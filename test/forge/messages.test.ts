import { describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, markedParts, markerPart, planCommentBody, splitComment, statusDescription, type PlanReport } from '../../src/forge/messages.js';
import type { Plan } from '../../src/plan/model.js';

function fenceBalanced(part: string): boolean {
  return part.split('\n').filter((l) => l.startsWith('```')).length % 2 === 0;
}

function details(part: string): number {
  return (part.match(/<details>/g) ?? []).length - (part.match(/<\/details>/g) ?? []).length;
}

function plan(stack: string, n: number): Plan {
  const changes = Array.from({ length: n }, (_, i) => ({
    id: `File/f${i}`,
    action: 'create' as const,
    reason: 'new',
    dependsOn: [],
    diff: [
      { path: '/spec/content', after: `line ${i} `.repeat(20) },
      { path: '/spec/path', after: `dir/f${i}.txt` },
    ],
  }));
  return {
    formatVersion: 1,
    repo: 'r',
    stack,
    commit: 'a'.repeat(40),
    appliedCommit: null,
    stateSerial: 0,
    changes,
    drift: [],
    orphans: [],
    errors: [],
    summary: { create: n, update: 0, replace: 0, delete: 0, noop: 0 },
    digest: 'sha256:' + 'b'.repeat(64),
  };
}

describe('plan comments: splitting at 60,000 characters', () => {
  it('keeps a short body in one part, unchanged', () => {
    expect(splitComment('a\n```diff\n+ x\n```\nb')).toEqual(['a\n```diff\n+ x\n```\nb']);
  });

  it('cuts a long fenced block into parts under the limit, closing and reopening the fence with its info string', () => {
    const body = ['intro', '```diff', ...Array.from({ length: 5000 }, (_, i) => `+ resource ${i} ${'x'.repeat(30)}`), '```', 'outro'].join('\n');
    const parts = splitComment(body, 20_000);
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(20_000);
      expect(fenceBalanced(p)).toBe(true);
    }
    for (const p of parts.slice(1)) expect(p).toMatch(/^\*\(continued, part \d+\)\*\n\n```diff\n/);
    // Nothing is lost: the content lines, in order, are all there.
    const content = parts
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('+ resource'));
    expect(content).toHaveLength(5000);
    expect(content[4999]).toContain('resource 4999');
  });

  it('closes and reopens <details> blocks cut in the middle', () => {
    const body = [
      '<details><summary>big</summary>',
      '',
      '```diff',
      ...Array.from({ length: 3000 }, (_, i) => `+ r${i} ${'y'.repeat(20)}`),
      '```',
      '',
      '</details>',
    ].join('\n');
    const parts = splitComment(body, 15_000);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) {
      expect(details(p)).toBe(0);
      expect(fenceBalanced(p)).toBe(true);
    }
  });

  it("a whole plan comment of many stacks: every part within GitHub's limit, marked, fences intact", () => {
    const report: PlanReport = {
      pr: 7,
      commit: 'c'.repeat(40),
      headSha: 'd'.repeat(40),
      at: 'merge',
      repoDiagnostics: [],
      stacks: [
        { stack: 'big', plan: plan('big', 900), diagnostics: [] },
        { stack: 'bad', diagnostics: [{ file: 'stacks/bad/x.yaml', line: 3, col: 5, message: 'spec.mode: must match pattern' }] },
      ],
    };
    const body = planCommentBody(report);
    expect(body.length).toBeGreaterThan(COMMENT_LIMIT);
    expect(body.indexOf('| `big` |')).toBeLessThan(body.indexOf('### 📝 Stack `big`')); // summary first
    const parts = markedParts('driftless:plan', body);
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(COMMENT_LIMIT);
      expect(markerPart(p, 'driftless:plan')).toBe(i);
      expect(fenceBalanced(p)).toBe(true);
      expect(details(p)).toBe(0);
    });
    expect(parts.join('\n')).toContain('`stacks/bad/x.yaml:3:5: spec.mode: must match pattern`');
    expect(statusDescription(report)).toBe('1 error: the plan cannot be applied');
  });

  it('cuts a single enormous line rather than exceed the limit', () => {
    const parts = splitComment('z'.repeat(50_000), 10_000);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(10_000);
    expect(
      parts
        .join('')
        .replace(/\*\(continued, part \d+\)\*\n\n/g, '')
        .replace(/\n/g, ''),
    ).toBe('z'.repeat(50_000));
  });

  it('markers: part 1 and continuation parts are recognised, other comments are not', () => {
    expect(markerPart('<!-- driftless:plan -->\nbody', 'driftless:plan')).toBe(0);
    expect(markerPart('<!-- driftless:plan part=3 -->\nbody', 'driftless:plan')).toBe(2);
    expect(markerPart('hello <!-- driftless:plan -->', 'driftless:plan')).toBe(-1);
    expect(markerPart('<!-- driftless:plan:x -->', 'driftless:plan')).toBe(-1);
  });
});
