import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import type { Spec } from '../../src/sdk/provider.js';
import { withDefaults } from '../helpers/postgres-server.js';

const kinds = postgresProvider.kinds;

function everyProperty(schema: Record<string, unknown>, path: string, visit: (path: string, s: Record<string, unknown>) => void): void {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [k, v] of Object.entries(props)) {
    visit(`${path}/${k}`, v);
    everyProperty(v, `${path}/${k}`, visit);
    if (v.items && typeof v.items === 'object') visit(`${path}/${k}/items`, v.items as Record<string, unknown>);
  }
}

describe('postgres provider: kinds', () => {
  it('names its group, versions and kinds', () => {
    expect(postgresProvider.name).toBe('postgres');
    expect(postgresProvider.group).toBe('postgres.driftless.dev');
    expect(postgresProvider.versions).toEqual(['v1']);
    expect(Object.keys(kinds).sort()).toEqual(['PostgresDatabase', 'PostgresExtension', 'PostgresGrant', 'PostgresRole', 'PostgresSchema']);
  });

  it('ships strict, documented schemas with ids', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, useDefaults: true, allErrors: true });
    for (const [kind, info] of Object.entries(kinds)) {
      expect(info.schema.$id).toBe(`https://driftless.dev/schemas/postgres/${kind}.json`);
      expect(info.schema.additionalProperties).toBe(false);
      expect(() => ajv.compile(info.schema)).not.toThrow();
      everyProperty(info.schema, kind, (path, s) => expect(typeof s.description, `${path} has a description`).toBe('string'));
    }
    const role = kinds.PostgresRole!.schema.properties as Record<string, Record<string, unknown>>;
    expect(role.password!.writeOnly).toBe(true);
  });

  it('fills defaults so desired specs are complete', () => {
    expect(withDefaults('PostgresRole', {})).toEqual({
      login: false,
      superuser: false,
      createdb: false,
      createrole: false,
      inherit: true,
      replication: false,
      bypassRls: false,
      connectionLimit: -1,
      memberOf: [],
    });
    expect(withDefaults('PostgresDatabase', {})).toEqual({ connectionLimit: -1, allowConnections: true });
    expect(withDefaults('PostgresGrant', { role: 'r', database: 'd', on: 'database', privileges: ['connect'] })).toEqual({
      role: 'r',
      database: 'd',
      on: 'database',
      privileges: ['connect'],
      withGrantOption: false,
      defaultPrivileges: false,
    });
  });

  it('rejects grant specs that make no sense', () => {
    const bad: Spec[] = [
      { role: 'r', database: 'd', on: 'tables', privileges: ['select'] }, // no schema
      { role: 'r', database: 'd', on: 'database', schema: 's', privileges: ['connect'] },
      { role: 'r', database: 'd', on: 'schema', schema: 's', privileges: ['select'] },
      { role: 'r', database: 'd', on: 'tables', schema: 's', objects: ['t'], defaultPrivileges: true, privileges: ['select'] },
      { role: 'r', database: 'd', on: 'functions', schema: 's', objects: ['f'], privileges: ['execute'] },
      { role: 'r', database: 'd', on: 'tables', schema: 's', forRole: 'o', privileges: ['select'] },
      { role: 'r', database: 'd', on: 'tables', schema: 's', privileges: ['SELECT'] },
    ];
    for (const spec of bad) expect(() => withDefaults('PostgresGrant', spec), JSON.stringify(spec)).toThrow();
    expect(() => withDefaults('PostgresDatabase', { locale: 'C', lcCollate: 'C' })).toThrow();
    expect(() => withDefaults('PostgresRole', { validUntil: 'tomorrow' })).toThrow();
    expect(() => withDefaults('PostgresRole', { superuser: true, extra: 1 })).toThrow();
  });

  it('computes natural keys and references', () => {
    expect(kinds.PostgresRole!.naturalKey({}, 'app')).toBe('app');
    expect(kinds.PostgresRole!.naturalKey({ name: 'App' }, 'app')).toBe('App');
    expect(kinds.PostgresRole!.references!({ memberOf: ['readers'] }, 'app')).toEqual([{ kind: 'PostgresRole', key: 'readers' }]);
    expect(kinds.PostgresDatabase!.references!({ owner: 'app' }, 'appdb')).toEqual([{ kind: 'PostgresRole', key: 'app' }]);
    expect(kinds.PostgresSchema!.naturalKey({ database: 'appdb' }, 'sales')).toBe('appdb.sales');
    expect(kinds.PostgresSchema!.naturalKey({ database: 'a.b', name: 'c' }, 'x')).toBe('"a.b".c');
    expect(kinds.PostgresSchema!.naturalKey({ database: 'a', name: 'b.c' }, 'x')).toBe('a."b.c"');
    expect(kinds.PostgresSchema!.references!({ database: 'appdb', owner: 'app' }, 's')).toEqual([
      { kind: 'PostgresDatabase', key: 'appdb' },
      { kind: 'PostgresRole', key: 'app' },
    ]);
    const grant = { role: 'ro', database: 'appdb', on: 'tables', schema: 'sales', privileges: ['select'], forRole: 'app', defaultPrivileges: true };
    expect(kinds.PostgresGrant!.naturalKey(grant, 'g')).toBe('ro tables appdb.sales');
    expect(kinds.PostgresGrant!.naturalKey({ ...grant, objects: ['b', 'a'] }, 'g')).toBe('ro tables appdb.sales(a,b)');
    expect(kinds.PostgresGrant!.references!(grant, 'g')).toEqual([
      { kind: 'PostgresRole', key: 'ro' },
      { kind: 'PostgresDatabase', key: 'appdb' },
      { kind: 'PostgresSchema', key: 'appdb.sales' },
      { kind: 'PostgresRole', key: 'app' },
    ]);
    expect(kinds.PostgresExtension!.naturalKey({ database: 'appdb' }, 'citext')).toBe('appdb.citext');
    expect(kinds.PostgresExtension!.references!({ database: 'appdb', schema: 'ext' }, 'citext')).toEqual([
      { kind: 'PostgresDatabase', key: 'appdb' },
      { kind: 'PostgresSchema', key: 'appdb.ext' },
    ]);
  });

  it('declares what cannot change in place', () => {
    expect(kinds.PostgresDatabase!.replaceOn).toEqual(['/spec/encoding', '/spec/locale', '/spec/lcCollate', '/spec/lcCtype', '/spec/template']);
    expect(kinds.PostgresSchema!.replaceOn).toEqual(['/spec/database']);
    expect(kinds.PostgresRole!.replaceOn).toEqual([]);
  });

  it('compares server-normalised fields', () => {
    const role = kinds.PostgresRole!;
    expect(role.equal!('/spec/memberOf', ['b', 'a'], ['a', 'b'])).toBe(true);
    expect(role.equal!('/spec/validUntil', '2030-01-01', '2030-01-01T00:00:00.000Z')).toBe(true);
    expect(role.equal!('/spec/validUntil', '2030-01-01T02:00:00+02:00', '2030-01-01T00:00:00.000Z')).toBe(true);
    expect(role.equal!('/spec/validUntil', '2030-01-02', '2030-01-01T00:00:00.000Z')).toBe(false);
    expect(role.equal!('/spec/login', true, false)).toBe(false);
    expect(kinds.PostgresDatabase!.equal!('/spec/encoding', 'utf-8', 'UTF8')).toBe(true);
    expect(kinds.PostgresGrant!.equal!('/spec/privileges', ['update', 'select'], ['select', 'update'])).toBe(true);
    expect(kinds.PostgresGrant!.equal!('/spec/privileges', ['select'], ['select', 'update'])).toBe(false);
  });
});
