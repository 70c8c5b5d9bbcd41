/** The data-dir lock: one process at a time writes the data dir, and a stale lock is taken over by exactly one contender. */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface DataDirLockOptions {
  /** `--break-lock`: a lock held from another hostname is taken over. A live holder on this host never is. */
  breakLock?: boolean;
  /** `dataDirLock.singleHost`: one machine uses the data dir, so a holder on another hostname whose pid is not running here is stale. */
  singleHost?: boolean;
}

export const LOCK_FILE = 'driftless.lock';
/** How long a contender waits for another one's takeover of a stale lock to finish. */
const TAKEOVER_WAIT_MS = 10_000;
/** Claims on claims (takeovers that died half-way, one after another) followed at most this deep. */
const MAX_CLAIM_DEPTH = 3;

/** What a lock (or claim) file says about the process that made it. */
export interface Holder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** A lock or claim file as read: the identity of its bytes and its holder (null: empty or not ours to parse). */
interface Seen {
  id: string;
  holder: Holder | null;
}

/** A process taking the lock: where it runs, its options, and its command (named in its lock and claims). */
interface Contender {
  here: Here;
  opts: DataDirLockOptions;
  command: string;
}

/** A takeover in progress: its claim file and who made it. */
interface Busy {
  claim: string;
  holder: Holder | null;
}

/** What runs here, for judging a holder. */
export interface Here {
  host: string;
  pid: number;
  running: (pid: number) => boolean;
}

export type Verdict = 'stale' | 'alive-here' | 'other-host' | 'pid-running-here';

/** Whether a lock's holder still holds it, as far as this host can tell. */
export function judgeHolder(holder: Holder | null, here: Here, opts: DataDirLockOptions): Verdict {
  if (!holder) return 'stale'; // empty or corrupt: its writer died before finishing it (older versions wrote the lock in place)
  if (holder.host === here.host) return here.running(holder.pid) ? 'alive-here' : 'stale';
  if (opts.breakLock) return 'stale';
  // Our own pid is not the holder: this process holds no lock under another hostname (a container's pid 1, restarted).
  if (opts.singleHost) return holder.pid !== here.pid && here.running(holder.pid) ? 'pid-running-here' : 'stale';
  return 'other-host';
}

/** The file a takeover of the lock (or claim) file whose bytes are `seen` must create first: one per stale generation. */
export function takeoverClaimFile(file: string, seen: string | Buffer): string {
  return claimFile(file, identity(seen));
}

function claimFile(file: string, id: string): string {
  return `${file}.break-${id}`;
}

/**
 * Hold the data dir exclusively (the embedded store loses writes when two processes share it).
 * The lock file names its holder and appears complete or not at all (written aside, then hard-linked
 * to its name, which fails if the name exists). A stale lock (its holder is dead) is removed only by
 * the one contender that creates the takeover claim for exactly those bytes, after checking under the
 * claim that the name still holds them; the others wait and look again. Returns the release function.
 */
export function lockDataDir(dataDir: string, command: string, opts: DataDirLockOptions = {}): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const here: Here = { host: hostname(), pid: process.pid, running: isRunning };
  const mine = holderText(command);
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (createExclusive(file, mine)) return releaser(file, mine, command);
    const seen = read(file);
    if (seen) {
      const verdict = judgeHolder(seen.holder, here, opts);
      if (verdict !== 'stale') throw new DataDirLockedError(lockedMessage(dataDir, seen.holder!, verdict, here.host));
      const busy = removeStale(file, seen, { here, opts, command }, 1);
      if (busy && Date.now() > deadline) throw new DataDirLockedError(stuckMessage(dataDir, busy));
      if (busy) pause(2 + Math.random() * 8);
    }
    if (Date.now() > deadline)
      throw new DataDirLockedError(`could not take the lock ${file}: other processes kept taking and releasing it for ${TAKEOVER_WAIT_MS / 1000} s`);
  }
}

/**
 * Remove `file` if it still holds the stale bytes seen. Only the creator of the claim for those bytes
 * may remove them, so no contender ever removes a lock that another one has just created. Returns the
 * claim of a takeover in progress (wait and look again), or undefined (look again now).
 */
