/** PostgresGrant's spec, parsed, and the SQL names of what it targets. */
import { ProviderError, type Spec } from '../../sdk/provider.js';
import { checkName, dbKey, ident, keyPart, qualified } from './quote.js';
import { sortedUnique, str, strings } from './util.js';

export type On = 'database' | 'schema' | 'tables' | 'sequences' | 'functions';

/** Every privilege that applies to each kind of target, lower case. */
export const PRIVILEGES: Record<On, string[]> = {
  database: ['connect', 'create', 'temporary'],
  schema: ['create', 'usage'],
  tables: ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'],
  sequences: ['select', 'update', 'usage'],
  functions: ['execute'],
};

/** pg_default_acl.defaclobjtype for the kinds that have default privileges. */
export const DEFAULT_ACL_TYPE: Partial<Record<On, string>> = { tables: 'r', sequences: 'S', functions: 'f' };

export interface GrantSpec {
  role: string;
  database: string;
  on: On;
  schema?: string;
  /** Named objects; undefined = all objects of the kind in the schema. */
  objects?: string[];
  privileges: string[];
  withGrantOption: boolean;
  defaultPrivileges: boolean;
  forRole?: string;
}

export function parseGrant(spec: Spec, id?: string): GrantSpec {
  const on = str(spec.on) as On | undefined;
  if (!on || !(on in PRIVILEGES)) throw new ProviderError(`spec.on must be one of ${Object.keys(PRIVILEGES).join(', ')}`, id);
  const role = str(spec.role);
  const database = str(spec.database);
  if (!role || !database) throw new ProviderError('spec.role and spec.database are required', id);
  const schema = str(spec.schema);
  if (on !== 'database' && !schema) throw new ProviderError(`spec.schema is required with on: ${on}`, id);
  const privileges = sortedUnique(strings(spec.privileges).map((p) => p.toLowerCase()));
  const bad = privileges.filter((p) => !PRIVILEGES[on].includes(p));
  if (bad.length) throw new ProviderError(`privileges ${bad.join(', ')} do not apply to ${on} (allowed: ${PRIVILEGES[on].join(', ')})`, id);
  const objects = Array.isArray(spec.objects) && (on === 'tables' || on === 'sequences') ? sortedUnique(strings(spec.objects)) : undefined;
  const defaultPrivileges = spec.defaultPrivileges === true && DEFAULT_ACL_TYPE[on] !== undefined && !objects;
  for (const n of [role, database, schema, str(spec.forRole), ...(objects ?? [])]) if (n !== undefined) checkName(n, 'name', id);
  return {
    role,
    database,
    on,
    privileges,
    defaultPrivileges,
    withGrantOption: spec.withGrantOption === true,
    ...(on !== 'database' ? { schema } : {}),
    ...(objects ? { objects } : {}),
    ...(defaultPrivileges && str(spec.forRole) ? { forRole: str(spec.forRole) } : {}),
  };
}

/** `app_ro tables app.public(orders,users)`: unique per grant target. */
export function grantKey(g: GrantSpec): string {
  const where = g.on === 'database' ? keyPart(g.database) : dbKey(g.database, g.schema!);
  const objects = g.objects ? `(${g.objects.map(keyPart).join(',')})` : '';
  return `${keyPart(g.role)} ${g.on} ${where}${objects}`;
}

/** The object clause of GRANT / REVOKE: `DATABASE "x"`, `ALL TABLES IN SCHEMA "s"`, `TABLE "s"."a", "s"."b"`. */
export function targetClause(g: Pick<GrantSpec, 'on' | 'database' | 'schema'>, objects?: string[]): string {
  switch (g.on) {
    case 'database':
      return `DATABASE ${ident(g.database)}`;
    case 'schema':
      return `SCHEMA ${ident(g.schema!)}`;
    case 'functions':
      return `ALL FUNCTIONS IN SCHEMA ${ident(g.schema!)}`;
    case 'tables':
    case 'sequences': {
      const word = g.on === 'tables' ? 'TABLE' : 'SEQUENCE';
      if (!objects) return `ALL ${word}S IN SCHEMA ${ident(g.schema!)}`;
      return `${word} ${objects.map((o) => qualified(g.schema!, o)).join(', ')}`;
    }
  }
}

/** `SELECT, INSERT`: keywords from the fixed list only. */
export function privilegeList(on: On, privileges: string[]): string {
  return privileges
    .map((p) => {
      if (!PRIVILEGES[on].includes(p)) throw new ProviderError(`unknown privilege ${JSON.stringify(p)} for ${on}`);
      return p.toUpperCase();
    })
    .join(', ');
}
