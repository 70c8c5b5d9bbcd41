/** PostgresRole: CREATE / ALTER / DROP ROLE, memberships (memberOf) and a write-only password. */
import { isSensitiveMask, ProviderError, type Desired, type Json, type Outputs, type Recorded, type Spec } from '../../sdk/provider.js';
import type { Connection, Exec } from './connection.js';
import { StatementError } from './errors.js';
import { alreadyExists, type KindImpl } from './kind.js';
import { scramVerifier } from './password.js';
import { checkName, ident, integer, literal } from './quote.js';
import { deepEqual, objectName, sameSet, shapeLike, sortedUnique, str, strings } from './util.js';
import kindSchema from './schemas/PostgresRole.schema.json' with { type: 'json' };

const KIND = 'PostgresRole';

/** Boolean attributes: spec field -> [catalog column, keyword]. */
const FLAGS: [field: string, column: string, keyword: string][] = [
  ['login', 'rolcanlogin', 'LOGIN'],
  ['superuser', 'rolsuper', 'SUPERUSER'],
  ['createdb', 'rolcreatedb', 'CREATEDB'],
  ['createrole', 'rolcreaterole', 'CREATEROLE'],
  ['inherit', 'rolinherit', 'INHERIT'],
  ['replication', 'rolreplication', 'REPLICATION'],
  ['bypassRls', 'rolbypassrls', 'BYPASSRLS'],
];
const NEED = 'the CREATEROLE attribute (SUPERUSER to grant superuser, replication or bypassrls)';

interface LiveRole {
  oid: number;
  spec: Spec; // every field, normalised like a desired spec
}

/** Parse a validUntil value; date-times without an offset are UTC. 'infinity' and absent -> null. */
export function validUntilMillis(v: Json | undefined): number | null {
  if (typeof v !== 'string' || v === 'infinity') return null;
  let s = v.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}(:?\d{2})?)$/.test(s)) s += 'Z';
  else s = s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2').replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new ProviderError(`validUntil ${JSON.stringify(v)} is not a valid date-time`);
  return ms;
}

async function readRoles(conn: Connection, names: string[]): Promise<Map<string, LiveRole>> {
  const rows = await conn.query(
    undefined,
    `SELECT r.oid, r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
            r.rolreplication, r.rolbypassrls, r.rolconnlimit, extract(epoch FROM r.rolvaliduntil)::float8 AS valid_until,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid) AS member_of
       FROM pg_roles r WHERE r.rolname = ANY($1::text[])`,
    [names],
    { label: 'reading pg_roles' },
  );
  const out = new Map<string, LiveRole>();
  for (const row of rows) {
    const spec: Spec = { name: String(row.rolname) };
    for (const [field, column] of FLAGS) spec[field] = row[column] === true;
    spec.connectionLimit = Number(row.rolconnlimit);
    const until = row.valid_until === null ? null : Number(row.valid_until);
    spec.validUntil = until === null || !Number.isFinite(until) ? 'infinity' : new Date(until * 1000).toISOString();
    spec.memberOf = sortedUnique(row.member_of as string[]);
    out.set(String(row.rolname), { oid: Number(row.oid), spec });
  }
  return out;
}

function outputs(name: string, oid: number): Outputs {
  return { name, oid };
}

/** Attribute clauses for the fields where `want` differs from `have` (all of them when have is null). */
function attributeClauses(want: Spec, have: Spec | null): string[] {
  const out: string[] = [];
  for (const [field, , keyword] of FLAGS) {
    if (typeof want[field] !== 'boolean') continue;
    if (!have || have[field] !== want[field]) out.push(want[field] ? keyword : `NO${keyword}`);
  }
  if (typeof want.connectionLimit === 'number' && (!have || have.connectionLimit !== want.connectionLimit)) {
    out.push(`CONNECTION LIMIT ${integer(want.connectionLimit, 'connectionLimit')}`);
  }
  if (typeof want.validUntil === 'string' && (!have || validUntilMillis(have.validUntil) !== validUntilMillis(want.validUntil))) {
    const ms = validUntilMillis(want.validUntil);
    out.push(`VALID UNTIL ${literal(ms === null ? 'infinity' : new Date(ms).toISOString())}`);
  }
  return out;
}

function passwordClause(password: string | undefined): string {
  if (password === undefined) return 'PASSWORD NULL';
  return `PASSWORD ${literal(scramVerifier(password) ?? password)}`;
}

async function syncMemberships(exec: Exec, role: string, want: string[], have: string[], id: string): Promise<void> {
  for (const g of want.filter((x) => !have.includes(x))) {
    checkName(g, 'memberOf role', id);
    await exec(`GRANT ${ident(g)} TO ${ident(role)}`, [], { resourceId: id, need: `ADMIN OPTION on role ${JSON.stringify(g)} (or CREATEROLE)` });
  }
  for (const g of have.filter((x) => !want.includes(x))) {
    await exec(`REVOKE ${ident(g)} FROM ${ident(role)}`, [], { resourceId: id, need: `ADMIN OPTION on role ${JSON.stringify(g)} (or CREATEROLE)` });
  }
}

