/** The example repository in fixtures/postgres: valid, ordered by its references, and it works end to end. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parse, parseAllDocuments, type ScalarTag } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresProvider, type PostgresSession } from '../../src/providers/postgres/index.js';
import type { Desired, Recorded, Spec } from '../../src/sdk/provider.js';
import { desired, pgClientFor, recorded, specDiff, startPostgres, withDefaults, type PostgresServer } from '../helpers/postgres-server.js';

const ROOT = join(import.meta.dirname, '../../fixtures/postgres');
const SECRETS: Record<string, string> = { APP_DB_PASSWORD: 'app-secret', REPORTING_DB_PASSWORD: 'reporting-secret' };
const secretTag: ScalarTag = { tag: '!secret', resolve: (name: string) => SECRETS[name] ?? `missing ${name}` };

function load(): Desired[] {
  const dir = join(ROOT, 'stacks/db');
  const out: Desired[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'), { customTags: [secretTag] })) {
      expect(doc.errors, f).toEqual([]);
      const m = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec: Spec };
      expect(m.apiVersion).toBe('postgres.driftless.dev/v1');
      out.push(desired(m.kind, m.metadata.name, withDefaults(m.kind, m.spec)));
    }
  }
  return out;
}

/** Dependency order from KindInfo.references resolved by natural key, as the engine does. */
function order(ds: Desired[]): Desired[] {
  const byKey = new Map(ds.map((d) => [`${d.kind} ${postgresProvider.kinds[d.kind]!.naturalKey(d.spec, d.name)}`, d]));
  const done = new Set<Desired>();
  const out: Desired[] = [];
  const visit = (d: Desired, path: Desired[]) => {
    if (done.has(d)) return;
    if (path.includes(d)) throw new Error(`cycle at ${d.id}`);
    for (const ref of postgresProvider.kinds[d.kind]!.references?.(d.spec, d.name) ?? []) {
      const dep = byKey.get(`${ref.kind} ${ref.key}`);
      if (dep) visit(dep, [...path, d]);
    }
    done.add(d);
    out.push(d);
  };
  for (const d of ds) visit(d, []);
  return out;
}

let server: PostgresServer;
let session: PostgresSession;

beforeAll(async () => {
  server = await startPostgres(); // its own server: the example uses fixed names (app, reporting)
  session = (await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url: server.url })) as PostgresSession;
});
afterAll(async () => {
  await session?.close();
  await server?.stop();
});

describe('fixtures/postgres', () => {
  it('declares one stack on the postgres target', () => {
    const cfg = parse(readFileSync(join(ROOT, 'driftless.yaml'), 'utf8'));
    expect(cfg).toEqual({ version: 1, stacks: { db: { path: 'stacks/db', targets: { postgres: 'main-db' }, apply: 'auto', prune: true } } });
  });

  it('applies in reference order, reads back unchanged, and works', async () => {
    const ds = order(load());
    expect(ds.length).toBe(17);
    const index = (id: string) => ds.findIndex((d) => d.id === id);
    expect(index('PostgresRole/app')).toBeLessThan(index('PostgresDatabase/app'));
    expect(index('PostgresSchema/app-main')).toBeLessThan(index('PostgresGrant/readonly-tables'));
    expect(index('PostgresRole/app_readonly')).toBeLessThan(index('PostgresRole/reporting'));

    const recs: Recorded[] = [];
    for (const d of ds) recs.push(recorded(d, await session.create(d)));
    const obs = await session.readMany(recs);
    ds.forEach((d, i) => expect(specDiff(d.kind, d.spec, obs[i]!.spec), d.id).toEqual([]));

    // the app creates a table later; reporting may read it, not write it
    const as = (user: string, password: string) => new pg.Client({ ...pgClientFor(server.url, 'app'), user, password, options: '-c search_path=main' });
    const app = as('app', 'app-secret');
    await app.connect();
    try {
      await app.query("CREATE TABLE orders (id serial, email citext); INSERT INTO orders (email) VALUES ('A@x.org')");
    } finally {
      await app.end();
    }
    const rep = as('reporting', 'reporting-secret');
    await rep.connect();
    try {
      expect((await rep.query("SELECT count(*)::int AS n FROM orders WHERE email = 'a@X.org'")).rows[0].n).toBe(1);
      await expect(rep.query('INSERT INTO orders (email) VALUES ($1)', ['b@x.org'])).rejects.toThrow(/permission denied/);
    } finally {
      await rep.end();
    }

    // still no drift after the app's migration
    const again = await session.readMany(recs);
    ds.forEach((d, i) => expect(specDiff(d.kind, d.spec, again[i]!.spec), d.id).toEqual([]));
  });
});
