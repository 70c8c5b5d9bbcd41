/**
 * A CLI re-plan patches the kept plan of a stack by the files a commit changed (plan-patch.ts):
 * checked against the plan made in full at every commit, over edits the patch takes (specs
 * changed, several files, comments only, files and resources added, removed or renamed, a
 * protected resource removed) and edits it must leave to the full plan (a dependency removed or
 * added, a directory added that a declared file is under, an id or a natural key taken, a cycle,
 * a schema or YAML error, a `!ref`), and after an apply (the kept plan no longer holds).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWorkflow } from '../../src/engine/apply-workflow.js';
import { planAll } from '../../src/engine/plan-stacks.js';
import { Workspace } from '../../src/engine/workspace.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { testConfig } from '../helpers/engine.js';
import { manifest, TestRepo } from '../helpers/git.js';

const REPO_CONFIG = 'version: 1\nstacks:\n  app:\n    path: stacks/app\n    targets:\n      fs: files\n';
const N = 24;

/** The base: directories, files under them (implicit dependencies), explicit dependsOn, a protected file, a multi-document file. */
function baseFiles(): Record<string, string> {
  const files: Record<string, string> = { 'driftless.yaml': REPO_CONFIG };
  files['stacks/app/dirs.yaml'] = `${manifest('Directory', 'd0', { path: 'd0' })}---\n${manifest('Directory', 'd1', { path: 'd1' })}`;
  // A file under a directory no resource declares: a Directory d3 added later would become its dependency.
  files['stacks/app/loose.yaml'] = manifest('File', 'loose', { path: 'd3/loose.txt', content: 'loose' });
  for (let i = 0; i < N; i++) {
    const meta: Record<string, unknown> = {};
    if (i % 5 === 1) meta.dependsOn = [`File/f${i - 1}`];
    if (i === 3) meta.protect = true;
    files[`stacks/app/f${String(i).padStart(2, '0')}.yaml`] = manifest('File', `f${i}`, { path: `d${i % 2}/f${i}.txt`, content: `text ${i}` }, meta);
  }
  return files;
}

const fileOf = (i: number) => `stacks/app/f${String(i).padStart(2, '0')}.yaml`;
const edit = (i: number, content: string, meta: Record<string, unknown> = i % 5 === 1 ? { dependsOn: [`File/f${i - 1}`] } : {}) =>
  manifest('File', `f${i}`, { path: `d${i % 2}/f${i}.txt`, content }, i === 3 ? { ...meta, protect: true } : meta);

