/**
 * A CLI plan on embedded state reads the recorded state from the data dir's snapshot while it is
 * current, and never from one that is not: after any process opened the store (an apply, a crash),
 * the snapshot no longer matches the store's files and the plan reads the store again.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyStack } from '../../src/engine/apply-stack.js';
import { planAll } from '../../src/engine/plan-stacks.js';
import { Workspace } from '../../src/engine/workspace.js';
import { storeFingerprint } from '../../src/state/snapshot.js';
import { testConfig } from '../helpers/engine.js';
import { FS_REPO_CONFIG, manifest, TestRepo } from '../helpers/git.js';

const files = (content: string) => ({
  'driftless.yaml': FS_REPO_CONFIG,
  'stacks/web/a.yaml': [manifest('File', 'a', { path: 'a.txt', content }), manifest('File', 'b', { path: 'b.txt', content: 'b' })].join('---\n'),
});

async function plan(config: ReturnType<typeof testConfig>) {
  const ws = await Workspace.open(config, 'plan');
  try {
    const r = await planAll(ws, await ws.resolve(), { refresh: false });
    return r.stacks[0].planned!.plan;
  } finally {
    await ws.close();
  }
}

async function apply(config: ReturnType<typeof testConfig>) {
  const ws = await Workspace.open(config, 'apply');
  try {
    const r = await applyStack(ws, { commit: await ws.resolve(), stack: 'web', trigger: 'test' });
    expect(r.result!.outcome).toBe('succeeded');
  } finally {
    await ws.close();
  }
}

describe('the state snapshot of a CLI plan', () => {
  it('plans without starting the store while the snapshot is current, and from the store once anything opened it', async () => {
    const repo = TestRepo.create(files('one'));
    const config = testConfig(repo.dir);
    const stateDir = join(config.dataDir, 'state');
    const snapshot = join(config.dataDir, 'state-snapshot', 'current');

    // No store yet: the plan learns that nothing is recorded without creating one.
    expect((await plan(config)).summary).toMatchObject({ create: 2 });
    expect(existsSync(stateDir)).toBe(false);

    await apply(config);
    // The first plan after the apply reads the store and leaves a snapshot.
    expect(existsSync(snapshot)).toBe(false);
    const first = await plan(config);
    expect(first.summary).toMatchObject({ create: 0, update: 0, noop: 2 });
    expect(existsSync(snapshot)).toBe(true);
    const files1 = storeFingerprint(stateDir);

    // The next plan takes the snapshot: the store's files are not touched (it was not started).
    repo.commit({ 'stacks/web/a.yaml': files('two')['stacks/web/a.yaml'] });
    const second = await plan(config);
    expect(second.summary).toMatchObject({ update: 1, noop: 1 });
    expect(second.stateSerial).toBe(first.stateSerial);
    expect(storeFingerprint(stateDir)).toBe(files1);

    // An apply opens the store and writes: the old snapshot no longer matches and is not used.
    await apply(config);
    expect(storeFingerprint(stateDir)).not.toBe(files1);
    const third = await plan(config);
    expect(third.summary).toMatchObject({ create: 0, update: 0, noop: 2 });
    expect(third.stateSerial).toBeGreaterThan(second.stateSerial);
  });

  it('ignores a snapshot whose contents are damaged, or that matches other files', async () => {
    const repo = TestRepo.create(files('one'));
    const config = testConfig(repo.dir);
    await apply(config);
    await plan(config); // leaves the snapshot
    const dir = join(config.dataDir, 'state-snapshot');
    const [stackFile] = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    const file = join(dir, stackFile);
    const good = readFileSync(file);
    // Cut in half, short of its last byte, its head's length (the last 4 bytes) past the file, or empty.
    const longer = Buffer.from(good);
    longer.writeUInt32LE(good.length, good.length - 4);
    for (const damaged of [good.subarray(0, good.length >> 1), good.subarray(0, good.length - 1), longer, Buffer.alloc(0)]) {
      writeFileSync(file, damaged);
      expect((await plan(config)).summary).toMatchObject({ create: 0, update: 0, noop: 2 });
    }

    // A snapshot taken before an apply, put back after it: its fingerprint is of the old files.
    const old = join(config.dataDir, 'old-snapshot');
    cpSync(dir, old, { recursive: true });
    repo.commit({ 'stacks/web/a.yaml': files('changed')['stacks/web/a.yaml'] });
    await apply(config);
    rmSync(dir, { recursive: true });
    cpSync(old, dir, { recursive: true });
    const after = await plan(config);
    expect(after.summary).toMatchObject({ create: 0, update: 0, noop: 2 });

    // A stack file of another generation (left by an earlier copy) is not taken for the current one.
    await plan(config); // reads the store, leaves a current copy
    const current = JSON.parse(readFileSync(join(dir, 'current'), 'utf8')) as { generation: string };
    writeFileSync(join(dir, 'current'), JSON.stringify({ ...current, generation: 'another' }));
    repo.commit({ 'stacks/web/a.yaml': files('changed again')['stacks/web/a.yaml'] });
    const before = storeFingerprint(join(config.dataDir, 'state'));
    expect((await plan(config)).summary).toMatchObject({ update: 1, noop: 1 });
    // The stack was read from the store (which starting it changes), not from the stale file.
    expect(storeFingerprint(join(config.dataDir, 'state'))).not.toBe(before);
  });
});
