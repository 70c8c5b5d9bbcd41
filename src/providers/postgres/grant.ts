/** PostgresGrant: GRANT / REVOKE of just the difference, and ALTER DEFAULT PRIVILEGES. */
import type { Desired, Outputs, Recorded } from '../../sdk/provider.js';
import type { Connection, Exec } from './connection.js';
import type { Op } from './errors.js';
import { grantKey, parseGrant, privilegeList, targetClause, type GrantSpec } from './grant-model.js';
import { observedSpec, privilegeSets, readGrants, type LiveGrant, type PrivSet } from './grant-read.js';
import type { KindImpl } from './kind.js';
import { dbKey, ident } from './quote.js';
import { deepEqual, sameSet } from './util.js';
import kindSchema from './schemas/PostgresGrant.schema.json' with { type: 'json' };

function outputs(g: GrantSpec): Outputs {
  return {
    key: grantKey(g),
    role: g.role,
    database: g.database,
    on: g.on,
    privileges: g.privileges,
    ...(g.schema ? { schema: g.schema } : {}),
  };
}

/** Where the statements run: database privileges from the target's database, the rest in their database. */
const dbOf = (g: GrantSpec) => (g.on === 'database' ? undefined : g.database);

/** The changes that bring `sets` (the role's privileges per object) to `want`. */
function difference(sets: PrivSet[], want: string[], withGrantOption: boolean) {
  const union = new Set(sets.flatMap((s) => [...s.privs]));
  return {
    grant: want.filter((p) => sets.some((s) => !s.privs.has(p) || (withGrantOption && !s.grantable.has(p)))),
    revoke: [...union].filter((p) => !want.includes(p)).sort(),
    revokeGrantOption: withGrantOption ? [] : want.filter((p) => sets.some((s) => s.grantable.has(p))),
  };
}

async function apply(exec: Exec, g: GrantSpec, target: string, sets: PrivSet[], op: Op): Promise<void> {
  const d = difference(sets, g.privileges, g.withGrantOption);
  const to = ident(g.role);
  if (d.revoke.length) await exec(`REVOKE ${privilegeList(g.on, d.revoke)} ON ${target} FROM ${to}`, [], op);
  if (d.revokeGrantOption.length) {
    await exec(`REVOKE GRANT OPTION FOR ${privilegeList(g.on, d.revokeGrantOption)} ON ${target} FROM ${to}`, [], op);
  }
  if (d.grant.length) {
    await exec(`GRANT ${privilegeList(g.on, d.grant)} ON ${target} TO ${to}${g.withGrantOption ? ' WITH GRANT OPTION' : ''}`, [], op);
  }
}

function defaultsPrefix(g: GrantSpec, forRole: string | undefined): string {
  return `ALTER DEFAULT PRIVILEGES${forRole ? ` FOR ROLE ${ident(forRole)}` : ''} IN SCHEMA ${ident(g.schema!)}`;
}

async function applyDefaults(exec: Exec, g: GrantSpec, live: PrivSet | null, op: Op): Promise<void> {
  const d = difference([live ?? { privs: new Set(), grantable: new Set() }], g.privileges, g.withGrantOption);
  const prefix = defaultsPrefix(g, g.forRole);
  const objects = g.on.toUpperCase();
  const to = ident(g.role);
  if (d.revoke.length) await exec(`${prefix} REVOKE ${privilegeList(g.on, d.revoke)} ON ${objects} FROM ${to}`, [], op);
  if (d.revokeGrantOption.length) {
    await exec(`${prefix} REVOKE GRANT OPTION FOR ${privilegeList(g.on, d.revokeGrantOption)} ON ${objects} FROM ${to}`, [], op);
  }
  if (d.grant.length) {
    await exec(`${prefix} GRANT ${privilegeList(g.on, d.grant)} ON ${objects} TO ${to}${g.withGrantOption ? ' WITH GRANT OPTION' : ''}`, [], op);
  }
}

/** A grant is gone when its role holds none of its privileges anywhere (and it declares some). */
function gone(g: GrantSpec, live: LiveGrant): boolean {
  const sets = privilegeSets(live, g.defaultPrivileges);
  return g.privileges.length > 0 && sets.length > 0 && sets.every((s) => s.privs.size === 0);
}

const none = (): LiveGrant => ({ objects: new Map(), missing: [], defaults: null });

