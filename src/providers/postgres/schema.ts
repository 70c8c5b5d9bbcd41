/** PostgresSchema: CREATE / ALTER / DROP SCHEMA in one database. */
import { ProviderError, type Desired, type Outputs, type Recorded, type Spec } from '../../sdk/provider.js';
import type { Connection } from './connection.js';
import { MissingDatabaseError, StatementError } from './errors.js';
import { alreadyExists, type KindImpl } from './kind.js';
import { checkName, dbKey, ident } from './quote.js';
import { databaseOf, objectName, readPerDatabase, sortedUnique, str } from './util.js';
import kindSchema from './schemas/PostgresSchema.schema.json' with { type: 'json' };

interface LiveSchema {
  oid: number;
  spec: Spec;
}

/** Schemas of one database by name; empty when the database itself is gone. */
async function readSchemas(conn: Connection, db: string, names: string[]): Promise<Map<string, LiveSchema>> {
  let rows: Awaited<ReturnType<Connection['query']>>;
  try {
    rows = await conn.query(
      db,
      `SELECT n.oid, n.nspname, pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = ANY($1::text[])`,
      [names],
      { label: 'reading pg_namespace' },
    );
  } catch (err) {
    if (err instanceof MissingDatabaseError) return new Map();
    throw err;
  }
  const out = new Map<string, LiveSchema>();
  for (const row of rows) {
    out.set(String(row.nspname), {
      oid: Number(row.oid),
      spec: { name: String(row.nspname), database: db, owner: String(row.owner) },
    });
  }
  return out;
}

function outputs(live: LiveSchema): Outputs {
  return { name: live.spec.name!, database: live.spec.database!, oid: live.oid, owner: live.spec.owner! };
}

async function setOwner(conn: Connection, r: Desired, db: string, name: string, live: LiveSchema): Promise<Outputs> {
  const owner = str(r.spec.owner);
  if (owner !== undefined && owner !== live.spec.owner) {
    checkName(owner, 'owner', r.id);
    await conn.query(db, `ALTER SCHEMA ${ident(name)} OWNER TO ${ident(owner)}`, [], {
      resourceId: r.id,
      need: `ownership of schema ${JSON.stringify(name)}, membership in role ${JSON.stringify(owner)} and CREATE on database ${JSON.stringify(db)}`,
    });
    return outputs({ ...live, spec: { ...live.spec, owner } });
  }
  return outputs(live);
}

async function create(conn: Connection, r: Desired): Promise<Outputs> {
  const db = databaseOf(r.spec, r.id);
  const name = checkName(objectName(r.spec, r.name), 'schema name', r.id);
  const existing = (await readSchemas(conn, db, [name])).get(name);
  if (existing) {
    if (!r.adopt) throw new ProviderError(alreadyExists(`schema ${JSON.stringify(name)} in database ${JSON.stringify(db)}`, r.id), r.id);
    return setOwner(conn, r, db, name, existing);
  }
  const owner = str(r.spec.owner);
  const sql = `CREATE SCHEMA ${ident(name)}${owner ? ` AUTHORIZATION ${ident(checkName(owner, 'owner', r.id))}` : ''}`;
  try {
    await conn.query(db, sql, [], {
      resourceId: r.id,
      need: `CREATE on database ${JSON.stringify(db)}${owner ? ` and membership in role ${JSON.stringify(owner)}` : ''}`,
    });
  } catch (err) {
    if (err instanceof StatementError && err.code === '42P06') {
      throw new ProviderError(alreadyExists(`schema ${JSON.stringify(name)} in database ${JSON.stringify(db)}`, r.id), r.id);
    }
    throw err;
  }
  const live = (await readSchemas(conn, db, [name])).get(name);
  if (!live) throw new ProviderError(`schema ${JSON.stringify(name)} was created but cannot be read back`, r.id);
  return outputs(live);
}

async function update(conn: Connection, r: Desired, prior: Recorded): Promise<Outputs> {
  const db = databaseOf(r.spec, r.id);
  const name = checkName(objectName(r.spec, r.name), 'schema name', r.id);
  const priorName = objectName(prior.spec, prior.name);
  const sameDb = str(prior.spec.database) === db;
  const live = await readSchemas(conn, db, sortedUnique([name, priorName]));
  let current = live.get(name);
  if (!current && sameDb && priorName !== name && live.has(priorName)) {
    await conn.query(db, `ALTER SCHEMA ${ident(priorName)} RENAME TO ${ident(name)}`, [], {
      resourceId: r.id,
      need: `ownership of schema ${JSON.stringify(priorName)} and CREATE on database ${JSON.stringify(db)}`,
    });
    current = (await readSchemas(conn, db, [name])).get(name);
  }
  if (!current) return create(conn, { ...r, adopt: false });
  return setOwner(conn, r, db, name, current);
}

async function remove(conn: Connection, prior: Recorded): Promise<void> {
  const db = databaseOf(prior.spec, prior.id);
  const name = objectName(prior.spec, prior.name);
  try {
    await conn.query(db, `DROP SCHEMA IF EXISTS ${ident(name)} RESTRICT`, [], {
      resourceId: prior.id,
      need: `ownership of schema ${JSON.stringify(name)}`,
    });
  } catch (err) {
    if (err instanceof MissingDatabaseError) return;
    if (err instanceof StatementError && err.code === '2BP01') {
      throw new ProviderError(
        `schema ${JSON.stringify(name)} in database ${JSON.stringify(db)} is not empty, so it is not dropped` +
          `${err.detail ? ` (${err.detail.replace(/\n/g, '; ')})` : ''}. Move or drop its objects first.`,
        prior.id,
      );
    }
    throw err;
  }
}

export const schema: KindImpl = {
  info: {
    schema: kindSchema,
    outputSources: { name: ['/spec/name'], database: ['/spec/database'], oid: [], owner: ['/spec/owner'] },
    replaceOn: ['/spec/database'],
    naturalKey: (spec, name) => dbKey(str(spec.database) ?? '', objectName(spec, name)),
    references(spec) {
      const refs = [{ kind: 'PostgresDatabase', key: str(spec.database) ?? '' }];
      if (str(spec.owner)) refs.push({ kind: 'PostgresRole', key: str(spec.owner)! });
      return refs;
    },
  },
  readMany(conn, rs) {
    return readPerDatabase(rs, (db, names) => readSchemas(conn, db, names), outputs);
  },
  create,
  update: (conn, r, prior) => update(conn, r, prior),
  delete: remove,
};
