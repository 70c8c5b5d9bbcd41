import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { tempDir, TestRepo } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';
import { DataDirLockedError, judgeHolder, LOCK_FILE, lockDataDir, takeoverClaimFile } from '../../src/state/datadir-lock.js';

const CONTENDER = resolve('test/state/lock-contender.mjs');
const CONTENDERS = 14;
const ROUNDS = 15;

type Reply = { ready?: boolean; pid?: number; won?: boolean; overlap?: boolean; error?: string; message?: string; released?: boolean };

/** A contender process and its JSON-line replies, in order. */
class Contender {
  private lines: Reply[] = [];
  private waiting: ((r: Reply) => void)[] = [];
  private partial = '';
  private gone?: Reply;
  readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString()).split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) {
        const r = JSON.parse(p) as Reply;
        const w = this.waiting.shift();
        if (w) w(r);
        else this.lines.push(r);
      }
    });
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    this.exited = new Promise((done) =>
      proc.on('exit', (code, signal) => {
        // A contender that dies answers every question still open (and later ones) with how it died.
        this.gone = { error: 'exited', message: `contender ${proc.pid} exited (${code ?? signal}): ${err}` };
        for (const w of this.waiting.splice(0)) w(this.gone);
        done();
      }),
    );
  }

  static start(modulePath: string): Contender {
    return new Contender(spawn(process.execPath, [CONTENDER, modulePath], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  next(): Promise<Reply> {
    const r = this.lines.shift() ?? this.gone;
    if (r) return Promise.resolve(r);
    return new Promise((done) => this.waiting.push(done));
  }

  send(m: object): void {
    this.proc.stdin!.write(`${JSON.stringify(m)}\n`);
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((done) => p.on('exit', done));
  return p.pid!;
}

function holderJson(pid: number, host: string, command = 'serve'): string {
  return `${JSON.stringify({ pid, host, command, startedAt: '2026-01-01T00:00:00.000Z' })}\n`;
}

function lockFileText(dir: string): string {
  return readFileSync(join(dir, LOCK_FILE), 'utf8');
}

let moduleFile: string;
beforeAll(() => {
  // The contenders are plain node processes: give them the lock module as JavaScript.
  const out = ts.transpileModule(readFileSync('src/state/datadir-lock.ts', 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  moduleFile = join(tempDir('driftless-lockmod-'), 'datadir-lock.mjs');
  writeFileSync(moduleFile, out.outputText);
});

describe('the takeover of a stale lock: many processes at once, exactly one wins', () => {
  const pool: Contender[] = [];
  afterAll(async () => {
    await Promise.all(pool.map((c) => c.kill()));
  });

  it(`${CONTENDERS} processes on a stale lock, ${ROUNDS} rounds: one holder each round, never two at once`, async () => {
    for (let i = 0; i < CONTENDERS; i++) pool.push(Contender.start(moduleFile));
    await Promise.all(pool.map(async (c) => expect((await c.next()).ready).toBe(true)));
    const dir = tempDir('driftless-lockrace-');
    const lock = join(dir, LOCK_FILE);
    // What the lock is left as before a round; a 'killed' round follows a round whose winner is killed with SIGKILL.
    const kinds = ['empty', 'killed', 'dead-claim', 'other-host, singleHost', 'other-host, --break-lock'] as const;
    const bad: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const kind = kinds[round % kinds.length];
      let options = {};
      if (kind === 'empty')
        writeFileSync(lock, ''); // a holder that died before writing it (older versions wrote in place)
      else if (kind === 'dead-claim') {
        const stale = holderJson(await deadPid(), hostname());
        writeFileSync(lock, stale);
        writeFileSync(takeoverClaimFile(lock, stale), holderJson(await deadPid(), hostname(), 'plan (taking over a stale lock)')); // a takeover that died half-way
      } else if (kind === 'other-host, singleHost') {
        writeFileSync(lock, holderJson(await deadPid(), 'gone-container-1'));
        options = { singleHost: true };
      } else if (kind === 'other-host, --break-lock') {
        writeFileSync(lock, holderJson(process.pid, 'gone-container-2')); // its pid runs here: --break-lock takes it all the same
        options = { breakLock: true };
      }
      for (const c of pool) c.send({ op: 'lock', dataDir: dir, options });
      const replies = await Promise.all(pool.map((c) => c.next()));
      const winners = pool.filter((_, i) => replies[i].won);
      const losers = replies.filter((r) => !r.won);
      const problems: string[] = [];
      if (winners.length !== 1) problems.push(`${winners.length} winners`);
      if (replies.some((r) => r.overlap)) problems.push('two held the lock at once');
      if (winners.length === 1) {
        const w = winners[0].proc.pid;
        if (!lockFileText(dir).includes(`"pid":${w},`)) problems.push(`the lock does not name the winner ${w}`);
        const odd = losers.filter((r) => r.error !== 'DataDirLockedError' || !r.message?.includes(`in use by process ${w} `));
        if (odd.length) problems.push(`losers said: ${odd.map((r) => r.message).join(' | ')}`);
        const left = readdirSync(dir).filter((n) => n !== 'holding');
        if (left.join() !== LOCK_FILE) problems.push(`files left: ${left.join(', ')}`);
      }
      if (problems.length) bad.push(`round ${round} (${kind}): ${problems.join('; ')}`);
      // End the round: the winner is killed (its lock is the next round's stale lock), or releases.
      for (const w of winners) {
        if (kinds[(round + 1) % kinds.length] === 'killed') {
          await w.kill();
          const fresh = Contender.start(moduleFile);
          pool[pool.indexOf(w)] = fresh;
          expect((await fresh.next()).ready).toBe(true);
        } else {
          w.send({ op: 'release', dataDir: dir });
          expect((await w.next()).released).toBe(true);
        }
      }
      rmSync(join(dir, 'holding'), { force: true });
      const after = readdirSync(dir);
      if (kinds[(round + 1) % kinds.length] !== 'killed' && after.length) bad.push(`round ${round} (${kind}): released, files left: ${after.join(', ')}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('a lock held from another hostname', () => {
  it('blocks, and the message says how to recover; the lock is left as it was', async () => {
    const dir = tempDir('driftless-lock-');
    const text = holderJson(await deadPid(), 'web-7f9c4d-xk2p');
    writeFileSync(join(dir, LOCK_FILE), text);
    expect(() => lockDataDir(dir, 'plan')).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir, 'plan')).toThrow(
      /is locked by process \d+ on web-7f9c4d-xk2p \(driftless serve, since .*\), another host than this one .*run this command once with --break-lock, or set dataDirLock: \{ singleHost: true \} in the server config/,
    );
    expect(lockFileText(dir)).toBe(text);
  });

  it('--break-lock takes it over, even when a process of that pid runs here', async () => {
    const dir = tempDir('driftless-lock-');
    writeFileSync(join(dir, LOCK_FILE), holderJson(process.pid, 'web-7f9c4d-xk2p'));
    const release = lockDataDir(dir, 'plan', { breakLock: true });
    const now = JSON.parse(lockFileText(dir));
    expect([now.pid, now.host, now.command]).toEqual([process.pid, hostname(), 'plan']);
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('singleHost: stale when its pid is not running here; blocks when it is', async () => {
    const dir = tempDir('driftless-lock-');
    writeFileSync(join(dir, LOCK_FILE), holderJson(await deadPid(), 'web-7f9c4d-xk2p'));
    const release = lockDataDir(dir, 'plan', { singleHost: true });
    expect(JSON.parse(lockFileText(dir)).pid).toBe(process.pid);
    release();

    const sleeper = spawn('sleep', ['60']);
    try {
      const text = holderJson(sleeper.pid!, 'web-7f9c4d-xk2p');
      writeFileSync(join(dir, LOCK_FILE), text);
      expect(() => lockDataDir(dir, 'plan', { singleHost: true })).toThrow(
        new RegExp(`dataDirLock.singleHost is set, and a process ${sleeper.pid} runs on this host .*run this command once with --break-lock`),
      );
      expect(lockFileText(dir)).toBe(text);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('singleHost: a container restarted with the same pid (its own) under a new hostname takes its old lock over', () => {
    const here = { host: 'web-new', pid: 1, running: () => true };
    const old = { pid: 1, host: 'web-old', command: 'serve', startedAt: '' };
    expect(judgeHolder(old, here, { singleHost: true })).toBe('stale');
    expect(judgeHolder({ ...old, pid: 7 }, here, { singleHost: true })).toBe('pid-running-here');
    expect(judgeHolder(old, here, {})).toBe('other-host');
    expect(judgeHolder({ ...old, host: 'web-new' }, here, { breakLock: true, singleHost: true })).toBe('alive-here');
  });
});

describe('a live holder on this host is never broken', () => {
  it('--break-lock and singleHost both refuse while a process on this host holds the lock', async () => {
    const dir = tempDir('driftless-lock-');
    const holder = Contender.start(moduleFile);
    try {
      expect((await holder.next()).ready).toBe(true);
      holder.send({ op: 'lock', dataDir: dir });
      expect((await holder.next()).won).toBe(true);
      const text = lockFileText(dir);
      for (const options of [{ breakLock: true }, { singleHost: true }, { breakLock: true, singleHost: true }]) {
        expect(() => lockDataDir(dir, 'plan', options)).toThrow(`is in use by process ${holder.proc.pid} on ${hostname()} (driftless contender`);
      }
      expect(lockFileText(dir)).toBe(text);
      holder.send({ op: 'release', dataDir: dir });
      expect((await holder.next()).released).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await holder.kill();
    }
  });

  it('release leaves alone a lock that another process took over meanwhile', () => {
    const dir = tempDir('driftless-lock-');
    const release = lockDataDir(dir, 'serve');
    const theirs = holderJson(process.pid + 1, 'web-other', 'serve');
    writeFileSync(join(dir, 'theirs'), theirs);
    renameSync(join(dir, 'theirs'), join(dir, LOCK_FILE)); // what a --break-lock from that host leaves
    release();
    expect(lockFileText(dir)).toBe(theirs);
  });
});

describe('the command line: --break-lock and dataDirLock.singleHost reach the lock', () => {
  const files = { 'driftless.yaml': 'version: 1\nstacks:\n  s: { path: s, targets: { fs: f } }\n' };

  it('validate is refused on a lock from another host, and runs with --break-lock or singleHost', async () => {
    const repo = TestRepo.create(files);
    const dir = tempDir('driftless-lock-');
    const data = join(dir, 'data');
    mkdirSync(data);
    const gone = holderJson(await deadPid(), 'web-7f9c4d-xk2p');
    writeFileSync(join(data, LOCK_FILE), gone);
    const refused = await runCli(['validate', '--repo', repo.dir, '--data-dir', data]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('run this command once with --break-lock');

    const broken = await runCli(['validate', '--repo', repo.dir, '--data-dir', data, '--break-lock']);
    expect(broken.code, broken.err).toBe(0);
    expect(readdirSync(data)).not.toContain(LOCK_FILE);

    writeFileSync(join(data, LOCK_FILE), gone);
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(config, `repo: { path: ${repo.dir} }\ndataDir: ${data}\ndataDirLock: { singleHost: true }\n`);
    const single = await runCli(['validate', '--config', config]);
    expect(single.code, single.err).toBe(0);
  });

  it('--break-lock still refuses a live holder on this host', async () => {
    const repo = TestRepo.create(files);
    const data = tempDir('driftless-lock-');
    const release = lockDataDir(data, 'serve');
    try {
      const r = await runCli(['validate', '--repo', repo.dir, '--data-dir', data, '--break-lock']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`is in use by process ${process.pid} on ${hostname()} (driftless serve`);
    } finally {
      release();
    }
  });
});
