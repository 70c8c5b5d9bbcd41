/**
 * Test helpers for the postgres provider:
 * - `startPostgres()` runs a real, throw-away PostgreSQL server from Debian's binaries
 *   (initdb + pg_ctl as the `postgres` user when we are root) on a free loopback port;
 * - small builders that turn a spec into the Desired / Recorded values the engine would hand over.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import pg from 'pg';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import type { Desired, Json, KindInfo, Recorded, Spec } from '../../src/providers/sdk.js';

const run = promisify(execFile);

export interface PostgresServer {
  /** Superuser URL (with password) of the `postgres` database. */
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin. ' +
  'Install them with `apt-get install postgresql` (Debian/Ubuntu), or set DRIFTLESS_PG_BIN to the bin directory.';

/** The newest Debian PostgreSQL bin directory, or DRIFTLESS_PG_BIN; null when none exists. */
export function findPostgresBin(): string | null {
  const env = process.env.DRIFTLESS_PG_BIN;
  if (env) return existsSync(join(env, 'initdb')) ? env : null;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0]!, 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return { uid, gid };
}

/** Start a PostgreSQL server in a temp dir. SCRAM auth on loopback TCP, trust on its private socket. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(INSTALL_HINT);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'driftless-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (asRoot) {
    const { uid, gid } = await userIds('postgres');
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);

  await exec('initdb', [
    '-D', data, '-U', 'postgres', '--pwfile', pwfile, '-E', 'UTF8', '--locale', 'C',
    '--auth-local', 'trust', '--auth-host', 'scram-sha-256', '--no-sync',
  ]);
  const port = await freePort();
  const opts = [
    `-p ${port}`, "-c listen_addresses=127.0.0.1", `-k ${dir}`, '-c fsync=off',
    '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200',
  ].join(' ');
  await exec('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const host = '127.0.0.1';
  return {
    url: `postgres://postgres:${password}@${host}:${port}/postgres`,
    host,
    port,
    async stop() {
      try {
        await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

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
