/**
 * Live privileges for many PostgresGrants at once: one query on the target's database for roles
 * and database ACLs, then one query per database (aclexplode over pg_namespace, pg_class, pg_proc
 * and pg_default_acl together), whatever the number of grants.
 */
import type { Json, Spec } from '../../sdk/provider.js';
import type { Connection, Row } from './connection.js';
import { MissingDatabaseError } from './errors.js';
import { DEFAULT_ACL_TYPE, type GrantSpec } from './grant-model.js';
import { byGroup, shapeLike, sortedUnique } from './util.js';

export interface PrivSet {
  privs: Set<string>;
  grantable: Set<string>;
}
type Acl = Map<string, PrivSet>; // grantee -> privileges

export interface LiveGrant {
  /** The role's privileges on each existing target object (name, or function oid). */
  objects: Map<string, PrivSet>;
  /** Named objects that do not exist. */
  missing: string[];
  /** Default privileges (owner, schema, kind) for the role; null when there are none. */
  defaults: PrivSet | null;
}

const empty = (): PrivSet => ({ privs: new Set(), grantable: new Set() });

function addAcl(acl: Acl, row: Row): void {
  if (row.grantee === null || row.grantee === undefined) return;
  const g = String(row.grantee);
  let set = acl.get(g);
  if (!set) acl.set(g, (set = empty()));
  const p = String(row.priv).toLowerCase();
  set.privs.add(p);
  if (row.grantable === true) set.grantable.add(p);
}

interface ClusterInfo {
  me: string;
  roles: Set<string>;
  databases: Set<string>;
  databaseAcl: Map<string, Acl>;
}

async function readCluster(conn: Connection, gs: GrantSpec[]): Promise<ClusterInfo> {
  const roles = sortedUnique(gs.flatMap((g) => [g.role, ...(g.forRole ? [g.forRole] : [])]));
  const dbs = sortedUnique(gs.map((g) => g.database));
  const aclDbs = sortedUnique(gs.filter((g) => g.on === 'database').map((g) => g.database));
  const rows = await conn.query(
    undefined,
    `SELECT current_user::text AS me,
            ARRAY(SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1::text[])) AS roles,
            ARRAY(SELECT datname::text FROM pg_database WHERE datname = ANY($2::text[])) AS databases,
            COALESCE((SELECT json_agg(json_build_object('db', d.datname, 'grantee', r.rolname,
                                                        'priv', a.privilege_type, 'grantable', a.is_grantable))
                        FROM pg_database d
                        CROSS JOIN LATERAL aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
                        JOIN pg_roles r ON r.oid = a.grantee
                       WHERE d.datname = ANY($3::text[]) AND r.rolname = ANY($1::text[])), '[]'::json) AS acl`,
    [roles, dbs, aclDbs],
    { label: 'reading pg_roles and pg_database ACLs' },
  );
  const row = rows[0]!;
  const databaseAcl = new Map<string, Acl>();
  for (const a of row.acl as Row[]) {
    const db = String(a.db);
    if (!databaseAcl.has(db)) databaseAcl.set(db, new Map());
    addAcl(databaseAcl.get(db)!, a);
  }
  return {
    me: String(row.me),
    roles: new Set(row.roles as string[]),
    databases: new Set(row.databases as string[]),
    databaseAcl,
  };
}

interface DatabaseInfo {
  schemas: Map<string, Acl>;
  /** schema -> kind (tables | sequences | functions) -> object -> acl */
  objects: Map<string, Map<string, Map<string, Acl>>>;
  /** `owner \0 schema \0 objtype` -> acl */
  defaults: Map<string, Acl>;
}

const GRANTEE_ACL = (acl: string) => `(SELECT g.rolname, x.privilege_type, x.is_grantable FROM aclexplode(${acl}) x JOIN g ON g.oid = x.grantee)`;

