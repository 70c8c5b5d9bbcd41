/**
 * Versioned migrations, plain PostgreSQL, run unchanged on PGlite and on a server.
 * Append only: never edit a released migration. These are the core tables (state, runs, journal,
 * locks); the service's durable tables are versioned in reconcile/durable/migration.ts, in the
 * same sequence of versions.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'core',
    sql: `
CREATE TABLE stacks (
  repo text NOT NULL,
  stack text NOT NULL,
  serial bigint NOT NULL DEFAULT 0,
  applied_commit text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, stack)
);
CREATE TABLE resources (
  repo text NOT NULL,
  stack text NOT NULL,
  id text NOT NULL,
  api_version text NOT NULL,
  kind text NOT NULL,
  name text NOT NULL,
  spec jsonb NOT NULL,
  outputs jsonb NOT NULL DEFAULT '{}',
  deps jsonb NOT NULL DEFAULT '[]',
  protect boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, stack, id)
);
CREATE TABLE runs (
  id bigserial PRIMARY KEY,
  repo text NOT NULL,
  stack text NOT NULL,
  kind text NOT NULL,
  trigger text NOT NULL,
  commit text,
  actor text,
  pr integer,
  digest text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  outcome text NOT NULL DEFAULT 'running',
  summary jsonb,
  results jsonb,
  error text
);
CREATE INDEX runs_stack ON runs (repo, stack, id DESC);
CREATE TABLE journal (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES runs(id),
  repo text NOT NULL,
  stack text NOT NULL,
  resource_id text NOT NULL,
  operation text NOT NULL,
  resource jsonb NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  outcome text,
  error text
);
CREATE INDEX journal_open ON journal (repo, stack) WHERE outcome IS NULL;
CREATE TABLE locks (
  repo text NOT NULL,
  stack text NOT NULL,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, stack)
);
`,
  },
  {
    version: 3,
    name: 'run plans',
    // The plan a run carried out (its JSON, sensitive values already masked), for the API and pages.
    sql: 'ALTER TABLE runs ADD COLUMN plan jsonb;',
  },
  {
    version: 7,
    name: 'run rollouts',
    // How a rollout went: its waves, the hosts each reached and failed, and which host is at which commit.
    sql: 'ALTER TABLE runs ADD COLUMN rollout jsonb;',
  },
  {
    version: 8,
    name: 'run plans compressed',
    // The plan as gzip in base64 (a plan of 10,000 new files is 12 MB of JSON: as jsonb it took
    // 0.6-1.3 s to store on embedded state, compressed 0.2-0.3 s). Stored as is: PostgreSQL need not
    // try to compress it again. The plan column is left for the runs made before.
    sql: 'ALTER TABLE runs ADD COLUMN plan_gz text; ALTER TABLE runs ALTER COLUMN plan_gz SET STORAGE EXTERNAL;',
  },
];
