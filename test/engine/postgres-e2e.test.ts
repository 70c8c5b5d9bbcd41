import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { TestRepo, tempDir } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';
import { startPostgres, pgClientFor, type PostgresServer } from '../helpers/postgres-server.js';

const APP_PW = 'app-pw-' + Math.random().toString(36).slice(2);
const REP_PW = 'rep-pw-' + Math.random().toString(36).slice(2);

function readAll(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? readAll(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

describe('fixtures/postgres through the engine: plan, apply, no-op, drift, repair', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres(); // its own server: the fixture uses fixed names
  });
  afterAll(async () => server?.stop());

  it('applies the example end to end and keeps passwords out of every output and of state', async () => {
    const src = tempDir('driftless-pgfix-');
    cpSync(resolve('fixtures/postgres'), src, { recursive: true });
    const repo = TestRepo.create();
    cpSync(src, repo.dir, { recursive: true });
    repo.git('add', '.');
    repo.git('commit', '-qm', 'postgres example');
    const dir = tempDir('driftless-pgcfg-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      [
        `repo: { path: ${repo.dir}, name: pg-example }`,
        'targets:',
        '  main-db: { provider: postgres, url: { fromEnv: TEST_PG_URL } }',
        'secrets:',
        '  APP_DB_PASSWORD: { fromEnv: APP_DB_PASSWORD }',
        '  REPORTING_DB_PASSWORD: { fromEnv: REPORTING_DB_PASSWORD }',
        `dataDir: ${join(dir, 'data')}`,
      ].join('\n') + '\n',
    );
    const env = { TEST_PG_URL: server.url, APP_DB_PASSWORD: APP_PW, REPORTING_DB_PASSWORD: REP_PW };
    const cli = (...a: string[]) => runCli(['--config', config, ...a], { env });

    const plan = await cli('plan');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/Plan: 17 to create, 0 to update, 0 to replace, 0 to delete\./);
    expect(plan.out).toContain('+ /spec/password = (sensitive value)');

    const apply = await cli('apply', '--auto-approve');
    if (apply.code !== 0) console.log(apply.out, apply.err);
    expect(apply.code).toBe(0);
    // Order: the role before the database it owns, the schema before the grants on it.
    const order = apply.err.split('\n').filter((l) => l.includes('done'));
    const at = (id: string) => order.findIndex((l) => l.includes(` ${id}:`));
    expect(at('PostgresRole/app')).toBeLessThan(at('PostgresDatabase/app'));
    expect(at('PostgresSchema/app-main')).toBeLessThan(at('PostgresGrant/readonly-tables'));

    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);

    // The app role logs in with the secret's password.
    const app = new pg.Client({ ...pgClientFor(server.url, 'app'), user: 'app', password: APP_PW });
    await app.connect();
    await app.end();

    // Drift made outside driftless, then repaired by the next apply.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query('ALTER ROLE app CREATEDB');
      const drift = await cli('drift');
      expect(drift.code).toBe(2);
      expect(drift.out).toContain('~ PostgresRole/app');
      expect(drift.out).toContain('/spec/createdb: false -> true');
      const repair = await cli('apply', '--auto-approve');
      expect(repair.code, repair.err).toBe(0);
      const r = await admin.query("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'app'");
      expect(r.rows[0].rolcreatedb).toBe(false);
    } finally {
      await admin.end();
    }
    expect((await cli('drift')).code).toBe(0);

    const all = [plan, apply].map((r) => r.out + r.err).join('') + (await cli('plan', '--format', 'json')).out + (await cli('history')).out;
    for (const pw of [APP_PW, REP_PW]) {
      expect(all).not.toContain(pw);
      expect(readAll(join(dir, 'data'))).not.toContain(pw);
    }
  });
});