function removeStale(file: string, seen: Seen, me: Contender, depth: number): Busy | undefined {
  const claim = claimFile(file, seen.id);
  if (!createExclusive(claim, holderText(`${me.command} (taking over a stale lock)`))) {
    const other = read(claim);
    if (!other) return undefined; // that takeover just finished
    if (judgeHolder(other.holder, me.here, me.opts) !== 'stale' || depth >= MAX_CLAIM_DEPTH) return { claim, holder: other.holder };
    return removeStale(claim, other, me, depth + 1); // that takeover died half-way: break its claim the same way
  }
  try {
    if (read(file)?.id !== seen.id) return undefined; // taken over and released meanwhile: these bytes are gone for good
    const aside = `${file}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (read(aside)?.id === seen.id) {
      unlinkSync(aside);
      return undefined;
    }
    // Only a process outside this protocol (an older driftless, a hand edit) replaces the bytes under a claim: put them back.
    try {
      linkSync(aside, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new DataDirLockedError(
        `the lock ${file} changed while a stale lock was being removed, and a new one appeared before it could be put back (moved to ${aside}): ` +
          'a process that does not take this lock the way this driftless does (an older version, or a hand edit) is using the data dir',
      );
    }
    unlinkSync(aside);
    return undefined;
  } finally {
    unlinkQuiet(claim);
  }
}

/** The release function of a lock this process holds: removes the lock if (and only if) it still is ours. */
function releaser(file: string, mine: string, command: string): () => void {
  const id = identity(mine);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      // The claim a takeover of our lock needs too (--break-lock elsewhere): never remove a lock another process took over.
      const claim = claimFile(file, id);
      if (!createExclusive(claim, holderText(`${command} (releasing)`))) return;
      try {
        if (read(file)?.id === id) unlinkSync(file);
      } finally {
        unlinkQuiet(claim);
      }
    } catch {
      /* the data dir is gone or unwritable: a lock left behind is stale once this process exits */
    }
  };
  process.once('exit', release);
  return release;
}

function lockedMessage(dataDir: string, h: Holder, verdict: Exclude<Verdict, 'stale'>, host: string): string {
  const who = `process ${h.pid} on ${h.host} (driftless ${h.command}, since ${h.startedAt})`;
  if (verdict === 'alive-here') {
    return (
      `the data dir ${dataDir} is in use by ${who}. ` +
      'The embedded store allows one process at a time: stop that process, use its HTTP API, or give this command another --data-dir.'
    );
  }
  if (verdict === 'pid-running-here') {
    return (
      `the data dir ${dataDir} is locked by ${who}. dataDirLock.singleHost is set, and a process ${h.pid} runs on this host (${host}), so it may be that holder. ` +
      `If process ${h.pid} is not driftless, run this command once with --break-lock.`
    );
  }
  return (
    `the data dir ${dataDir} is locked by ${who}, another host than this one (${host}), so whether it still runs cannot be seen from here. ` +
    'If it runs, stop it or give this command another --data-dir. If it is gone (a container restarted under a new hostname, a replaced machine), ' +
    'run this command once with --break-lock, or set dataDirLock: { singleHost: true } in the server config when only one machine at a time uses this data dir.'
  );
}

function stuckMessage(dataDir: string, busy: Busy): string {
  const h = busy.holder;
  const who = h ? `process ${h.pid} on ${h.host} (driftless ${h.command}, since ${h.startedAt})` : 'a process';
  return (
    `could not take the lock of the data dir ${dataDir}: ${who} began taking over its stale lock and has not finished in ${TAKEOVER_WAIT_MS / 1000} s. ` +
    `If that process is gone, remove ${busy.claim} (or, for a process on another host, run this command once with --break-lock).`
  );
}

/** Create `file` with `text`, complete, unless it exists: written aside, then hard-linked (link never replaces a name). */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function read(file: string): Seen | null {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return { id: identity(raw), holder: parseHolder(raw.toString('utf8')) };
}

function parseHolder(text: string): Holder | null {
  try {
    const h = JSON.parse(text) as Partial<Holder> | null;
    if (!h || !Number.isInteger(h.pid) || (h.pid as number) <= 0 || typeof h.host !== 'string') return null;
    return { pid: h.pid as number, host: h.host, command: String(h.command ?? '?'), startedAt: String(h.startedAt ?? '?') };
  } catch {
    return null;
  }
}

/** A new holder's file text; the nonce makes every lock's bytes (and so its identity) unique. */
function holderText(command: string): string {
  return `${JSON.stringify({ pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString(), nonce: randomBytes(8).toString('hex') })}\n`;
}

function identity(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Whether a process of this machine is alive (one of another user's counts). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A short synchronous pause while another contender finishes a takeover (the lock is taken synchronously). */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
