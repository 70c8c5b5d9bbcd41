import type { Migration } from '../../state/migrations/index.js';
import { observeMigration } from './observe-migration.js';
import { policyMigration } from './policy-records.js';

/**
 * The service's tables (migration 2): webhook deliveries (de-duplication), the job queue, the
 * outbox of forge/audit writes, the reviewed plans of pull requests, held applies, merged-PR
 * lookups and drift issues. Everything a replica needs lives here, nothing in memory.
 */
export const serviceMigration: Migration = {
  version: 2,
  name: 'service',
  sql: `
CREATE TABLE deliveries (
  id text PRIMARY KEY,
  repo text NOT NULL,
  event text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  repo text NOT NULL,
  kind text NOT NULL,
  lane text NOT NULL,
  dedupe_key text UNIQUE,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'queued',
  attempts integer NOT NULL DEFAULT 0,
  run_after timestamptz NOT NULL DEFAULT now(),
  owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  error text,
  result jsonb
);
CREATE INDEX jobs_ready ON jobs (status, run_after, id);
CREATE INDEX jobs_lane ON jobs (lane, status);
CREATE UNIQUE INDEX jobs_one_running_per_lane ON jobs (lane) WHERE status = 'running';
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  repo text NOT NULL,
  kind text NOT NULL,
  coalesce_key text,
  dedupe_key text UNIQUE,
  op jsonb NOT NULL,
  progress jsonb,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  owner text,
  lease_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX outbox_ready ON outbox (status, next_at, id);
CREATE UNIQUE INDEX outbox_one_sending_per_key ON outbox (coalesce_key) WHERE status = 'sending';
CREATE TABLE pr_plans (
  repo text NOT NULL,
  pr integer NOT NULL,
  stack text NOT NULL,
  digest text NOT NULL,
  commit text NOT NULL,
  head_sha text NOT NULL,
  planned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, pr, stack)
);
CREATE TABLE holds (
  repo text NOT NULL,
  stack text NOT NULL,
  commit text NOT NULL,
  pr integer,
  digest text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, stack)
);
CREATE TABLE merged_prs (
  repo text NOT NULL,
  sha text NOT NULL,
  pr integer NOT NULL,
  PRIMARY KEY (repo, sha)
);
CREATE TABLE drift_issues (
  repo text NOT NULL,
  stack text NOT NULL,
  number integer NOT NULL,
  PRIMARY KEY (repo, stack)
);
`,
};

/** Migration 4: every plan posted on a pull request is kept whole (masked JSON), not only its digest. */
export const prPlansMigration: Migration = {
  version: 4,
  name: 'pull request plans',
  sql: 'ALTER TABLE pr_plans ADD COLUMN plan jsonb;',
};

/**
 * Migration 5: the order of delivery within a batch (the entries one job queued together): `batch`
 * names the batch, `rank` orders it (delivery-order.ts); NULL for the entries queued before.
 */
export const outboxOrderMigration: Migration = {
  version: 5,
  name: 'outbox delivery order',
  sql: `
CREATE SEQUENCE outbox_batch_seq;
ALTER TABLE outbox ADD COLUMN batch bigint;
ALTER TABLE outbox ADD COLUMN rank smallint;
CREATE INDEX outbox_batch_open ON outbox (batch, rank) WHERE status IN ('pending', 'sending');
`,
};

/**
 * Migration 6: rollback pull requests (issue 14). While one is open its stack is quarantined: new
 * commits that touch it are planned but held. The row stays after the pull request is merged or
 * closed, so the apply of the merge can say which commits it rolled back.
 */
export const rollbacksMigration: Migration = {
  version: 6,
  name: 'rollbacks',
  sql: `
CREATE TABLE rollbacks (
  repo text NOT NULL,
  pr integer NOT NULL,
  stack text NOT NULL,
  branch text NOT NULL,
  commit text NOT NULL,
  target text NOT NULL,
  undoes jsonb NOT NULL,
  state text NOT NULL DEFAULT 'open',
  requested_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  PRIMARY KEY (repo, pr)
);
CREATE INDEX rollbacks_open ON rollbacks (repo, stack) WHERE state = 'open';
`,
};

/** The durable tables of the service, in version order. */
export const durableMigrations: Migration[] = [serviceMigration, prPlansMigration, outboxOrderMigration, rollbacksMigration, policyMigration, observeMigration];
