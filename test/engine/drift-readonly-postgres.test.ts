/**
 * Issue 14: a drift check cannot write. For the postgres provider: with `readUrl` the drift check
 * logs in as a role that has no write privilege and still finds drift; with `url` alone it runs in
 * read-only transactions (the server refuses a write on its connections); a read-only session
 * refuses create, update and delete before anything reaches the server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Workspace } from '../../src/engine/workspace.js';
import { applyStack } from '../../src/engine/apply-stack.js';
import { driftStack } from '../../src/engine/drift-stack.js';
import { type PostgresSession, postgresProvider } from '../../src/providers/postgres/index.js';
import { READ_ONLY_REFUSAL, type TargetConfig } from '../../src/sdk/provider.js';
import { SecretValue } from '../../src/sdk/secret-value.js';
import { testConfig } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';
import { TestRepo, manifest, tempDir } from '../helpers/git.js';
import { Admin, desired, recorded, uniquePrefix, urlFor, withDefaults } from '../helpers/postgres-server.js';

const url = inject('pgUrl');
const P = uniquePrefix('rodrift');
const READER = `${P}_reader`;
const READER_PW = `pw-${Math.random().toString(36).slice(2)}`;
const readUrl = urlFor(url, { user: READER, password: READER_PW });
const PG = 'postgres.driftless.dev/v1';
const q = (s: string) => pg.escapeIdentifier(s);
let admin: Admin;

const REPO_CONFIG = 'version: 1\nstacks:\n  db:\n    path: stacks/db\n    targets:\n      postgres: main\n';
const MANIFESTS = [
  manifest('PostgresRole', 'app', { name: `${P}_app`, login: true, createdb: false }, {}, PG),
  manifest('PostgresSchema', 'app', { name: 'app', database: `${P}_db` }, {}, PG),
].join('---\n');

function target(withReadUrl: boolean): TargetConfig {
  return {
    name: 'main',
    provider: 'postgres',
    url: new SecretValue(url, 'test'),
    ...(withReadUrl ? { readUrl: new SecretValue(readUrl, 'test') } : {}),
  };
}

/** Backends on the server of driftless's read-only pools, by user. */
async function readOnlyBackends(user: string): Promise<number> {
  const rows = await admin.query(
    undefined,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'driftless (read-only)' AND usename = $1`,
    [user],
  );
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  admin = new Admin(url);
  // A role with no write privilege: it may log in and read the catalogs, as every role may.
  await admin.query(undefined, `CREATE ROLE ${q(READER)} LOGIN PASSWORD '${READER_PW}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await admin.query(undefined, `CREATE DATABASE ${q(`${P}_db`)}`);
  await admin.query(undefined, `CREATE DATABASE ${q(`${P}_state`)}`);
});
afterAll(async () => {
  await admin.cleanup(P);
  await admin.end();
});

