/** PostgresDatabase: CREATE / ALTER / DROP DATABASE. */
import { ProviderError, type Desired, type Json, type Outputs, type Recorded, type Spec } from '../../sdk/provider.js';
import type { Connection } from './connection.js';
import { StatementError } from './errors.js';
import { alreadyExists, type KindImpl } from './kind.js';
import { checkName, ident, integer, literal } from './quote.js';
import { deepEqual, objectName, shapeLike, sortedUnique, str } from './util.js';
import kindSchema from './schemas/PostgresDatabase.schema.json' with { type: 'json' };

const CREATE_ONLY = ['encoding', 'locale', 'lcCollate', 'lcCtype', 'template'] as const;

interface LiveDatabase {
  oid: number;
  spec: Spec;
}

/** `utf-8`, `UTF8`, `unicode` -> `utf8`: the server's own lenient comparison of encoding names. */
export function normEncoding(v: Json | undefined): Json | undefined {
  if (typeof v !== 'string') return v;
  const clean = v.toLowerCase().replace(/[^a-z0-9]/g, '');
  return clean === 'unicode' ? 'utf8' : clean;
}

async function readDatabases(conn: Connection, names: string[]): Promise<Map<string, LiveDatabase>> {
  const rows = await conn.query(
    undefined,
    `SELECT d.oid, d.datname, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding,
            d.datcollate, d.datctype, d.datconnlimit, d.datallowconn
       FROM pg_database d WHERE d.datname = ANY($1::text[])`,
    [names],
    { label: 'reading pg_database' },
  );
  const out = new Map<string, LiveDatabase>();
  for (const row of rows) {
    const collate = String(row.datcollate);
    const ctype = String(row.datctype);
    out.set(String(row.datname), {
      oid: Number(row.oid),
      spec: {
        name: String(row.datname),
        owner: String(row.owner),
        encoding: String(row.encoding),
        locale: collate === ctype ? collate : null,
        lcCollate: collate,
        lcCtype: ctype,
        connectionLimit: Number(row.datconnlimit),
        allowConnections: row.datallowconn === true,
      },
    });
  }
  return out;
}

function outputs(live: LiveDatabase): Outputs {
  return { name: live.spec.name!, oid: live.oid, owner: live.spec.owner!, encoding: live.spec.encoding! };
}

/** The observed spec in the manifest's shape; `template` cannot be read back and is echoed. */
function observedSpec(live: LiveDatabase, recordedSpec: Spec): Spec {
  const full: Spec = { ...live.spec };
  if (recordedSpec.template !== undefined) full.template = recordedSpec.template;
  return shapeLike(full, recordedSpec);
}

async function alter(conn: Connection, r: Desired, name: string, live: LiveDatabase): Promise<Outputs> {
  const want = r.spec;
  const need = `ownership of database ${JSON.stringify(name)} (or superuser)`;
  const owner = str(want.owner);
  if (owner !== undefined && owner !== live.spec.owner) {
    checkName(owner, 'owner', r.id);
    await conn.query(undefined, `ALTER DATABASE ${ident(name)} OWNER TO ${ident(owner)}`, [], {
      resourceId: r.id,
      need: `${need} and membership in role ${JSON.stringify(owner)}`,
    });
  }
  const opts: string[] = [];
  if (typeof want.connectionLimit === 'number' && want.connectionLimit !== live.spec.connectionLimit) {
    opts.push(`CONNECTION LIMIT ${integer(want.connectionLimit, 'connectionLimit')}`);
  }
  if (typeof want.allowConnections === 'boolean' && want.allowConnections !== live.spec.allowConnections) {
    opts.push(`ALLOW_CONNECTIONS ${want.allowConnections ? 'true' : 'false'}`);
  }
  if (opts.length) await conn.query(undefined, `ALTER DATABASE ${ident(name)} WITH ${opts.join(' ')}`, [], { resourceId: r.id, need });
  const after = (await readDatabases(conn, [name])).get(name) ?? live;
  return outputs(after);
}

/** Creation-time settings of an existing database that differ from the manifest (adoption cannot fix them). */
function createOnlyMismatches(want: Spec, live: LiveDatabase): string[] {
  const out: string[] = [];
  for (const f of CREATE_ONLY) {
    if (f === 'template' || want[f] === undefined) continue;
    const same = f === 'encoding' ? normEncoding(want[f]) === normEncoding(live.spec[f]) : want[f] === live.spec[f];
    if (!same) out.push(`${f} is ${JSON.stringify(live.spec[f])}, the manifest says ${JSON.stringify(want[f])}`);
  }
  return out;
}

