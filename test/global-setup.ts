/**
 * vitest globalSetup: one real PostgreSQL server for the whole run (Debian's binaries, see
 * test/helpers/postgres-server.ts). Tests read its superuser URL with `inject('pgUrl')`.
 *
 * It also gives the run a temporary directory of its own and points TMPDIR at it, for the workers
 * and every process they start: the repositories, data dirs and clones that tests make under
 * `os.tmpdir()` go away with the run, whether or not each test removes its own. Directories left
 * by runs that were killed (their process is gone) are removed at the next start.
 *
 * The dashboard's browser tests drive Debian's Chromium: when it is missing, `.ci/chromium`
 * installs it here, once per machine (as `.ci/hosts` does for the test hosts).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { isRunning } from '../src/state/datadir-lock.js';
import { CHROMIUM } from './helpers/browser.js';
import { findPostgresBin, startPostgres } from './helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

const RUN_PREFIX = 'driftless-tests-';

/** Removes the run directories of test runs whose process is gone. */
function removeAbandoned(base: string): void {
  for (const name of readdirSync(base)) {
    const m = new RegExp(`^${RUN_PREFIX}(\\d+)-`).exec(name);
    if (m && !isRunning(Number(m[1]))) rmSync(join(base, name), { recursive: true, force: true });
  }
}

function runTmpdir(): () => void {
  const base = tmpdir();
  removeAbandoned(base);
  const dir = mkdtempSync(join(base, `${RUN_PREFIX}${process.pid}-`));
  // Traversable, as /tmp is: the PostgreSQL server runs as its own user inside it.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => {
    process.env.TMPDIR = base;
    rmSync(dir, { recursive: true, force: true });
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findPostgresBin()) {
    throw new Error(
      'The test suite needs PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin) and found none. ' +
        'Install them with `apt-get install postgresql` (Debian/Ubuntu), or set DRIFTLESS_PG_BIN to a directory holding initdb and pg_ctl.',
    );
  }
  if (!existsSync(CHROMIUM)) {
    try {
      execFileSync('bash', [join(import.meta.dirname, '..', '.ci', 'chromium')], { stdio: 'inherit' });
    } catch {
      console.warn(`Chromium is not installed at ${CHROMIUM} and .ci/chromium could not install it: the browser tests will fail`);
    }
  }
  const removeTmp = runTmpdir();
  const server = await startPostgres();
  project.provide('pgUrl', server.url);
  return async () => {
    await server.stop();
    removeTmp();
  };
}
