import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifest } from '../helpers/git.js';
import { workflowRepo } from '../helpers/workflow-repo.js';
import { testConfig } from '../helpers/engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { applyWorkflow } from '../../src/engine/apply-workflow.js';
import { planAll } from '../../src/engine/plan-stacks.js';

/** The stacks whose live objects were read, in order, by each refresh of a workspace. */
function countRefreshes(ws: Workspace): string[] {
  const stacks: string[] = [];
  const refresh = ws.refresh.bind(ws);
  vi.spyOn(ws, 'refresh').mockImplementation((repoConfig, stack, recorded, mode) => {
    stacks.push(stack);
    return refresh(repoConfig, stack, recorded, mode);
  });
  return stacks;
}

const count = (xs: string[], x: string) => xs.filter((s) => s === x).length;

describe('an apply after its workflow plan reads the live objects once', () => {
  it('uses what the plan read while the stack state is unchanged; reads again after an upstream stack changed something or the state moved', {
    timeout: 120_000,
  }, async () => {
    const { repo, root } = workflowRepo();
    const ws = await Workspace.open(testConfig(repo.dir, { root }), 'test');
    try {
      const reads = countRefreshes(ws);
      const first = await applyWorkflow(ws, { commit: await ws.resolve(), trigger: 'test' });
      expect(first.stacks.map((s) => s.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
      // db and other have no upstream stack: their plan's reads stand. app follows db, edge follows
      // app, and both upstream stacks changed something: read again under the lock.
      expect(['db', 'other', 'app', 'edge'].map((s) => count(reads, s))).toEqual([1, 1, 2, 2]);

      // Nothing to do: each stack's objects are read once.
      reads.length = 0;
      const again = await applyWorkflow(ws, { commit: await ws.resolve(), trigger: 'test' });
      expect(again.stacks.map((s) => s.status)).toEqual(['no-changes', 'no-changes', 'no-changes', 'no-changes']);
      expect(reads.sort()).toEqual(['app', 'db', 'edge', 'other']);

      // The state moves between the plan shown and the apply (here, inside the confirmation): the
      // apply reads the objects again, and sees the file changed meanwhile.
      repo.commit({ 'stacks/other/one.yaml': manifest('File', 'one', { path: 'one.txt', content: 'one\n' }) });
      reads.length = 0;
      const store = await ws.store();
      const moved = await applyWorkflow(ws, {
        commit: await ws.resolve(),
        trigger: 'test',
        stacks: ['other'],
        confirm: async (plans) => {
          expect(plans[0].changes.map((c) => `${c.action} ${c.id}`)).toEqual(['create File/one']);
          writeFileSync(join(root, 'other.txt'), 'changed by hand\n');
          const o = (await store.resources(ws.key('other'))).get('File/o')!;
          await store.putResource(ws.key('other'), o);
          return true;
        },
      });
      expect(count(reads, 'other')).toBe(2);
      expect(moved.stacks[0].status).toBe('applied');
      expect(readFileSync(join(root, 'other.txt'), 'utf8')).toBe('alone\n');

      // The same with the state unchanged: the apply carries out the plan that was shown (it creates
      // the new file and leaves other.txt, unchanged when planned), as a confirmed plan is carried
      // out. The next plan finds the drift.
      repo.commit({ 'stacks/other/new.yaml': manifest('File', 'new', { path: 'new.txt', content: 'new\n' }) });
      reads.length = 0;
      const shown = await applyWorkflow(ws, {
        commit: await ws.resolve(),
        trigger: 'test',
        stacks: ['other'],
        confirm: async (plans) => {
          expect(plans[0].changes.map((c) => `${c.action} ${c.id}`)).toEqual(['create File/new']);
          writeFileSync(join(root, 'other.txt'), 'changed by hand\n');
          return true;
        },
      });
      expect(count(reads, 'other')).toBe(1);
      expect(shown.stacks[0].status).toBe('applied');
      expect(readFileSync(join(root, 'new.txt'), 'utf8')).toBe('new\n');
      expect(readFileSync(join(root, 'other.txt'), 'utf8')).toBe('changed by hand\n');
      const next = await planAll(ws, await ws.resolve(), { stacks: ['other'] });
      expect(next.stacks[0].planned!.plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['update File/o']);
    } finally {
      await ws.close();
    }
  });
});
