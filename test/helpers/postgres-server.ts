/**
 * Test helpers for the postgres provider:
 * - `startPostgres()` runs a real, throw-away PostgreSQL server from Debian's binaries
 *   (initdb + pg_ctl as the `postgres` user when we are root) on a free loopback port;
 * - small builders that turn a spec into the Desired / Recorded values the engine would hand over.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import pg from 'pg';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import type { Desired, Json, KindInfo, Recorded, Spec } from '../../src/sdk/provider.js';

export { startPostgres, findPostgresBin, type PostgresServer } from '../../testkit/postgres-server.js';

/** The same server URL for another user / database (`password` may be omitted). */
export function urlFor(base: string, opts: { user?: string; password?: string; database?: string }): string {
  const u = new URL(base);
  if (opts.user !== undefined) u.username = encodeURIComponent(opts.user);
  if (opts.user !== undefined || opts.password !== undefined) u.password = opts.password ? encodeURIComponent(opts.password) : '';
  if (opts.database !== undefined) u.pathname = '/' + encodeURIComponent(opts.database);
  return u.toString();
}

/** A short unique prefix for object names of one test file, so files can run in parallel. */
export function uniquePrefix(tag: string): string {
  return `t_${tag}_${randomUUID().slice(0, 8)}`;
}

export const API_VERSION = 'postgres.driftless.dev/v1';

/** A Desired resource as the engine hands it over (spec already completed with schema defaults). */
export function desired(kind: string, name: string, spec: Spec, adopt?: boolean): Desired {
  return { id: `${kind}/${name}`, apiVersion: API_VERSION, kind, name, spec, ...(adopt ? { adopt } : {}) };
}

/** What state records after applying `d`: sensitive fields masked, outputs kept. */
export function recorded(d: Desired, outputs: Spec = {}): Recorded {
  const spec: Spec = { ...d.spec };
  if (typeof spec.password === 'string') spec.password = `(sensitive:sha256:${randomBytes(4).toString('hex')}:abcdef)`;
  return { id: d.id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec, outputs };
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

/** The spec completed with its schema's defaults, as the engine validates it (throws when invalid). */
export function withDefaults(kind: string, spec: Spec): Spec {
  const info = postgresProvider.kinds[kind]!;
  const id = info.schema.$id as string;
  const validate = ajv.getSchema(id) ?? ajv.compile(info.schema);
  const copy = structuredClone(spec);
  if (!validate(copy)) throw new Error(`${kind} spec invalid: ${ajv.errorsText(validate.errors)}`);
  return copy;
}

function deepEq(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields (JSON pointers) where an observed spec differs from a desired one, as the engine
 * compares them: every desired field except write-only ones, through KindInfo.equal when given.
 */
export function specDiff(kind: string, want: Spec, got: Spec): string[] {
  const info: KindInfo = postgresProvider.kinds[kind]!;
  const props = (info.schema.properties ?? {}) as Record<string, { writeOnly?: boolean }>;
  const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
  const out: string[] = [];
  for (const k of keys) {
    if (props[k]?.writeOnly) continue;
    const path = `/spec/${k}`;
    const same = info.equal ? info.equal(path, want[k], got[k]) : deepEq(want[k], got[k]);
    if (!same) out.push(path);
  }
  return out.sort();
}

/** Superuser SQL outside the provider (to make drift, check results, clean up). */
export class Admin {
  private readonly clients = new Map<string, pg.Client>();
  constructor(readonly url: string) {}

  async query(database: string | undefined, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const db = database ?? 'postgres';
    let c = this.clients.get(db);
    if (!c) {
      // The database is passed apart from the URL so that any name works.
      const cfg = pgClientFor(this.url, db);
      c = new pg.Client(cfg);
      c.on('error', () => undefined);
      await c.connect();
      this.clients.set(db, c);
    }
    return (await c.query(sql, params)).rows;
  }

  /** Close the connection to one database (before dropping it). */
  async release(database: string): Promise<void> {
    const c = this.clients.get(database);
    this.clients.delete(database);
    await c?.end();
  }

  /** Drop every database and role whose name starts with `prefix`. */
  async cleanup(prefix: string): Promise<void> {
    for (const db of [...this.clients.keys()]) if (db.startsWith(prefix)) await this.release(db);
    const like = prefix.replace(/[\\%_]/g, '\\$&') + '%';
    const dbs = await this.query(undefined, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [like]);
    for (const d of dbs) await this.query(undefined, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(String(d.datname))} WITH (FORCE)`);
    const roles = await this.query(undefined, 'SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [like]);
    for (const r of roles) {
      try {
        await this.query(undefined, `DROP ROLE IF EXISTS ${pg.escapeIdentifier(String(r.rolname))}`);
      } catch {
        // still referenced somewhere; the server is thrown away after the run anyway
      }
    }
  }

  async end(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.end()));
  }
}

/** A pg client config for `database` on the server of `url` (the name never goes through the URL). */
export function pgClientFor(url: string, database: string): pg.ClientConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
  };
}
