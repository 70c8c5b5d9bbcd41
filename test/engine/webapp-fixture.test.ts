import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { TestRepo, tempDir } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';
import { inventory, TEST_CONNECT_TIMEOUT } from '../helpers/hosts.js';
import { parseMermaid } from '../helpers/mermaid.js';

const PW = 'webapp-pw-' + Math.random().toString(36).slice(2);
const unavailable = hostsUnavailable();
if (unavailable) console.warn(`SKIPPING fixtures/webapp: ${unavailable}`);

function everyFile(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? everyFile(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

/** fixtures/webapp: db on the suite's PostgreSQL, then app and edge on a real Debian host, as one workflow. */
describe.skipIf(!!unavailable)('fixtures/webapp: a workflow across providers', () => {
  let admin: pg.Client;
  let fleet: TestFleet;
  const drop = async () => {
    await admin.query('DROP DATABASE IF EXISTS webapp WITH (FORCE)');
    await admin.query('DROP ROLE IF EXISTS webapp');
  };
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    await drop(); // the example uses fixed names
    // One host is both the app host and the web host (light on a shared machine).
    fleet = await bootHosts(1, { prefix: 'webapp-' });
  }, 400_000);
  afterAll(async () => {
    await fleet?.stop();
    await drop();
    await admin?.end();
  }, 120_000);

  it('plans db, app, edge in order; applies them; the app config on the host takes the database outputs; nginx serves in front', {
    timeout: 400_000,
  }, async () => {
    const host = fleet.hosts[0];
    const repo = TestRepo.create();
    cpSync(resolve('fixtures/webapp'), repo.dir, { recursive: true });
    repo.git('add', '.');
    repo.git('commit', '-qm', 'webapp example');
    const dir = tempDir('driftless-webapp-');
    const config = join(dir, 'driftless.config.yaml');
    const hosts = (group: string) => ({
      provider: 'host',
      user: 'root',
      privateKey: { fromFile: fleet.privateKeyFile },
      connectTimeout: TEST_CONNECT_TIMEOUT,
      hosts: inventory(fleet, { [host.name]: [group] }),
    });
    writeFileSync(
      config,
      JSON.stringify({
        repo: { path: repo.dir, name: 'webapp' },
        targets: { 'main-db': { provider: 'postgres', url: { fromEnv: 'TEST_PG_URL' } }, 'app-hosts': hosts('app'), 'web-hosts': hosts('web') },
        secrets: { WEBAPP_DB_PASSWORD: { fromEnv: 'WEBAPP_DB_PASSWORD' } },
        dataDir: join(dir, 'data'),
      }),
    );
    const seen: string[] = [];
    const cli = async (...a: string[]) => {
      const r = await runCli(['--config', config, ...a], { env: { TEST_PG_URL: inject('pgUrl'), WEBAPP_DB_PASSWORD: PW } });
      seen.push(r.out, r.err);
      return r;
    };

    const v = await cli('validate');
    expect(v.code, v.out + v.err).toBe(0);
    const plan = await cli('plan');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/^Workflow: db -> app -> edge\n/);
    const app = plan.out.slice(plan.out.indexOf('Stack app'), plan.out.indexOf('Stack edge'));
    expect(app).toContain(`+ File/config@${host.name} (create: new)`);
    expect(app).toContain('+ /spec/vars/database = (known after apply)');

    // As the README shows it.
    const json = JSON.parse((await cli('plan', '--format', 'json')).out);
    expect(json.workflow.edges).toEqual([
      {
        from: 'app',
        to: 'db',
        why: [
          'dependsOn',
          `!ref db:PostgresDatabase/webapp.outputs.name (File/config@${host.name})`,
          `!ref db:PostgresRole/webapp.outputs.name (File/config@${host.name})`,
        ],
      },
      { from: 'edge', to: 'app', why: ['dependsOn'] },
    ]);

    const graph = await cli('graph', '--changes-only');
    expect(await parseMermaid(graph.out)).toBe('flowchart-v2');
    expect(graph.out).toContain('["+ PostgresDatabase/webapp"]:::create');

    const apply = await cli('apply', '--auto-approve');
    expect(apply.code, apply.out + apply.err).toBe(0);
    const conf = readFileSync(join(host.root, 'etc/webapp/webapp.conf'), 'utf8');
    expect(conf).toContain('database.name = webapp\n');
    expect(conf).toContain('database.user = webapp\n');
    expect((await host.sh('systemctl is-active nginx')).trim()).toBe('active');
    expect(await host.sh('nginx -T 2>/dev/null')).toContain('proxy_pass http://127.0.0.1:8080;');
    const owner = await admin.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'webapp'");
    expect(owner.rows[0]?.owner).toBe('webapp');

    const again = await cli('plan', '--detailed-exitcode');
    expect(again.code, again.out).toBe(0);

    // The role changes, but not its name: the app's values stay known, and only db has changes.
    const roles = readFileSync(join(repo.dir, 'stacks/db/db.yaml'), 'utf8').replace('  login: true\n', '  login: true\n  connectionLimit: 20\n');
    repo.commit({ 'stacks/db/db.yaml': roles });
    const p2 = await cli('plan');
    expect(p2.out).toContain('~ /spec/connectionLimit: -1 -> 20');
    expect(p2.out).not.toContain('(known after apply)');
    expect(p2.out.slice(p2.out.indexOf('Stack app'))).not.toMatch(/^\s+[~+-] /m);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    expect(seen.join('\n')).not.toContain(PW);
    expect(everyFile(join(dir, 'data')).includes(PW)).toBe(false);
  });
});
