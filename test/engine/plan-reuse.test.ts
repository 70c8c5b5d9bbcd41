/**
 * A CLI plan without refresh on embedded state reuses the last plan of a stack whose inputs are all
 * unchanged and which changed nothing, and plans every other stack: one whose files, driftless.yaml
 * or state changed, one with a `!secret`, one another stack refers to, one with changes.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeFingerprint } from '../../src/state/snapshot.js';
import { applyWorkflow } from '../../src/engine/apply-workflow.js';
import { planAll, type PlanAllResult } from '../../src/engine/plan-stacks.js';
import { Workspace } from '../../src/engine/workspace.js';
import { testConfig } from '../helpers/engine.js';
import { manifest, TestRepo } from '../helpers/git.js';

const stack = (name: string, extra = '') => `  ${name}:\n    path: stacks/${name}\n    targets:\n      fs: files\n${extra}`;
const REPO_CONFIG = `version: 1\nstacks:\n${stack('a')}${stack('b')}${stack('c', '    dependsOn: [a]\n')}${stack('s')}`;

const FILES: Record<string, string> = {
  'driftless.yaml': REPO_CONFIG,
  'stacks/a/f.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }),
  'stacks/b/f.yaml': manifest('File', 'b', { path: 'b.txt', content: 'b' }),
  // c refers to a's output: a is planned whenever c is.
  'stacks/c/f.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: c\nspec:\n  path: c.txt\n  content: !ref a:File/a.outputs.sha256\n',
  // A !secret: its plan depends on the environment, never reused.
  'stacks/s/f.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: s\nspec:\n  path: s.txt\n  content: !secret S_TEXT\n',
};

async function plan(config: ReturnType<typeof testConfig>): Promise<{ r: PlanAllResult; reused: string[]; patched: string[]; text: string }> {
  const ws = await Workspace.open(config, 'plan');
  try {
    const r = await planAll(ws, await ws.resolve(), { refresh: false, reuse: ws.reuse });
    const plans = r.stacks.map((s) => s.planned?.plan ?? s.reused);
    const names = (f: (s: PlanAllResult['stacks'][number]) => boolean) => r.stacks.filter(f).map((s) => s.stack);
    return { r, reused: names((s) => !!s.reused && !s.patched), patched: names((s) => !!s.patched), text: JSON.stringify({ plans, workflow: r.workflow }) };
  } finally {
    await ws.close();
  }
}

async function apply(config: ReturnType<typeof testConfig>): Promise<void> {
  const ws = await Workspace.open(config, 'apply');
  try {
    const r = await applyWorkflow(ws, { commit: await ws.resolve(), trigger: 'test' });
    expect(r.diagnostics).toEqual([]);
    for (const s of r.stacks) expect(['applied', 'no-changes']).toContain(s.status);
  } finally {
    await ws.close();
  }
}

describe('plans of unchanged stacks, reused by a CLI plan', () => {
  it('reuses exactly the stacks whose inputs are unchanged and whose plan changed nothing; the output is the same', async () => {
    const repo = TestRepo.create(FILES);
    const config = testConfig(repo.dir, { secrets: { S_TEXT: 'hello' } });
    const applyAll = () => apply(config);
    await applyAll();
    // The first plan reads the store (changing none of it) and keeps what may be reused.
    const first = await plan(config);
    expect(first.reused).toEqual([]);
    const second = await plan(config);
    // a is planned because c refers to it; s has a secret; c refers to another stack.
    expect(second.reused).toEqual(['b']);
    expect(second.text).toBe(first.text);

    // A commit to a: a and c are planned (a's files changed), b is still reused, at the new commit.
    const head = repo.commit({ 'stacks/a/f.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a2' }) });
    const fourth = await plan(config);
    expect(fourth.reused).toEqual(['b']);
    const b = fourth.r.stacks.find((s) => s.stack === 'b')!.reused!;
    expect(b.commit).toBe(head);
    expect(fourth.r.stacks.find((s) => s.stack === 'a')!.planned!.plan.summary).toMatchObject({ update: 1 });

    // driftless.yaml changed (even in another stack's entry): nothing is reused.
    repo.commit({ 'driftless.yaml': `${REPO_CONFIG}    prune: false\n` });
    expect((await plan(config)).reused).toEqual([]);
    const kept = await plan(config);
    expect(kept.reused).toEqual(['b']);

    // An apply changed the state: nothing is reused until a plan has read the new state.
    repo.commit({ 'stacks/b/f.yaml': manifest('File', 'b', { path: 'b.txt', content: 'b2' }) });
    const withChange = await plan(config);
    expect(withChange.reused).toEqual([]); // b's files changed: its kept plan is patched (plan-patch.test.ts)
    expect(withChange.patched).toEqual(['b']);
    expect(withChange.r.stacks.find((s) => s.stack === 'b')!.reused!.summary).toMatchObject({ update: 1 });
    // A stack with changes is never kept: patched again from the plan kept before.
    expect((await plan(config)).patched).toEqual(['b']);
    await applyAll();
    const after = await plan(config);
    expect(after.reused).toEqual([]);
    const last = await plan(config);
    expect(last.reused).toEqual(['b']);
    expect(last.text).toBe(after.text);

    // A plan that has to start the store (no snapshot) but writes nothing keeps what was kept.
    rmSync(join(config.dataDir, 'state-snapshot'), { recursive: true, force: true });
    const fp = storeFingerprint(join(config.dataDir, 'state'));
    expect((await plan(config)).reused).toEqual(['b']);
    expect(storeFingerprint(join(config.dataDir, 'state'))).not.toBe(fp);
    expect((await plan(config)).reused).toEqual(['b']);
    repo.remove();
  }, 120_000);

  it('writes each index whole beside the plan file that names it, and leaves no temporary file (removing those a killed command left)', async () => {
    const repo = TestRepo.create(FILES);
    const config = testConfig(repo.dir, { secrets: { S_TEXT: 'hello' } });
    await apply(config);
    const left = ['plan-reuse.0123456789abcdef.deps.99999.tmp', 'plan-reuse.json.99999.tmp'];
    for (const f of left) writeFileSync(join(config.dataDir, f), 'half');
    await plan(config);
    const files = readdirSync(config.dataDir)
      .filter((f) => f.startsWith('plan-reuse'))
      .sort();
    const kept = JSON.parse(readFileSync(join(config.dataDir, 'plan-reuse.json'), 'utf8')) as { stacks: Record<string, { base?: { deps: string } }> };
    const named = Object.values(kept.stacks).flatMap((k) => (k.base ? [`plan-reuse.${k.base.deps}.deps`] : []));
    expect(named.length).toBeGreaterThan(0);
    expect(files).toEqual(['plan-reuse.json', ...named].sort());
    const b = kept.stacks.b.base!.deps;
    expect(readFileSync(join(config.dataDir, `plan-reuse.${b}.deps`), 'utf8')).toBe(`${b}\n["i","File/b"]\n["k","File\\u0000b.txt","File/b"]\n`);
    repo.remove();
  }, 120_000);
});