/** Each edit, made on the base: what it changes, and whether the patch may take it. */
const newDir = (name: string, path: string) => manifest('Directory', name, { path });
const newFile = (name: string, path: string, meta: Record<string, unknown> = {}) => manifest('File', name, { path, content: name }, meta);
const EDITS: { what: string; files: Record<string, string | null>; patched: boolean }[] = [
  { what: 'one spec', files: { [fileOf(7)]: edit(7, 'seven') }, patched: true },
  { what: 'three files', files: { [fileOf(2)]: edit(2, 'two'), [fileOf(11)]: edit(11, 'eleven'), [fileOf(20)]: edit(20, 'twenty') }, patched: true },
  { what: 'a comment only', files: { [fileOf(5)]: `# a comment\n${edit(5, 'text 5')}` }, patched: true },
  { what: 'a file with a dependsOn', files: { [fileOf(6)]: edit(6, 'six') }, patched: true },
  { what: 'a protected file', files: { [fileOf(3)]: edit(3, 'three') }, patched: true },
  {
    what: 'a directory of a multi-document file',
    files: { 'stacks/app/dirs.yaml': `${manifest('Directory', 'd0', { path: 'd0', mode: '0750' })}---\n${manifest('Directory', 'd1', { path: 'd1' })}` },
    patched: true,
  },
  { what: 'a file added', files: { 'stacks/app/new.yaml': newFile('new', 'd0/new.txt') }, patched: true },
  { what: 'a file removed', files: { [fileOf(9)]: null }, patched: true },
  { what: 'a protected file removed', files: { [fileOf(3)]: null }, patched: true },
  { what: 'a file renamed', files: { [fileOf(9)]: null, 'stacks/app/nine.yaml': edit(9, 'text 9') }, patched: true },
  { what: 'a resource added to a file', files: { [fileOf(8)]: `${edit(8, 'text 8')}---\n${newFile('extra', 'd1/extra.txt')}` }, patched: true },
  { what: 'a resource renamed', files: { [fileOf(8)]: manifest('File', 'f8b', { path: 'd0/f8.txt', content: 'text 8' }) }, patched: true },
  {
    what: 'a directory added with a file in it',
    files: { 'stacks/app/d2.yaml': `${newDir('d2', 'd2')}---\n${newFile('in-d2', 'd2/x.txt', { dependsOn: ['File/f0'] })}` },
    patched: true,
  },
  { what: 'a file removed, another added', files: { [fileOf(17)]: null, 'stacks/app/other.yaml': newFile('other', 'd1/other.txt') }, patched: true },
  { what: 'a file removed that another depends on', files: { [fileOf(10)]: null }, patched: false },
  { what: 'a directory added that a declared file is under', files: { 'stacks/app/d3.yaml': newDir('d3', 'd3') }, patched: false },
  { what: 'a declared id added again', files: { 'stacks/app/again.yaml': edit(4, 'again') }, patched: false },
  { what: "a declared file's path taken", files: { 'stacks/app/taken.yaml': newFile('taken', 'd0/f0.txt') }, patched: false },
  {
    what: 'a file added that depends on a removed one',
    files: { [fileOf(18)]: null, 'stacks/app/dep.yaml': newFile('dep', 'd0/dep.txt', { dependsOn: ['File/f18'] }) },
    patched: false,
  },
  {
    what: 'a file added that depends on an undeclared one',
    files: { 'stacks/app/dep.yaml': newFile('dep', 'd0/dep.txt', { dependsOn: ['File/nope'] }) },
    patched: false,
  },
  {
    what: 'two files added in a cycle',
    files: {
      'stacks/app/c1.yaml': newFile('c1', 'd0/c1.txt', { dependsOn: ['File/c2'] }),
      'stacks/app/c2.yaml': newFile('c2', 'd0/c2.txt', { dependsOn: ['File/c1'] }),
    },
    patched: false,
  },
  {
    what: 'one id in two added files',
    files: { 'stacks/app/t1.yaml': newFile('twice', 'd0/t1.txt'), 'stacks/app/t2.yaml': newFile('twice', 'd0/t2.txt') },
    patched: false,
  },
  { what: 'a dependsOn added', files: { [fileOf(12)]: edit(12, 'text 12', { dependsOn: ['File/f0'] }) }, patched: false },
  { what: 'a path moved (the natural key)', files: { [fileOf(13)]: manifest('File', 'f13', { path: 'd0/moved.txt', content: 'text 13' }) }, patched: false },
  { what: 'a schema error', files: { [fileOf(14)]: manifest('File', 'f14', { path: 'd0/f14.txt', content: 'x', colour: 'red' }) }, patched: false },
  { what: 'a YAML error', files: { [fileOf(15)]: 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: {name: f15\n' }, patched: false },
  { what: 'a !ref', files: { [fileOf(16)]: manifest('File', 'f16', { path: 'd0/f16.txt', content: '!ref File/f0.outputs.sha256' }) }, patched: false },
];

async function planAt(config: ServerConfig, reuse: boolean, oneShot = false) {
  const ws = await Workspace.open(config, 'plan', { oneShot });
  try {
    const r = await planAll(ws, await ws.resolve(), { refresh: false, reuse: reuse ? ws.reuse : undefined });
    const s = r.stacks[0];
    return { diagnostics: [...r.diagnostics, ...(s?.diagnostics ?? [])], plan: s?.planned?.plan ?? s?.reused, patched: !!s?.patched, workflow: r.workflow };
  } finally {
    await ws.close();
  }
}

async function applyAll(config: ServerConfig): Promise<void> {
  const ws = await Workspace.open(config, 'apply');
  try {
    const r = await applyWorkflow(ws, { commit: await ws.resolve(), trigger: 'test' });
    expect(r.diagnostics).toEqual([]);
  } finally {
    await ws.close();
  }
}

describe('a re-plan patched by the changed files', () => {
  it('gives the plan made in full, for every edit; and patches only the edits it may', async () => {
    const base = baseFiles();
    const repo = TestRepo.create(base);
    const config = testConfig(repo.dir);
    await applyAll(config);
    // The first plan reads the store and keeps the plan (nothing to do) as the base.
    expect((await planAt(config, true)).plan?.summary).toMatchObject({ noop: N + 3, update: 0 });
    for (const e of EDITS) {
      repo.commit(e.files, e.what);
      const patched = await planAt(config, true);
      const full = await planAt(config, false);
      expect(full.patched, e.what).toBe(false);
      // A one-shot process (the CLI: small tree cache, no per-file results, no memos) plans the same.
      expect(JSON.stringify(await planAt(config, false, true)), e.what).toBe(JSON.stringify(full));
      expect(patched.patched, e.what).toBe(e.patched);
      expect(JSON.stringify(patched), e.what).toBe(JSON.stringify({ ...full, patched: e.patched }));
      // Back to the base. A plan with nothing to do was kept as the base (a dependsOn added changes
      // no spec), so the kept plan is made at the base again: patched or in full, nothing to do.
      const restore: Record<string, string | null> = {};
      for (const p of Object.keys(e.files)) restore[p] = base[p] ?? null;
      repo.commit(restore, `undo ${e.what}`);
      expect((await planAt(config, true)).plan?.changes, `undo ${e.what}`).toEqual([]);
    }
    // The edits the patch took changed something, and one of them a protected file's content: no error.
    repo.commit({ [fileOf(7)]: edit(7, 'seven') });
    const one = await planAt(config, true);
    expect(one.patched).toBe(true);
    expect(one.plan?.changes.map((c) => [c.id, c.action, c.dependsOn])).toEqual([['File/f7', 'update', ['Directory/d1']]]);
    expect(one.plan?.summary).toEqual({ create: 0, update: 1, replace: 0, delete: 0, noop: N + 2 });

    // After an apply, the kept plan no longer holds: planned in full, and kept again.
    await applyAll(config);
    const after = await planAt(config, true);
    expect(after.patched).toBe(false);
    expect(after.plan?.changes).toEqual([]);
    repo.commit({ [fileOf(0)]: edit(0, 'zero') });
    const next = await planAt(config, true);
    expect(next.patched).toBe(true);
    expect(next.plan?.changes.map((c) => c.id)).toEqual(['File/f0']);
  });

  it('a comment-only commit leaves a base at the new tree; an edit after it is patched from there', async () => {
    const repo = TestRepo.create(baseFiles());
    const config = testConfig(repo.dir);
    await applyAll(config);
    await planAt(config, true);
    repo.commit({ [fileOf(4)]: `# comment\n${edit(4, 'text 4')}` });
    const quiet = await planAt(config, true);
    expect(quiet.patched).toBe(true);
    expect(quiet.plan?.changes).toEqual([]);
    // The same tree again: the kept plan itself.
    const again = await planAt(config, true);
    expect(again.patched).toBe(false);
    expect(again.plan?.changes).toEqual([]);
    repo.commit({ [fileOf(4)]: `# comment\n${edit(4, 'four')}` });
    const patched = await planAt(config, true);
    const full = await planAt(config, false);
    expect(patched.patched).toBe(true);
    expect(JSON.stringify({ ...patched, patched: false })).toBe(JSON.stringify(full));

    // Without its dependencies file the kept plan cannot be patched: planned in full, the same plan.
    for (const f of readdirSync(config.dataDir)) if (f.endsWith('.deps')) rmSync(join(config.dataDir, f));
    repo.commit({ [fileOf(4)]: `# comment\n${edit(4, 'quatre')}` });
    const unpatched = await planAt(config, true);
    expect(unpatched.patched).toBe(false);
    expect(JSON.stringify(unpatched)).toBe(JSON.stringify(await planAt(config, false)));
  });

  it('with prune off, a removed resource is an orphan, in the patched plan as in the full one', async () => {
    const files = { ...baseFiles(), 'driftless.yaml': `${REPO_CONFIG}    prune: false\n` };
    const repo = TestRepo.create(files);
    const config = testConfig(repo.dir);
    await applyAll(config);
    await planAt(config, true);
    for (const change of [
      { [fileOf(9)]: null },
      { [fileOf(9)]: null, [fileOf(17)]: edit(17, 'seventeen') },
      { 'stacks/app/new.yaml': newFile('new', 'd1/new.txt') },
    ]) {
      repo.commit(change);
      const patched = await planAt(config, true);
      const full = await planAt(config, false);
      expect(patched.patched).toBe(true);
      expect(JSON.stringify({ ...patched, patched: false })).toBe(JSON.stringify(full));
    }
    expect((await planAt(config, true)).plan?.orphans).toEqual(['File/f9']);
  });
});