async function alter(conn: Connection, r: Desired, name: string, live: LiveRole, setPassword: boolean): Promise<Outputs> {
  const clauses = attributeClauses(r.spec, live.spec);
  const password = str(r.spec.password);
  await conn.tx(undefined, { resourceId: r.id }, async (exec) => {
    if (clauses.length) {
      await exec(`ALTER ROLE ${ident(name)} WITH ${clauses.join(' ')}`, [], { resourceId: r.id, need: NEED });
    }
    if (setPassword && !isSensitiveMask(password)) {
      await exec(`ALTER ROLE ${ident(name)} WITH ${passwordClause(password)}`, [], {
        resourceId: r.id,
        need: NEED,
        label: `ALTER ROLE ${ident(name)} WITH PASSWORD (redacted)`,
      });
    }
    if (Array.isArray(r.spec.memberOf)) {
      await syncMemberships(exec, name, sortedUnique(strings(r.spec.memberOf)), strings(live.spec.memberOf), r.id);
    }
  });
  return outputs(name, live.oid);
}

async function create(conn: Connection, r: Desired): Promise<Outputs> {
  const name = checkName(objectName(r.spec, r.name), 'role name', r.id);
  const live = (await readRoles(conn, [name])).get(name);
  if (live) {
    if (!r.adopt) throw new ProviderError(alreadyExists(`role ${JSON.stringify(name)}`, r.id), r.id);
    return alter(conn, r, name, live, typeof r.spec.password === 'string');
  }
  const password = str(r.spec.password);
  const clauses = attributeClauses(r.spec, null);
  const pw = password !== undefined && !isSensitiveMask(password) ? ` ${passwordClause(password)}` : '';
  try {
    await conn.tx(undefined, { resourceId: r.id }, async (exec) => {
      await exec(`CREATE ROLE ${ident(name)} WITH ${clauses.join(' ')}${pw}`, [], {
        resourceId: r.id,
        need: NEED,
        label: `CREATE ROLE ${ident(name)}`,
      });
      await syncMemberships(exec, name, sortedUnique(strings(r.spec.memberOf)), [], r.id);
    });
  } catch (err) {
    if (err instanceof StatementError && err.code === '42710') {
      throw new ProviderError(alreadyExists(`role ${JSON.stringify(name)}`, r.id), r.id);
    }
    throw err;
  }
  const created = (await readRoles(conn, [name])).get(name);
  return outputs(name, created?.oid ?? 0);
}

async function update(conn: Connection, r: Desired, prior: Recorded, changed: string[]): Promise<Outputs> {
  const name = checkName(objectName(r.spec, r.name), 'role name', r.id);
  const priorName = objectName(prior.spec, prior.name);
  const live = await readRoles(conn, sortedUnique([name, priorName]));
  let current = live.get(name);
  if (!current && priorName !== name && live.has(priorName)) {
    await conn.query(undefined, `ALTER ROLE ${ident(priorName)} RENAME TO ${ident(name)}`, [], { resourceId: r.id, need: NEED });
    current = (await readRoles(conn, [name])).get(name);
  }
  if (!current) return create(conn, { ...r, adopt: false });
  return alter(conn, r, name, current, changed.includes('/spec/password'));
}

async function remove(conn: Connection, prior: Recorded): Promise<void> {
  const name = objectName(prior.spec, prior.name);
  try {
    await conn.query(undefined, `DROP ROLE IF EXISTS ${ident(name)}`, [], { resourceId: prior.id, need: NEED });
  } catch (err) {
    if (err instanceof StatementError && err.code === '2BP01') {
      throw new ProviderError(
        `role ${JSON.stringify(name)} cannot be dropped: it still owns objects or holds privileges` +
          `${err.detail ? ` (${err.detail.replace(/\n/g, '; ')})` : ''}. Reassign or drop them first ` +
          `(REASSIGN OWNED BY ... TO ...; DROP OWNED BY ... in each database), or delete the resources that use this role in the same apply.`,
        prior.id,
      );
    }
    throw err;
  }
}

export const role: KindImpl = {
  info: {
    schema: kindSchema,
    outputSources: { name: ['/spec/name'], oid: [] },
    replaceOn: [],
    naturalKey: (spec, name) => objectName(spec, name),
    references: (spec) => strings(spec.memberOf).map((g) => ({ kind: KIND, key: g })),
    equal(path, d, o) {
      if (path === '/spec/memberOf') return sameSet(d ?? [], o ?? []);
      if (path === '/spec/validUntil') {
        try {
          return validUntilMillis(d) === validUntilMillis(o);
        } catch {
          return false;
        }
      }
      return deepEqual(d, o);
    },
  },
  async readMany(conn, rs) {
    const live = await readRoles(conn, sortedUnique(rs.map((r) => objectName(r.spec, r.name))));
    return rs.map((r) => {
      const l = live.get(objectName(r.spec, r.name));
      return l ? { spec: shapeLike(l.spec, r.spec, ['password']), outputs: outputs(String(l.spec.name), l.oid) } : null;
    });
  },
  create,
  update,
  delete: remove,
};
