import type { Migration } from '../../state/migrations/index.js';

/**
 * Migration 40 (dashboard and metrics): the last drift check of each stack, clean or not (a clean
 * check records no run, yet it ends a stack's drift), every plan posted on a pull request (pr_plans
 * keeps only the latest, until it is applied), and the indexes the pages read the journal by:
 * one run's steps (live progress) and one resource's history (its audit timeline).
 */
export const observeMigration: Migration = {
  version: 40,
  name: 'dashboard reads',
  sql: `
CREATE TABLE drift_checks (
  repo text NOT NULL,
  stack text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  drifted integer NOT NULL,
  run_id bigint,
  PRIMARY KEY (repo, stack)
);
CREATE TABLE pr_plans_posted (
  id bigserial PRIMARY KEY,
  repo text NOT NULL,
  pr integer NOT NULL,
  stack text NOT NULL,
  digest text NOT NULL,
  commit text NOT NULL,
  head_sha text NOT NULL,
  plan jsonb,
  posted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pr_plans_posted_pr ON pr_plans_posted (repo, pr, id);
CREATE INDEX journal_run ON journal (run_id, id);
CREATE INDEX journal_resource ON journal (repo, stack, resource_id, id);
`,
};
