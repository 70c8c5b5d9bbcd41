/**
 * vitest globalSetup: one real PostgreSQL server for the whole run (Debian's binaries, see
 * test/helpers/postgres-server.ts). Tests read its superuser URL with `inject('pgUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres } from './helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findPostgresBin()) {
    throw new Error(
      'The test suite needs PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin) and found none. ' +
        'Install them with `apt-get install postgresql` (Debian/Ubuntu), or set DRIFTLESS_PG_BIN to a directory holding initdb and pg_ctl.',
    );
  }
  const server = await startPostgres();
  project.provide('pgUrl', server.url);
  return () => server.stop();
}
