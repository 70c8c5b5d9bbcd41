import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Hold the data dir exclusively (the embedded store loses writes when two processes share it).
 * The lock is a file created with O_EXCL that names its holder; a lock whose holder process is
 * dead (same host) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string, command: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'driftless.lock');
  const me: Holder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        try {
          const now = JSON.parse(readFileSync(file, 'utf8')) as Holder;
          if (now.pid === me.pid && now.host === me.host) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
      } catch {
        holder = null; // half-written or corrupt: treat as stale
      }
      if (holder && (holder.host !== me.host || alive(holder.pid))) {
        throw new DataDirLockedError(
          `the data dir ${dataDir} is in use by process ${holder.pid} on ${holder.host} (driftless ${holder.command}, since ${holder.startedAt}). ` +
            'The embedded store allows one process at a time: stop that process, use its HTTP API, or give this command another --data-dir.',
        );
      }
      try {
        unlinkSync(file); // stale: its holder is gone
      } catch {
        /* someone else removed it first */
      }
    }
  }
  throw new DataDirLockedError(`could not take the lock on ${dataDir}; another process keeps taking it`);
}
