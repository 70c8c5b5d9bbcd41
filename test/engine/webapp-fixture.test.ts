import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { TestRepo, tempDir } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';
import { parseMermaid } from '../helpers/mermaid.js';

const PW = 'webapp-pw-' + Math.random().toString(36).slice(2);

/** fixtures/webapp: db on the suite's PostgreSQL, then app and edge (fs), as one workflow. */
describe('fixtures/webapp: a workflow across providers', () => {
  let admin: pg.Client;
  const drop = async () => {
    await admin.query('DROP DATABASE IF EXISTS webapp WITH (FORCE)');
    await admin.query('DROP ROLE IF EXISTS webapp');
  };
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    await drop(); // the example uses fixed names
  });
  afterAll(async () => {
    await drop();
    await admin?.end();
  });

  it('plans db, app, edge in order; applies them; the app reads the database outputs', { timeout: 300_000 }, async () => {
    const repo = TestRepo.create();
    cpSync(resolve('fixtures/webapp'), repo.dir, { recursive: true });
    repo.git('add', '.');
    repo.git('commit', '-qm', 'webapp example');
    const dir = tempDir('driftless-webapp-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      [
        `repo: { path: ${repo.dir}, name: webapp }`,
        'targets:',
        '  main-db: { provider: postgres, url: { fromEnv: TEST_PG_URL } }',
        `  app-config: { provider: fs, root: ${join(dir, 'app')} }`,
        `  edge-config: { provider: fs, root: ${join(dir, 'edge')} }`,
        'secrets:',
        '  WEBAPP_DB_PASSWORD: { fromEnv: WEBAPP_DB_PASSWORD }',
        `dataDir: ${join(dir, 'data')}`,
      ].join('\n') + '\n',
    );
    const cli = (...a: string[]) => runCli(['--config', config, ...a], { env: { TEST_PG_URL: inject('pgUrl'), WEBAPP_DB_PASSWORD: PW } });

    expect((await cli('validate')).code).toBe(0);
    const plan = await cli('plan');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/^Workflow: db -> app -> edge\n/);
    const app = plan.out.slice(plan.out.indexOf('Stack app'), plan.out.indexOf('Stack edge'));
    expect(app).toContain('+ /spec/content = (known after apply)');

    const graph = await cli('graph', '--changes-only');
    expect(await parseMermaid(graph.out)).toBe('flowchart-v2');
    expect(graph.out).toContain('["+ PostgresDatabase/webapp"]:::create');

    const apply = await cli('apply', '--auto-approve');
    expect(apply.code, apply.out + apply.err).toBe(0);
    expect(apply.out).not.toContain(PW);
    expect(readFileSync(join(dir, 'app/webapp/DATABASE_NAME'), 'utf8')).toBe('webapp');
    expect(readFileSync(join(dir, 'app/webapp/DATABASE_USER'), 'utf8')).toBe('webapp');
    expect(readFileSync(join(dir, 'edge/sites-enabled/webapp.conf'), 'utf8')).toContain('proxy_pass http://127.0.0.1:8080;');
    const owner = await admin.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'webapp'");
    expect(owner.rows[0]?.owner).toBe('webapp');

    const again = await cli('plan', '--detailed-exitcode');
    expect(again.code, again.out).toBe(0);
  });
});