async function readDatabase(conn: Connection, db: string, gs: GrantSpec[]): Promise<DatabaseInfo | null> {
  const pick = (f: (g: GrantSpec) => boolean) => sortedUnique(gs.filter(f).map((g) => g.schema!));
  const params = [
    pick(() => true),
    sortedUnique(gs.flatMap((g) => [g.role])),
    pick((g) => g.on === 'tables' || g.on === 'sequences'),
    pick((g) => g.on === 'functions'),
    pick((g) => g.defaultPrivileges),
  ];
  let rows: Row[];
  try {
    rows = await conn.query(
      db,
      `WITH g AS (SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($2::text[]))
       SELECT 'schema' AS src, n.nspname AS schema, NULL::text AS obj, NULL::text AS owner,
              a.rolname AS grantee, a.privilege_type AS priv, a.is_grantable AS grantable
         FROM pg_namespace n
         LEFT JOIN LATERAL ${GRANTEE_ACL("COALESCE(n.nspacl, acldefault('n', n.nspowner))")} a ON true
        WHERE n.nspname = ANY($1::text[])
       UNION ALL
       SELECT CASE WHEN c.relkind = 'S' THEN 'sequences' ELSE 'tables' END, n.nspname, c.relname, NULL,
              a.rolname, a.privilege_type, a.is_grantable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN LATERAL ${GRANTEE_ACL("COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))")} a ON true
        WHERE n.nspname = ANY($3::text[]) AND c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S')
       UNION ALL
       SELECT 'functions', n.nspname, p.oid::text, NULL, a.rolname, a.privilege_type, a.is_grantable
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         LEFT JOIN LATERAL ${GRANTEE_ACL("COALESCE(p.proacl, acldefault('f', p.proowner))")} a ON true
        WHERE n.nspname = ANY($4::text[]) AND p.prokind <> 'p'
       UNION ALL
       SELECT 'default', n.nspname, d.defaclobjtype::text, pg_get_userbyid(d.defaclrole),
              a.rolname, a.privilege_type, a.is_grantable
         FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
         JOIN LATERAL ${GRANTEE_ACL('d.defaclacl')} a ON true
        WHERE n.nspname = ANY($5::text[])`,
      params,
      { label: `reading privileges in database ${JSON.stringify(db)}` },
    );
  } catch (err) {
    if (err instanceof MissingDatabaseError) return null;
    throw err;
  }
  const info: DatabaseInfo = { schemas: new Map(), objects: new Map(), defaults: new Map() };
  for (const row of rows) {
    const schema = String(row.schema);
    if (row.src === 'schema') {
      if (!info.schemas.has(schema)) info.schemas.set(schema, new Map());
      addAcl(info.schemas.get(schema)!, row);
    } else if (row.src === 'default') {
      const key = `${row.owner}\0${schema}\0${row.obj}`;
      if (!info.defaults.has(key)) info.defaults.set(key, new Map());
      addAcl(info.defaults.get(key)!, row);
    } else {
      const kind = String(row.src);
      if (!info.objects.has(schema)) info.objects.set(schema, new Map());
      const byKind = info.objects.get(schema)!;
      if (!byKind.has(kind)) byKind.set(kind, new Map());
      const objs = byKind.get(kind)!;
      const name = String(row.obj);
      if (!objs.has(name)) objs.set(name, new Map());
      addAcl(objs.get(name)!, row);
    }
  }
  return info;
}

function liveOf(g: GrantSpec, cluster: ClusterInfo, info: DatabaseInfo | null): LiveGrant | null {
  if (!cluster.roles.has(g.role) || !cluster.databases.has(g.database)) return null;
  const mine = (acl: Acl | undefined) => acl?.get(g.role) ?? empty();
  if (g.on === 'database') {
    return { objects: new Map([[g.database, mine(cluster.databaseAcl.get(g.database))]]), missing: [], defaults: null };
  }
  if (!info?.schemas.has(g.schema!)) return null;
  if (g.on === 'schema') return { objects: new Map([[g.schema!, mine(info.schemas.get(g.schema!))]]), missing: [], defaults: null };
  const all = info.objects.get(g.schema!)?.get(g.on) ?? new Map<string, Acl>();
  const objects = new Map<string, PrivSet>();
  const missing: string[] = [];
  for (const name of g.objects ?? all.keys()) {
    if (all.has(name)) objects.set(name, mine(all.get(name)));
    else missing.push(name);
  }
  let defaults: PrivSet | null = null;
  if (g.defaultPrivileges) {
    const acl = info.defaults.get(`${g.forRole ?? cluster.me}\0${g.schema}\0${DEFAULT_ACL_TYPE[g.on]}`);
    defaults = acl?.get(g.role) ?? null;
  }
  return { objects, missing, defaults };
}

/** Live privileges of each grant, null when its role, database or schema is gone. */
export async function readGrants(conn: Connection, gs: GrantSpec[]): Promise<(LiveGrant | null)[]> {
  if (!gs.length) return [];
  const cluster = await readCluster(conn, gs);
  return byGroup(
    gs,
    (g) => g.database,
    async (db, members) => {
      const needed = members.some((g) => g.on !== 'database') && cluster.databases.has(db);
      const info = needed
        ? await readDatabase(
            conn,
            db,
            members.filter((g) => g.on !== 'database'),
          )
        : null;
      return members.map((g) => liveOf(g, cluster, info));
    },
  );
}

/** Every target object's privilege set, counting missing named objects (and, when managed, the default ACL) as empty. */
export function privilegeSets(live: LiveGrant, withDefaults: boolean): PrivSet[] {
  const sets = [...live.objects.values(), ...live.missing.map(empty)];
  if (withDefaults) sets.push(live.defaults ?? empty());
  return sets;
}

/**
 * The observed spec, in the recorded spec's shape. A recorded privilege shows as held only when
 * every target object has it; any other privilege shows as soon as one object has it. So the
 * observed list equals the declared one exactly when every object matches.
 */
export function observedSpec(g: GrantSpec, recordedSpec: Spec, live: LiveGrant): Spec {
  const sets = privilegeSets(live, g.defaultPrivileges);
  const want = g.privileges;
  const everywhere = (p: string) => sets.every((s) => s.privs.has(p));
  const union = new Set(sets.flatMap((s) => [...s.privs]));
  const privileges = sortedUnique([...want.filter(everywhere), ...[...union].filter((p) => !want.includes(p))]);
  const withGrantOption = g.withGrantOption
    ? sets.every((s) => want.every((p) => !s.privs.has(p) || s.grantable.has(p)))
    : sets.some((s) => s.grantable.size > 0);
  const full: Spec = {
    ...recordedSpec,
    privileges,
    withGrantOption,
    defaultPrivileges: g.defaultPrivileges ? (live.defaults?.privs.size ?? 0) > 0 : false,
  } as Record<string, Json>;
  return shapeLike(full, recordedSpec);
}
