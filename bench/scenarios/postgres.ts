import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Unavailable, type Scenario, type ScenarioResult } from '../types.js';
import type { Desired, Recorded, Session, Spec } from '../../src/sdk/provider.js';
import { startPostgres, findPostgresBin } from '../../testkit/postgres-server.js';
import { median, spread, log, fmtMs, WORK_DIR, runOk, timed } from '../util.js';
import { PACKAGE_ROOT } from '../util.js';

const API = 'postgres.driftless.dev/v1';

/** The mix refreshed: databases, schemas in them, roles (cluster-wide). */
function resources(total: number): Desired[] {
  const dbs = Math.max(2, Math.round(total / 100));
  const schemas = Math.round((total - dbs) / 2);
  const roles = total - dbs - schemas;
  const out: Desired[] = [];
  for (let i = 0; i < dbs; i++)
    out.push({ id: `PostgresDatabase/db${i}`, apiVersion: API, kind: 'PostgresDatabase', name: `db${i}`, spec: { name: `bench_db_${i}` } });
  for (let i = 0; i < schemas; i++)
    out.push({
      id: `PostgresSchema/s${i}`,
      apiVersion: API,
      kind: 'PostgresSchema',
      name: `s${i}`,
      spec: { name: `bench_schema_${i}`, database: `bench_db_${i % dbs}` },
    });
  for (let i = 0; i < roles; i++)
    out.push({
      id: `PostgresRole/r${i}`,
      apiVersion: API,
      kind: 'PostgresRole',
      name: `r${i}`,
      spec: { name: `bench_role_${i}`, login: i % 3 === 0, connectionLimit: i % 7 === 0 ? 5 : -1 },
    });
  return out;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** One SQL query per resource, as psql runs them: the lower bound of any refresh that asks per resource. */
function perResourceSql(rs: Desired[]): string {
  const lines: string[] = [];
  for (const r of rs.filter((x) => x.kind === 'PostgresRole')) {
    lines.push(
      `SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil, ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = ${q(String(r.spec.name))};`,
    );
  }
  for (const r of rs.filter((x) => x.kind === 'PostgresDatabase')) {
    lines.push(
      `SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype, datconnlimit, datallowconn FROM pg_database WHERE datname = ${q(String(r.spec.name))};`,
    );
  }
  const byDb = new Map<string, Desired[]>();
  for (const r of rs.filter((x) => x.kind === 'PostgresSchema')) byDb.set(String(r.spec.database), [...(byDb.get(String(r.spec.database)) ?? []), r]);
  for (const [db, list] of byDb) {
    lines.push(`\\c ${db}`);
    for (const r of list) lines.push(`SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ${q(String(r.spec.name))};`);
  }
  return lines.join('\n') + '\n';
}

export const postgresScenario: Scenario = {
  name: 'postgres',
  title: 'PostgreSQL refresh (postgres provider) vs one query per resource',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 1000;
    if (!findPostgresBin())
      throw new Unavailable('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, or set DRIFTLESS_PG_BIN)');
    const providerFile = join(PACKAGE_ROOT, 'dist', 'src', 'providers', 'postgres', 'index.js');
    if (!existsSync(providerFile)) throw new Unavailable('the postgres provider is not built (src/providers/postgres)');
    const { postgresProvider, readOneByOne } = (await import(
      '../../src/providers/postgres/index.js'
    )) as typeof import('../../src/providers/postgres/index.js');
    const server = await startPostgres();
    let session: Session | undefined;
    const many: number[] = [];
    const single: number[] = [];
    const psql: number[] = [];
    let queriesMany = 0;
    let queriesSingle = 0;
    try {
      session = await postgresProvider.connect({ name: 'bench-pg', provider: 'postgres', url: server.url });
      const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
      const list = resources(n);
      const recorded: Recorded[] = [];
      const t0 = performance.now();
      for (const d of list) {
        const info = postgresProvider.kinds[d.kind]!;
        const validate = ajv.getSchema(String(info.schema.$id)) ?? ajv.compile(info.schema);
        const spec = structuredClone(d.spec) as Spec;
        if (!validate(spec)) throw new Error(`${d.id}: ${ajv.errorsText(validate.errors)}`);
        const full = { ...d, spec };
        const outputs = await session.create(full);
        recorded.push({ id: d.id, apiVersion: API, kind: d.kind, name: d.name, spec, outputs });
      }
      log(`  created ${list.length} PostgreSQL objects in ${fmtMs(performance.now() - t0)} (setup)`);
      const sqlFile = join(WORK_DIR, 'runs', 'postgres', 'per-resource.sql');
      mkdirSync(join(sqlFile, '..'), { recursive: true });
      writeFileSync(sqlFile, perResourceSql(list));
      const psqlBin = existsSync(join(server.bin, 'psql')) ? join(server.bin, 'psql') : 'psql';
      const conn = (s: Session) => (s as unknown as { queries: number }).queries;
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        let q0 = conn(session);
        const m = await timed(() => session!.readMany!(recorded));
        const qm = conn(session) - q0;
        if (m.value.some((o) => o === null)) throw new Error('readMany lost a resource');
        q0 = conn(session);
        const s = await timed(() => readOneByOne(session!, recorded));
        const qs = conn(session) - q0;
        if (s.value.some((o) => o === null)) throw new Error('read lost a resource');
        const p = await runOk(psqlBin, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-f', sqlFile, server.url], {
          env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
        });
        const rows = p.stdout.trim().split('\n').filter(Boolean).length;
        if (rows !== list.length) throw new Error(`psql returned ${rows} rows for ${list.length} resources`);
        if (i < ctx.warmup) continue;
        many.push(m.ms);
        single.push(s.ms);
        psql.push(p.ms);
        queriesMany = qm;
        queriesSingle = qs;
        log(
          `  refresh ${i - ctx.warmup + 1}/${ctx.iterations}: readMany ${fmtMs(m.ms)} (${qm} queries), read one by one ${fmtMs(s.ms)} (${qs} queries), psql ${fmtMs(p.ms)}`,
        );
      }
    } finally {
      await session?.close().catch(() => undefined);
      await server.stop();
    }
    const tm = median(many);
    const ts = median(single);
    const tp = median(psql);
    const label = `6 postgres refresh ${n}`;
    return {
      name: this.name,
      title: `${this.title}, ${n} resources`,
      rows: [
        {
          scenario: label,
          metric: 'readMany (batched)',
          unit: 'ms',
          driftless: tm,
          peer: tp,
          peerName: 'psql, 1 query/resource',
          ratio: tm / tp,
          target: '< 1 s, ≥ 10× faster',
          pass: ctx.quick ? null : tm < 1000 && tm / tp <= 0.1,
          samples: { driftless: many, peer: psql },
        },
        {
          scenario: label,
          metric: 'read, one by one',
          unit: 'ms',
          driftless: ts,
          peer: tp,
          peerName: 'psql, 1 query/resource',
          ratio: ts / tp,
          target: 'report',
          pass: null,
          samples: { driftless: single, peer: psql },
        },
      ],
      notes: [
        `A real PostgreSQL server (Debian's binaries, started for the run) with ${n} managed objects (databases, schemas in them, roles), ` +
          `read through one warm postgres provider session: Session.readMany (${queriesMany} queries) vs Session.read per resource (${queriesSingle} queries). ` +
          `Peer: psql running one catalog query per resource from a script (process start and one reconnect per database included), the lower bound of per-resource refresh. ` +
          `Spread: ${(spread(many) * 100).toFixed(0)}% / ${(spread(single) * 100).toFixed(0)}% / ${(spread(psql) * 100).toFixed(0)}%.`,
      ],
      details: { n, many, single, psql, queriesMany, queriesSingle },
    };
  },
};