async function create(conn: Connection, r: Desired): Promise<Outputs> {
  const name = checkName(objectName(r.spec, r.name), 'database name', r.id);
  const existing = (await readDatabases(conn, [name])).get(name);
  if (existing) {
    if (!r.adopt) throw new ProviderError(alreadyExists(`database ${JSON.stringify(name)}`, r.id), r.id);
    const bad = createOnlyMismatches(r.spec, existing);
    if (bad.length) {
      throw new ProviderError(
        `cannot adopt database ${JSON.stringify(name)}: ${bad.join('; ')}, and these are fixed at creation. Change the manifest to match.`,
        r.id,
      );
    }
    return alter(conn, r, name, existing);
  }
  const s = r.spec;
  const parts = [`CREATE DATABASE ${ident(name)}`];
  if (str(s.owner)) parts.push(`OWNER ${ident(checkName(str(s.owner)!, 'owner', r.id))}`);
  if (str(s.template)) parts.push(`TEMPLATE ${ident(str(s.template)!)}`);
  if (str(s.encoding)) parts.push(`ENCODING ${literal(str(s.encoding)!)}`);
  if (str(s.locale)) parts.push(`LOCALE ${literal(str(s.locale)!)}`);
  if (str(s.lcCollate)) parts.push(`LC_COLLATE ${literal(str(s.lcCollate)!)}`);
  if (str(s.lcCtype)) parts.push(`LC_CTYPE ${literal(str(s.lcCtype)!)}`);
  if (typeof s.connectionLimit === 'number') parts.push(`CONNECTION LIMIT ${integer(s.connectionLimit, 'connectionLimit')}`);
  if (typeof s.allowConnections === 'boolean') parts.push(`ALLOW_CONNECTIONS ${s.allowConnections ? 'true' : 'false'}`);
  try {
    await conn.query(undefined, parts.join(' '), [], {
      resourceId: r.id,
      need: `the CREATEDB attribute${str(s.owner) ? ` and membership in role ${JSON.stringify(s.owner)}` : ''}`,
    });
  } catch (err) {
    if (err instanceof StatementError && err.code === '42P04') {
      throw new ProviderError(alreadyExists(`database ${JSON.stringify(name)}`, r.id), r.id);
    }
    throw err;
  }
  const live = (await readDatabases(conn, [name])).get(name);
  if (!live) throw new ProviderError(`database ${JSON.stringify(name)} was created but cannot be read back`, r.id);
  return outputs(live);
}

function busy(name: string, what: string, id: string, detail: string): ProviderError {
  return new ProviderError(
    `cannot ${what} database ${JSON.stringify(name)}: other sessions are connected to it (${detail}). ` +
      'Disconnect them (or end them with pg_terminate_backend) and apply again.',
    id,
  );
}

function inUse(err: unknown, name: string, what: string, id: string): unknown {
  if (err instanceof StatementError && err.code === '55006') return busy(name, what, id, err.detail ?? 'in use');
  return err;
}

/** Fail at once when clients are connected (DROP / RENAME would wait 5 s and then fail). */
async function ensureIdle(conn: Connection, name: string, what: string, id: string): Promise<void> {
  let n = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt) await new Promise((resolve) => setTimeout(resolve, 50)); // sessions that are just closing
    const rows = await conn.query(
      undefined,
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      [name],
      { resourceId: id, label: 'reading pg_stat_activity' },
    );
    n = Number(rows[0]?.n ?? 0);
    if (n === 0) return;
  }
  throw busy(name, what, id, `${n} session${n === 1 ? '' : 's'}`);
}

async function update(conn: Connection, r: Desired, prior: Recorded): Promise<Outputs> {
  const name = checkName(objectName(r.spec, r.name), 'database name', r.id);
  const priorName = objectName(prior.spec, prior.name);
  const live = await readDatabases(conn, sortedUnique([name, priorName]));
  let current = live.get(name);
  if (!current && priorName !== name && live.has(priorName)) {
    await conn.endPool(priorName);
    await ensureIdle(conn, priorName, 'rename', r.id);
    try {
      await conn.query(undefined, `ALTER DATABASE ${ident(priorName)} RENAME TO ${ident(name)}`, [], {
        resourceId: r.id,
        need: `ownership of database ${JSON.stringify(priorName)} and the CREATEDB attribute`,
      });
    } catch (err) {
      throw inUse(err, priorName, 'rename', r.id);
    }
    current = (await readDatabases(conn, [name])).get(name);
  }
  if (!current) return create(conn, { ...r, adopt: false });
  return alter(conn, r, name, current);
}

async function remove(conn: Connection, prior: Recorded): Promise<void> {
  const name = objectName(prior.spec, prior.name);
  await conn.endPool(name);
  await ensureIdle(conn, name, 'drop', prior.id);
  try {
    await conn.query(undefined, `DROP DATABASE IF EXISTS ${ident(name)}`, [], {
      resourceId: prior.id,
      need: `ownership of database ${JSON.stringify(name)} (or superuser)`,
    });
  } catch (err) {
    throw inUse(err, name, 'drop', prior.id);
  }
}

export const database: KindImpl = {
  info: {
    schema: kindSchema,
    outputSources: { name: ['/spec/name'], oid: [], owner: ['/spec/owner'], encoding: ['/spec/encoding'] },
    replaceOn: CREATE_ONLY.map((f) => `/spec/${f}`),
    naturalKey: (spec, name) => objectName(spec, name),
    references: (spec) => (str(spec.owner) ? [{ kind: 'PostgresRole', key: str(spec.owner)! }] : []),
    equal(path, d, o) {
      if (path === '/spec/encoding') return normEncoding(d) === normEncoding(o);
      return deepEqual(d, o);
    },
  },
  async readMany(conn, rs) {
    const live = await readDatabases(conn, sortedUnique(rs.map((r) => objectName(r.spec, r.name))));
    return rs.map((r) => {
      const l = live.get(objectName(r.spec, r.name));
      return l ? { spec: observedSpec(l, r.spec), outputs: outputs(l) } : null;
    });
  },
  create,
  update: (conn, r, prior) => update(conn, r, prior),
  delete: remove,
};
