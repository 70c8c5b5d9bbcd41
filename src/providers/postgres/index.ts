/**
 * The `postgres` provider: roles, databases, schemas, grants and extensions on a real PostgreSQL
 * server (apiVersion postgres.driftless.dev/v1). Target config: `{ name, provider: postgres, url, readUrl? }`,
 * where url is a postgres:// URL (string or SecretValue) of a role allowed to manage those objects,
 * and readUrl (optional) one of a role without write privileges, for read-only sessions (drift checks).
 */
import {
  ProviderError,
  ReadOnlySessionError,
  type ConnectOptions,
  type Desired,
  type Observed,
  type Outputs,
  type Provider,
  type Recorded,
  type Session,
  type TargetConfig,
} from '../../sdk/provider.js';
import { Connection, loadPg } from './connection.js';
import { database } from './database.js';
import { withResource } from './errors.js';
import { extension } from './extension.js';
import { grant } from './grant.js';
import type { KindImpl } from './kind.js';
import { role } from './role.js';
import { schema } from './schema.js';
import { byGroup } from './util.js';
import { KeyedMutex } from '../../sdk/concurrency.js';
import targetSchema from './schemas/target.schema.json' with { type: 'json' };

const KINDS: Record<string, KindImpl> = {
  PostgresRole: role,
  PostgresDatabase: database,
  PostgresSchema: schema,
  PostgresGrant: grant,
  PostgresExtension: extension,
};

function kindOf(r: { kind: string; id: string }): KindImpl {
  const k = KINDS[r.kind];
  if (!k) throw new ProviderError(`the postgres provider has no kind ${JSON.stringify(r.kind)} (known: ${Object.keys(KINDS).join(', ')})`, r.id);
  return k;
}

async function tagged<T>(id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withResource(err, id);
  }
}

export class PostgresSession implements Session {
  /**
   * Catalog writes run one at a time per server: concurrent GRANTs on one database, or role changes,
   * update the same catalog rows and fail with "tuple concurrently updated". DDL is fast; reads stay parallel.
   */
  private readonly writes = new KeyedMutex();

  constructor(readonly conn: Connection) {}

  /** Statements sent so far (for tests and the benchmark). */
  get queries(): number {
    return this.conn.stats.queries;
  }

  /** One resource: the same catalog queries as readMany, for a list of one. */
  read(r: Recorded): Promise<Observed | null> {
    return tagged(r.id, async () => (await kindOf(r).readMany(this.conn, [r]))[0] ?? null);
  }

  /** Batched refresh: per kind, one query per database for the whole list (plus one cluster query for grants). */
  readMany(rs: Recorded[]): Promise<(Observed | null)[]> {
    for (const r of rs) kindOf(r);
    return byGroup(
      rs,
      (r) => r.kind,
      (kind, members) => KINDS[kind]!.readMany(this.conn, members),
    );
  }

  /** A read-only session (drift checks) refuses every write before it reaches the server. */
  private writable(method: string, id: string): void {
    if (this.conn.readOnly) throw new ReadOnlySessionError(method, id);
  }

  async create(r: Desired): Promise<Outputs> {
    this.writable('create', r.id);
    return this.writes.run('ddl', () => tagged(r.id, () => kindOf(r).create(this.conn, r)));
  }

  async update(r: Desired, prior: Recorded, changed: string[]): Promise<Outputs> {
    this.writable('update', r.id);
    return this.writes.run('ddl', () => tagged(r.id, () => kindOf(r).update(this.conn, r, prior, changed)));
  }

  async delete(prior: Recorded): Promise<void> {
    this.writable('delete', prior.id);
    return this.writes.run('ddl', () => tagged(prior.id, () => kindOf(prior).delete(this.conn, prior)));
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** Refresh resource by resource through `read` (the unbatched path, for the benchmark). */
export async function readOneByOne(session: Session, rs: Recorded[]): Promise<(Observed | null)[]> {
  const out: (Observed | null)[] = [];
  for (const r of rs) out.push(await session.read(r));
  return out;
}

export const postgresProvider: Provider = {
  name: 'postgres',
  group: 'postgres.driftless.dev',
  versions: ['v1'],
  kinds: Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [k, v.info])),
  targetSchema,
  async connect(target: TargetConfig, options: ConnectOptions = {}): Promise<Session> {
    return new PostgresSession(new Connection(target, await loadPg(), options.readOnly === true));
  },
};

export default postgresProvider;
