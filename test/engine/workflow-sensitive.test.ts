import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { TestRepo, tempDir, manifest } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ROLE = 'wf_sens_' + Math.random().toString(36).slice(2, 10);
const PG = 'postgres.driftless.dev/v1';

const CONFIG = `version: 1
stacks:
  secrets:
    path: stacks/secrets
    targets: { fs: files }
  db:
    path: stacks/db
    targets: { postgres: main-db }
    dependsOn: [secrets]
`;

function everyFile(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? everyFile(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

/** Can the role log in with this password? */
async function logsIn(password: string): Promise<boolean> {
  const url = new URL(inject('pgUrl'));
  url.username = ROLE;
  url.password = password;
  const c = new pg.Client({ connectionString: url.toString() });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Stack `secrets` writes a file whose content is a secret: its output sha256 is sensitive. Stack
 * `db` gives it to a role's password (writeOnly) by `!ref`: the apply reads the clear value back
 * through stack secrets' target, and it appears nowhere.
 */
describe('a sensitive output of another stack into a writeOnly field', () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await admin.end();
  });

  it('applies with the clear value read from the upstream object; never shows or stores it; refuses a value changed since the plan', {
    timeout: 240_000,
  }, async () => {
    const token = (n: number) => `tok-${n}-${Math.random().toString(36).slice(2, 12)}`;
    const tokens = [token(1), token(2)];
    const role = (extra: Record<string, unknown> = {}) =>
      manifest('PostgresRole', ROLE, { login: true, password: '!ref secrets:File/token.outputs.sha256', ...extra }, {}, PG);
    const repo = TestRepo.create({
      'driftless.yaml': CONFIG,
      'stacks/secrets/token.yaml': manifest('File', 'token', { path: 'token.txt', content: '!secret DB_TOKEN' }),
      'stacks/db/role.yaml': role(),
    });
    const dir = tempDir('driftless-wf-sensitive-');
    const root = join(dir, 'root');
    const data = join(dir, 'data');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      [
        `repo: { path: ${repo.dir}, name: infra }`,
        'targets:',
        `  files: { provider: fs, root: ${root} }`,
        '  main-db: { provider: postgres, url: { fromEnv: TEST_PG_URL } }',
        'secrets:',
        '  DB_TOKEN: { fromEnv: TEST_DB_TOKEN }',
        `dataDir: ${data}`,
      ].join('\n') + '\n',
    );
    let current = tokens[0];
    const seen: string[] = [];
    const cli = async (...args: string[]) => {
      const r = await runCli(['--config', config, ...args], { env: { TEST_PG_URL: inject('pgUrl'), TEST_DB_TOKEN: current } });
      seen.push(r.out, r.err);
      return r;
    };

    const p1 = await cli('plan');
    expect(p1.code, p1.err).toBe(0);
    expect(p1.out).toMatch(/^Workflow: secrets -> db\n/);
    const a1 = await cli('apply', '--auto-approve');
    expect(a1.code, a1.out + a1.err).toBe(0);
    expect(readFileSync(join(root, 'token.txt'), 'utf8')).toBe(tokens[0]);
    expect(await logsIn(sha(tokens[0]))).toBe(true);
    // Recorded as plans see it (the upstream mask): nothing left to do, in the workflow or the stack alone.
    const p2 = await cli('plan', '--detailed-exitcode');
    expect(p2.code, p2.out + p2.err).toBe(0);
    expect((await cli('plan', '--stack', 'db', '--detailed-exitcode')).code).toBe(0);

    // The secret changes: the upstream file changes, the password follows it.
    current = tokens[1];
    const p3 = await cli('plan');
    expect(p3.out.slice(p3.out.indexOf('Stack db'))).toContain(`~ PostgresRole/${ROLE}`);
    const a2 = await cli('apply', '--auto-approve');
    expect(a2.code, a2.out + a2.err).toBe(0);
    expect(await logsIn(sha(tokens[1]))).toBe(true);
    expect(await logsIn(sha(tokens[0]))).toBe(false);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);

    // The upstream object edited by hand, and stack db alone applied: the value is not the one
    // planned with, so the apply refuses rather than set it.
    repo.commit({ 'stacks/db/role.yaml': role({ connectionLimit: 5 }) });
    writeFileSync(join(root, 'token.txt'), 'edited by hand');
    const a3 = await cli('apply', '--stack', 'db', '--auto-approve');
    expect(a3.code).not.toBe(0);
    expect(a3.out + a3.err).toContain(`the output sha256 of secrets:File/token changed outside driftless since it was recorded; plan again`);
    expect(await logsIn(sha(tokens[1]))).toBe(true);
    // The workflow repairs the file first, then the role applies.
    const a4 = await cli('apply', '--auto-approve');
    expect(a4.code, a4.out + a4.err).toBe(0);
    expect(await logsIn(sha(tokens[1]))).toBe(true);
    const limit = await admin.query('SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [ROLE]);
    expect(limit.rows[0]?.rolconnlimit).toBe(5);

    await cli('history', '--stack', 'db');
    await cli('plan', '--format', 'json');
    const forbidden = tokens.flatMap((t) => [t, sha(t)]);
    const stored = everyFile(data);
    for (const f of forbidden) {
      expect(seen.join('\n').includes(f), 'CLI output holds a clear value').toBe(false);
      expect(stored.includes(f), 'the data dir holds a clear value').toBe(false);
    }
  });
});
