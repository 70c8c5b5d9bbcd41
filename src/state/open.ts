import { join } from 'node:path';
import { openEmbedded, openPostgres } from './db.js';
import { migrate } from './migrate.js';
import { migrations as core, type Migration } from './migrations/index.js';
import { StateStore } from './store.js';
import { lockDataDir } from './datadir-lock.js';

export interface OpenStateOptions {
  dataDir: string;
  /** postgres:// URL; absent: embedded store under the data dir. */
  url?: string;
  /** What this process is, for whoever finds the data dir locked. */
  command: string;
  /** The caller already holds the data-dir lock (and releases it). */
  dataDirLocked?: boolean;
  /** Migrations of other parts (the service's durable tables), run after the core ones. */
  migrations?: Migration[];
  /** Embedded: the template a new data dir is unpacked from (default the one the build made; null: initdb). */
  template?: string | null;
}

/** Open (and migrate) the state store. The embedded store first takes the data-dir lock. */
export async function openState(opts: OpenStateOptions): Promise<StateStore> {
  const all = [...core, ...(opts.migrations ?? [])];
  if (opts.url) {
    const store = new StateStore(await openPostgres(opts.url));
    await migrate(store.db, all);
    return store;
  }
  const release = opts.dataDirLocked ? () => undefined : lockDataDir(opts.dataDir, opts.command);
  try {
    const db = await openEmbedded(join(opts.dataDir, 'state'), { template: opts.template });
    const origClose = db.close.bind(db);
    db.close = async () => {
      try {
        await origClose();
      } finally {
        release();
      }
    };
    const store = new StateStore(db);
    await migrate(db, all);
    await store.clearStaleLocks();
    return store;
  } catch (err) {
    release();
    throw err;
  }
}
