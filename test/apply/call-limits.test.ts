import { describe, expect, it } from 'vitest';
import { TestRepo, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { applyStack } from '../../src/engine/apply-stack.js';
import { callLimits, type ProgressEvent } from '../../src/apply/executor.js';
import type { Step } from '../../src/plan/planner.js';

const step = (id: string, apiVersion: string): [string, Step] => [
  id,
  { id, action: 'create', reason: 'new', diff: [], dependsOn: [], desired: { apiVersion } } as unknown as Step,
];

/** The most steps between their start and their end at any moment. */
function mostAtOnce(events: ProgressEvent[]): number {
  let now = 0;
  let most = 0;
  for (const e of events) {
    if (e.type === 'start') most = Math.max(most, ++now);
    else if (e.type === 'done' || e.type === 'failed') now--;
  }
  return most;
}

describe('provider calls at once during apply', () => {
  it("each provider's own default unless parallelism is set; the walk as wide as the widest", () => {
    const steps = new Map([step('File/a', 'fs.driftless.dev/v1'), step('File/b', 'fs.driftless.dev/v1'), step('Role/r', 'postgres.driftless.dev/v1')]);
    const own = (v: string) => (v.startsWith('fs.') ? 32 : undefined);
    const mixed = callLimits(steps, { parallelismOf: own });
    expect(mixed.width).toBe(32);
    expect([...mixed.limiters].map(([v, l]) => [v, l.limit])).toEqual([['postgres.driftless.dev/v1', 8]]);
    // Set by the server config or --parallelism: every provider, no limiter.
    const set = callLimits(steps, { parallelism: 4, parallelismOf: own });
    expect(set.width).toBe(4);
    expect(set.limiters.size).toBe(0);
    // No provider says: 8.
    const plain = callLimits(steps, {});
    expect(plain.width).toBe(8);
    expect(plain.limiters.size).toBe(0);
  });

  it('an fs apply runs more than 8 calls at once by default, and never more than --parallelism when set', { timeout: 120_000 }, async () => {
    const files = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`stacks/web/f${i}.yaml`, manifest('File', `f${i}`, { path: `f${i}.txt`, content: `${i}\n` })]),
    );
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, ...files });
    const ws = await Workspace.open(testConfig(repo.dir), 'test');
    try {
      const wide: ProgressEvent[] = [];
      const first = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test', onProgress: (e) => wide.push(e) });
      expect(first.result!.outcome).toBe('succeeded');
      expect(mostAtOnce(wide)).toBeGreaterThan(8);
      expect(mostAtOnce(wide)).toBeLessThanOrEqual(32);

      repo.commit(
        Object.fromEntries(
          Array.from({ length: 60 }, (_, i) => [`stacks/web/f${i}.yaml`, manifest('File', `f${i}`, { path: `f${i}.txt`, content: `${i} again\n` })]),
        ),
      );
      const narrow: ProgressEvent[] = [];
      const second = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test', parallelism: 3, onProgress: (e) => narrow.push(e) });
      expect(second.result!.outcome).toBe('succeeded');
      expect(second.result!.results).toHaveLength(60);
      expect(mostAtOnce(narrow)).toBeLessThanOrEqual(3);
    } finally {
      await ws.close();
    }
  });
});
