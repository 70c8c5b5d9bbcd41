import { describe, expect, it } from 'vitest';
import { appliedEntries, holdEntries, refusedEntries } from '../../src/reconcile/report.js';
import type { OutboxEntry } from '../../src/reconcile/durable/outbox.js';
import type { Plan } from '../../src/plan/model.js';

/** GitHub refuses a comment body over 65,536 characters (422). */
const GITHUB_BODY_LIMIT = 65_536;

function bigPlan(n: number): Plan {
  return {
    formatVersion: 1,
    repo: 'r',
    stack: 'web',
    commit: 'a'.repeat(40),
    appliedCommit: null,
    stateSerial: 0,
    changes: Array.from({ length: n }, (_, i) => ({
      id: `File/f${i}`,
      action: 'create' as const,
      reason: 'new',
      dependsOn: [],
      diff: [{ path: '/spec/content', after: `line ${i} `.repeat(20) }],
    })),
    drift: [],
    orphans: [],
    errors: [],
    summary: { create: n, update: 0, replace: 0, delete: 0, noop: 0 },
    digest: `sha256:${'b'.repeat(64)}`,
  };
}

function commentBodies(entries: OutboxEntry[]): string[] {
  return entries.flatMap((e) => (e.op.type === 'comment.upsert' || e.op.type === 'commit-comment.upsert' ? e.op.bodies : []));
}

describe('report entries: every comment fits GitHub’s limit', () => {
  it('a held apply of a large plan is split into parts, on a pull request and on a commit', () => {
    for (const pr of [12, null]) {
      const bodies = commentBodies(holdEntries({ stack: 'web', commit: 'c'.repeat(40), pr, plan: bigPlan(3000), reason: 'held for review' }));
      expect(bodies.length).toBeGreaterThan(1);
      for (const b of bodies) expect(b.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
      // Nothing is lost across the parts.
      expect(bodies.join('\n')).toContain('File/f2999');
    }
  });

  it('the result of a large apply and a long refusal are split too', () => {
    const plan = bigPlan(3000);
    const result = {
      runId: 9,
      outcome: 'failed' as const,
      summary: plan.summary,
      plan,
      results: plan.changes.map((c) => ({ id: c.id, action: c.action, outcome: 'failed' as const, error: `disk full ${'x'.repeat(40)}` })),
    };
    const applied = commentBodies(
      appliedEntries({ stack: 'web', commit: 'c'.repeat(40), pr: 3, actor: null, author: null, result, time: '2026-12-01T00:00:00Z' }),
    );
    const refused = commentBodies(
      refusedEntries('web', 'c'.repeat(40), 3, Array.from({ length: 3000 }, (_, i) => `stacks/web/f${i}.yaml:1:1: bad`).join('\n')),
    );
    for (const bodies of [applied, refused]) {
      expect(bodies.length).toBeGreaterThan(1);
      for (const b of bodies) expect(b.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    }
  });
});
