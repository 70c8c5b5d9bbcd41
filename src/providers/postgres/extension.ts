/** PostgresExtension: CREATE / ALTER (UPDATE TO, SET SCHEMA) / DROP EXTENSION in one database. */
import { ProviderError, type Desired, type Outputs, type Recorded, type Spec } from '../../sdk/provider.js';
import type { Connection } from './connection.js';
import { MissingDatabaseError, StatementError } from './errors.js';
import { alreadyExists, type KindImpl } from './kind.js';
import { checkName, dbKey, ident, literal } from './quote.js';
import { databaseOf, objectName, readPerDatabase, str } from './util.js';
import kindSchema from './schemas/PostgresExtension.schema.json' with { type: 'json' };

const NEED_CREATE = 'superuser, or CREATE on the database for a trusted extension';

interface LiveExtension {
  oid: number;
  spec: Spec;
}

async function readExtensions(conn: Connection, db: string, names: string[]): Promise<Map<string, LiveExtension>> {
  let rows: Awaited<ReturnType<Connection['query']>>;
  try {
    rows = await conn.query(
      db,
      `SELECT e.oid, e.extname, e.extversion, n.nspname FROM pg_extension e
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1::text[])`,
      [names],
      { label: 'reading pg_extension' },
    );
  } catch (err) {
    if (err instanceof MissingDatabaseError) return new Map();
    throw err;
  }
  const out = new Map<string, LiveExtension>();
  for (const row of rows) {
    out.set(String(row.extname), {
      oid: Number(row.oid),
      spec: { name: String(row.extname), database: db, schema: String(row.nspname), version: String(row.extversion) },
    });
  }
  return out;
}

function outputs(live: LiveExtension): Outputs {
  const s = live.spec;
  return { name: s.name!, database: s.database!, schema: s.schema!, version: s.version!, oid: live.oid };
}

async function alter(conn: Connection, r: Desired, db: string, name: string, live: LiveExtension): Promise<Outputs> {
  const version = str(r.spec.version);
  const target = str(r.spec.schema);
  const need = `ownership of extension ${JSON.stringify(name)} (or superuser)`;
  if (version !== undefined && version !== live.spec.version) {
    await conn.query(db, `ALTER EXTENSION ${ident(name)} UPDATE TO ${literal(version)}`, [], { resourceId: r.id, need });
  }
  if (target !== undefined && target !== live.spec.schema) {
    checkName(target, 'schema', r.id);
    await conn.query(db, `ALTER EXTENSION ${ident(name)} SET SCHEMA ${ident(target)}`, [], {
      resourceId: r.id,
      need: `${need} and CREATE on schema ${JSON.stringify(target)}`,
    });
  }
  const after = (await readExtensions(conn, db, [name])).get(name);
  return outputs(after ?? live);
}

async function create(conn: Connection, r: Desired): Promise<Outputs> {
  const db = databaseOf(r.spec, r.id);
  const name = checkName(objectName(r.spec, r.name), 'extension name', r.id);
  const existing = (await readExtensions(conn, db, [name])).get(name);
  const exists = () => alreadyExists(`extension ${JSON.stringify(name)} in database ${JSON.stringify(db)}`, r.id);
  if (existing) {
    if (!r.adopt) throw new ProviderError(exists(), r.id);
    return alter(conn, r, db, name, existing);
  }
  const target = str(r.spec.schema);
  const version = str(r.spec.version);
  let sql = `CREATE EXTENSION ${ident(name)}`;
  if (target) sql += ` WITH SCHEMA ${ident(checkName(target, 'schema', r.id))}`;
  if (version) sql += ` VERSION ${literal(version)}`;
  try {
    await conn.query(db, sql, [], { resourceId: r.id, need: NEED_CREATE });
  } catch (err) {
    if (err instanceof StatementError && err.code === '42710') throw new ProviderError(exists(), r.id);
    throw err;
  }
  const live = (await readExtensions(conn, db, [name])).get(name);
  if (!live) throw new ProviderError(`extension ${JSON.stringify(name)} was created but cannot be read back`, r.id);
  return outputs(live);
}

async function update(conn: Connection, r: Desired): Promise<Outputs> {
  const db = databaseOf(r.spec, r.id);
  const name = checkName(objectName(r.spec, r.name), 'extension name', r.id);
  const live = (await readExtensions(conn, db, [name])).get(name);
  if (!live) return create(conn, { ...r, adopt: false });
  return alter(conn, r, db, name, live);
}

async function remove(conn: Connection, prior: Recorded): Promise<void> {
  const db = databaseOf(prior.spec, prior.id);
  const name = objectName(prior.spec, prior.name);
  try {
    await conn.query(db, `DROP EXTENSION IF EXISTS ${ident(name)} RESTRICT`, [], {
      resourceId: prior.id,
      need: `ownership of extension ${JSON.stringify(name)} (or superuser)`,
    });
  } catch (err) {
    if (err instanceof MissingDatabaseError) return;
    if (err instanceof StatementError && err.code === '2BP01') {
      throw new ProviderError(
        `extension ${JSON.stringify(name)} in database ${JSON.stringify(db)} is still in use, so it is not dropped` +
          `${err.detail ? ` (${err.detail.replace(/\n/g, '; ')})` : ''}. Drop the objects that depend on it first.`,
        prior.id,
      );
    }
    throw err;
  }
}

export const extension: KindImpl = {
  info: {
    schema: kindSchema,
    outputSources: { name: ['/spec/name'], database: ['/spec/database'], schema: ['/spec/schema'], version: ['/spec/version'], oid: [] },
    replaceOn: ['/spec/name', '/spec/database'],
    naturalKey: (spec, name) => dbKey(str(spec.database) ?? '', objectName(spec, name)),
    references(spec) {
      const db = str(spec.database) ?? '';
      const refs = [{ kind: 'PostgresDatabase', key: db }];
      if (str(spec.schema)) refs.push({ kind: 'PostgresSchema', key: dbKey(db, str(spec.schema)!) });
      return refs;
    },
  },
  readMany(conn, rs) {
    return readPerDatabase(rs, (db, names) => readExtensions(conn, db, names), outputs);
  },
  create,
  update: (conn, r) => update(conn, r),
  delete: remove,
};