describe('a drift check of the postgres provider performs no write', () => {
  it('with readUrl: connects as the role without write privileges, finds drift, and never writes', async () => {
    const repo = TestRepo.create({ 'driftless.yaml': REPO_CONFIG, 'stacks/db/all.yaml': MANIFESTS });
    const base = testConfig(repo.dir, { dataDir: tempDir('driftless-ro-pg-') });
    const cfg = { ...base, targets: { main: target(true) }, state: { url: new SecretValue(urlFor(url, { database: `${P}_state` }), 'test') } };
    const ws = await Workspace.open(cfg, 'test');
    try {
      const commit = await ws.resolve();
      const applied = await applyStack(ws, { commit, stack: 'db', trigger: 'test' });
      expect(applied.result?.outcome, JSON.stringify(applied.plan?.errors ?? applied.refused)).toBe('succeeded');

      const clean = await driftStack(ws, 'db');
      expect(clean.plan?.drift).toEqual([]);
      expect(clean.checked).toEqual({ read: 2, unread: 0 });

      await admin.query(undefined, `ALTER ROLE ${q(`${P}_app`)} CREATEDB`);
      await admin.query(`${P}_db`, `ALTER SCHEMA app RENAME TO app_moved`);
      const r = await driftStack(ws, 'db');
      expect(r.plan?.drift.map((d) => [d.id, !!d.gone])).toEqual([
        ['PostgresRole/app', false],
        ['PostgresSchema/app', true],
      ]);
      expect(r.plan!.drift[0]!.diff.map((e) => e.path)).toEqual(['/spec/createdb']);
      expect(r.remediation).toBeUndefined();
      // The check read as the reader (its pools are still open), which can write nothing.
      expect(await readOnlyBackends(READER)).toBeGreaterThan(0);
      const [role] = await admin.query(undefined, 'SELECT rolcreatedb FROM pg_roles WHERE rolname = $1', [`${P}_app`]);
      expect(role!.rolcreatedb).toBe(true); // drift reported, not repaired

      // The same from the CLI, with readUrl read from the environment as the server config says.
      const dir = tempDir('driftless-ro-pgcli-');
      const config = join(dir, 'driftless.config.yaml');
      writeFileSync(
        config,
        [
          `repo: { path: ${repo.dir}, name: ${base.repo.name} }`,
          'targets:',
          '  main: { provider: postgres, url: { fromEnv: TEST_PG_URL }, readUrl: { fromEnv: TEST_PG_READ_URL } }',
          'state: { url: { fromEnv: TEST_STATE_URL } }',
          `dataDir: ${join(dir, 'data')}`,
        ].join('\n') + '\n',
      );
      const env = { TEST_PG_URL: url, TEST_PG_READ_URL: readUrl, TEST_STATE_URL: urlFor(url, { database: `${P}_state` }) };
      const cli = await runCli(['--config', config, 'drift'], { env });
      expect(cli.code, cli.err).toBe(2);
      expect(cli.out).toContain('~ PostgresRole/app');
      expect(cli.out).toContain('/spec/createdb: false -> true');
    } finally {
      await ws.close();
      repo.remove();
    }
  });

  it('with url alone: a read-only session runs every statement in a read-only transaction', async () => {
    const session = (await postgresProvider.connect(target(false), { readOnly: true })) as PostgresSession;
    const rw = (await postgresProvider.connect(target(false))) as PostgresSession;
    try {
      const conn = session.conn;
      expect(conn.user).toBe(new URL(url).username);
      const role = recorded(desired('PostgresRole', `${P}_app`, withDefaults('PostgresRole', { name: `${P}_app` })));
      expect(await session.read(role)).not.toBeNull();
      for (const db of [undefined, `${P}_db`]) {
        expect((await conn.query(db, 'SHOW transaction_read_only'))[0]!.transaction_read_only).toBe('on');
        expect((await conn.query(db, 'SHOW default_transaction_read_only'))[0]!.default_transaction_read_only).toBe('on');
        await expect(conn.query(db, `CREATE SCHEMA ${q(`${P}_never`)}`)).rejects.toThrow(/read-only transaction/);
        await expect(conn.tx(db, {}, (exec) => exec(`CREATE TABLE public.${q(`${P}_never`)} (x int)`))).rejects.toThrow(/read-only transaction/);
      }
      await expect(conn.query(undefined, `CREATE ROLE ${q(`${P}_never`)}`)).rejects.toThrow(/read-only transaction/);
      const made = await admin.query(undefined, 'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [`${P}_never`]);
      expect(made[0]!.n).toBe(0);
      const schemas = await admin.query(`${P}_db`, 'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [`${P}_never`]);
      expect(schemas[0]!.n).toBe(0);
      // The read-write session of the same target is not restricted: the option makes the difference.
      expect((await rw.conn.query(undefined, 'SHOW transaction_read_only'))[0]!.transaction_read_only).toBe('off');
    } finally {
      await session.close();
      await rw.close();
    }
  });

  it('with readUrl: the session logs in as the reader, and the server refuses its writes twice over', async () => {
    const session = (await postgresProvider.connect(target(true), { readOnly: true })) as PostgresSession;
    try {
      const rows = await session.conn.query(undefined, 'SELECT current_user AS u, current_setting($1) AS ro', ['transaction_read_only']);
      expect(rows[0]).toEqual({ u: READER, ro: 'on' });
      await expect(session.conn.query(undefined, `CREATE ROLE ${q(`${P}_never2`)}`)).rejects.toThrow(/read-only transaction/);
      // Even out of the read-only default, the role itself may not write.
      await expect(
        session.conn.tx(`${P}_db`, {}, async (exec) => {
          await exec('SET TRANSACTION READ WRITE');
          await exec(`CREATE SCHEMA ${q(`${P}_never2`)}`);
        }),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await session.close();
    }
  });

  it('refuses create, update and delete on a read-only session before the server sees them', async () => {
    const session = (await postgresProvider.connect(target(false), { readOnly: true })) as PostgresSession;
    try {
      const d = desired('PostgresRole', `${P}_refused`, withDefaults('PostgresRole', { name: `${P}_refused` }));
      const before = session.queries;
      await expect(session.create(d)).rejects.toThrow(READ_ONLY_REFUSAL);
      await expect(session.update(d, recorded(d), ['/spec/createdb'])).rejects.toThrow(READ_ONLY_REFUSAL);
      await expect(session.delete(recorded(d))).rejects.toThrow(READ_ONLY_REFUSAL);
      expect(session.queries).toBe(before);
      const made = await admin.query(undefined, 'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [`${P}_refused`]);
      expect(made[0]!.n).toBe(0);
    } finally {
      await session.close();
    }
  });
});
