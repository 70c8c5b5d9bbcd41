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

      // A new file in stack `other`, applied with a confirmation during which other.txt is changed
      // by hand (and `meanwhile` runs): the plan shown creates the new file only.
      const store = await ws.store();
      const applyNewFile = async (name: string, meanwhile: () => Promise<void> = async () => {}) => {
        repo.commit({ [`stacks/other/${name}.yaml`]: manifest('File', name, { path: `${name}.txt`, content: `${name}\n` }) });
        reads.length = 0;
        return applyWorkflow(ws, {
          commit: await ws.resolve(),
          trigger: 'test',
          stacks: ['other'],
          confirm: async (plans) => {
            expect(plans[0].changes.map((c) => `${c.action} ${c.id}`)).toEqual([`create File/${name}`]);
            writeFileSync(join(root, 'other.txt'), 'changed by hand\n');
            await meanwhile();
            return true;
          },
        });
      };

      // The state moves between the plan shown and the apply: the apply reads the objects again,
      // and sees the file changed meanwhile.
      const moved = await applyNewFile('one', async () => {
        const o = (await store.resources(ws.key('other'))).get('File/o')!;
        await store.putResource(ws.key('other'), o);
      });
      expect(count(reads, 'other')).toBe(2);
      expect(moved.stacks[0].status).toBe('applied');
      expect(readFileSync(join(root, 'other.txt'), 'utf8')).toBe('alone\n');

      // The same with the state unchanged: the apply carries out the plan that was shown (it creates
      // the new file and leaves other.txt, unchanged when planned), as a confirmed plan is carried
      // out. The next plan finds the drift.
      const shown = await applyNewFile('new');
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
