/**
 * Issue 14: a drift check cannot write. For the fs provider: a drift check over a target tree
 * changes no file's or directory's ctime or mtime (ctime moves on any write, chmod, rename or link
 * change) and creates or removes no entry, with drift and without; the read-only session refuses
 * every write, and the engine refuses writes on read-only sessions of a provider that ignores the flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace } from '../../src/engine/workspace.js';
import { applyStack } from '../../src/engine/apply-stack.js';
import { driftStack } from '../../src/engine/drift-stack.js';
import { TargetSessions } from '../../src/engine/targets.js';
import { fsProvider } from '../../src/providers/fs/index.js';
import { READ_ONLY_REFUSAL, type Desired, type Provider, type Recorded } from '../../src/sdk/provider.js';
import type { RepoConfig } from '../../src/manifests/repo-config.js';
import { FS_REPO_CONFIG, TestRepo, manifest, tempDir } from '../helpers/git.js';
import { testConfig } from '../helpers/engine.js';

const FS = 'fs.driftless.dev/v1';

/** Every entry under `root` (root included) with the times and identity a write would change. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string, rel: string) => {
    const st = lstatSync(p, { bigint: true });
    out.set(rel, `ino=${st.ino} mode=${st.mode} size=${st.size} nlink=${st.nlink} mtime=${st.mtimeNs} ctime=${st.ctimeNs}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(join(p, name), rel ? `${rel}/${name}` : name);
  };
  walk(root, '');
  return out;
}

/**
 * Wait until the file system clock has moved past every ctime under `root` (timestamps come from a
 * coarse clock): from then on, any write under `root` would give its entry a later ctime.
 */
function clockPast(root: string, probeDir: string): void {
  let newest = 0n;
  for (const v of snapshot(root).values()) {
    const c = BigInt(/ctime=(\d+)/.exec(v)![1]);
    if (c > newest) newest = c;
  }
  const probe = join(probeDir, 'probe');
  for (;;) {
    writeFileSync(probe, 'x');
    if (lstatSync(probe, { bigint: true }).ctimeNs > newest) return;
  }
}

const SITE = [
  manifest('Directory', 'conf', { path: 'conf', mode: '0755' }),
  manifest('File', 'app', { path: 'conf/app.ini', content: 'port = 80\n', mode: '0644' }),
  manifest('File', 'index', { path: 'index.html', content: '<h1>hi</h1>\n' }),
  manifest('Symlink', 'current', { path: 'current', target: 'conf/app.ini' }),
].join('---\n');

describe('a drift check of the fs provider performs no write', () => {
  let repo: TestRepo;
  let ws: Workspace;
  let root: string;
  let commit: string;
  const probeDir = tempDir('driftless-ro-probe-');

  beforeAll(async () => {
    repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/site.yaml': SITE });
    const dataDir = tempDir('driftless-ro-fs-');
    root = join(dataDir, 'root');
    ws = await Workspace.open(testConfig(repo.dir, { dataDir, root }), 'test');
    commit = await ws.resolve();
    const applied = await applyStack(ws, { commit, stack: 'web', trigger: 'test' });
    expect(applied.result?.outcome).toBe('succeeded');
  });
  afterAll(async () => {
    await ws?.close();
    repo?.remove();
  });

  it('leaves every ctime and mtime as it was and creates no entry, without drift and with it', async () => {
    clockPast(root, probeDir);
    const before = snapshot(root);
    const clean = await driftStack(ws, 'web');
    expect(clean.plan?.drift).toEqual([]);
    expect(clean.checked).toEqual({ read: 4, unread: 0 });
    expect(snapshot(root)).toEqual(before);

    // Drift made by hand: content, mode, and a link pointing elsewhere.
    writeFileSync(join(root, 'conf/app.ini'), 'port = 8080\n');
    chmodSync(join(root, 'index.html'), 0o600);
    unlinkSync(join(root, 'current'));
    symlinkSync('index.html', join(root, 'current'));
    clockPast(root, probeDir);
    const drifted = snapshot(root);
    const r = await driftStack(ws, 'web');
    expect(r.plan?.drift.map((d) => d.id).sort()).toEqual(['File/app', 'File/index', 'Symlink/current']);
    expect(r.remediation).toBeUndefined();
    expect(snapshot(root)).toEqual(drifted);
    expect(readFileSync(join(root, 'conf/app.ini'), 'utf8')).toBe('port = 8080\n');
  });

  it('refuses create, update, delete and recover on a read-only session, in the provider and in the engine', async () => {
    const file: Desired = { id: 'File/new', apiVersion: FS, kind: 'File', name: 'new', spec: { path: 'new.txt', content: 'new' } };
    const prior: Recorded = { ...file, id: 'File/index', name: 'index', spec: { path: 'index.html', content: '<h1>hi</h1>\n' }, outputs: {} };
    clockPast(root, probeDir);
    const before = snapshot(root);

    const direct = await fsProvider.connect({ name: 'files', provider: 'fs', root }, { readOnly: true });
    const viaEngine = await ws.sessions.sessionFor((await ws.repoAt(commit)).repoConfig!, 'web', FS, { readOnly: true });
    for (const s of [direct, viaEngine!]) {
      await expect(s.create(file)).rejects.toThrow(READ_ONLY_REFUSAL);
      await expect(s.update(file, prior, ['/spec/content'])).rejects.toThrow(READ_ONLY_REFUSAL);
      await expect(s.delete(prior)).rejects.toThrow(READ_ONLY_REFUSAL);
      await expect(s.recover!([prior])).rejects.toThrow(READ_ONLY_REFUSAL);
      expect(await s.read(prior)).not.toBeNull();
    }
    await direct.close();
    expect(snapshot(root)).toEqual(before);
    expect(existsSync(join(root, 'new.txt'))).toBe(false);
  });

  it('refuses writes on a read-only session even when a provider ignores the option', async () => {
    // A third-party provider that always connects read-write, whatever it is asked.
    const careless: Provider = { ...fsProvider, name: 'careless', group: 'careless.test', connect: (target) => fsProvider.connect(target) };
    const dir = tempDir('driftless-ro-careless-');
    const sessions = new TargetSessions([careless], { t: { name: 't', provider: 'careless', root: dir } });
    const repoConfig = { stacks: { web: { targets: { careless: 't' } } } } as unknown as RepoConfig;
    const file: Desired = { id: 'File/a', apiVersion: 'careless.test/v1', kind: 'File', name: 'a', spec: { path: 'a.txt', content: 'a' } };
    try {
      const ro = await sessions.sessionFor(repoConfig, 'web', 'careless.test/v1', { readOnly: true });
      await expect(ro!.create(file)).rejects.toThrow(READ_ONLY_REFUSAL);
      expect(existsSync(join(dir, 'a.txt'))).toBe(false);
      // The read-write session is another one, and does write.
      const rw = await sessions.sessionFor(repoConfig, 'web', 'careless.test/v1');
      expect(rw).not.toBe(ro);
      await rw!.create(file);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a');
    } finally {
      await sessions.close();
    }
  });

  it('never creates a missing root: everything reads as gone', async () => {
    rmSync(root, { recursive: true });
    const r = await driftStack(ws, 'web');
    expect(r.plan?.drift.filter((d) => d.gone).length).toBe(4);
    expect(existsSync(root)).toBe(false);
  });
});