/** Make the live privileges match `g`; `prior` is what was applied before (same role and target). */
async function sync(conn: Connection, id: string, g: GrantSpec, prior: GrantSpec | null): Promise<Outputs> {
  const [liveNow, livePrior] = await readGrants(conn, prior ? [g, prior] : [g]);
  // Role, database or schema missing: grant anyway (to one unknown object), so the server says which one.
  const live = liveNow ?? { ...none(), missing: g.objects ?? ['?'] };
  const op: Op = { resourceId: id, need: `ownership of the ${g.on} or the privileges WITH GRANT OPTION` };
  await conn.tx(dbOf(g), op, async (exec) => {
    if (prior && livePrior && g.objects) {
      const dropped = [...livePrior.objects].filter(([name, s]) => !g.objects!.includes(name) && s.privs.size > 0).map(([n]) => n);
      if (dropped.length) await exec(`REVOKE ALL ON ${targetClause(g, dropped)} FROM ${ident(g.role)}`, [], op);
    }
    if (prior?.defaultPrivileges && (!g.defaultPrivileges || prior.forRole !== g.forRole)) {
      await exec(`${defaultsPrefix(prior, prior.forRole)} REVOKE ALL ON ${prior.on.toUpperCase()} FROM ${ident(g.role)}`, [], {
        ...op,
        need: `membership in role ${JSON.stringify(prior.forRole ?? conn.user)}`,
      });
    }
    const sets = privilegeSets(live, false);
    if (sets.length) await apply(exec, g, targetClause(g, g.objects), sets, op);
    if (g.defaultPrivileges) {
      await applyDefaults(exec, g, live.defaults, {
        ...op,
        need: `membership in role ${JSON.stringify(g.forRole ?? conn.user)}`,
      });
    }
  });
  return outputs(g);
}

async function remove(conn: Connection, prior: Recorded): Promise<void> {
  const g = parseGrant(prior.spec, prior.id);
  const [live] = await readGrants(conn, [g]);
  if (!live) return; // role, database or schema gone: nothing left to revoke
  const op: Op = { resourceId: prior.id, need: `ownership of the ${g.on} or the privileges WITH GRANT OPTION` };
  await conn.tx(dbOf(g), op, async (exec) => {
    const held = [...live.objects].filter(([, s]) => s.privs.size > 0).map(([n]) => n);
    if (held.length) {
      await exec(`REVOKE ALL ON ${targetClause(g, g.objects ? held : undefined)} FROM ${ident(g.role)}`, [], op);
    }
    if (g.defaultPrivileges && live.defaults) {
      await exec(`${defaultsPrefix(g, g.forRole)} REVOKE ALL ON ${g.on.toUpperCase()} FROM ${ident(g.role)}`, [], op);
    }
  });
}

export const grant: KindImpl = {
  info: {
    schema: kindSchema,
    outputSources: {
      key: ['/spec'],
      role: ['/spec/role'],
      database: ['/spec/database'],
      on: ['/spec/on'],
      privileges: ['/spec/privileges'],
      schema: ['/spec/schema'],
    },
    replaceOn: ['/spec/role', '/spec/database', '/spec/on', '/spec/schema'],
    naturalKey: (spec, name) => {
      try {
        return grantKey(parseGrant(spec));
      } catch {
        return name;
      }
    },
    references(spec) {
      const role = typeof spec.role === 'string' ? spec.role : '';
      const db = typeof spec.database === 'string' ? spec.database : '';
      const refs = [
        { kind: 'PostgresRole', key: role },
        { kind: 'PostgresDatabase', key: db },
      ];
      if (typeof spec.schema === 'string') refs.push({ kind: 'PostgresSchema', key: dbKey(db, spec.schema) });
      if (typeof spec.forRole === 'string') refs.push({ kind: 'PostgresRole', key: spec.forRole });
      return refs;
    },
    equal(path, d, o) {
      if (path === '/spec/privileges' || path === '/spec/objects') return sameSet(d, o);
      return deepEqual(d, o);
    },
  },
  async readMany(conn, rs) {
    const gs = rs.map((r) => parseGrant(r.spec, r.id));
    const live = await readGrants(conn, gs);
    return rs.map((r, i) => {
      const l = live[i];
      return l && !gone(gs[i]!, l) ? { spec: observedSpec(gs[i]!, r.spec, l), outputs: outputs(gs[i]!) } : null;
    });
  },
  create: (conn, r: Desired) => sync(conn, r.id, parseGrant(r.spec, r.id), null),
  update: (conn, r, prior) => {
    const g = parseGrant(r.spec, r.id);
    let p: GrantSpec | null = null;
    try {
      p = parseGrant(prior.spec, prior.id);
    } catch {
      p = null;
    }
    // A prior on another role or target is replaced by the engine (replaceOn); only same-target priors matter here.
    const same = p && p.role === g.role && p.database === g.database && p.on === g.on && p.schema === g.schema;
    return sync(conn, r.id, g, same ? p : null);
  },
  delete: remove,
};
