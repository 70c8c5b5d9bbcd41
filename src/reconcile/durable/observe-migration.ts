import type { Migration } from '../../state/migrations/index.js';

/**
 * Migration 40 (dashboard and metrics): the last drift check of each stack, clean or not (a clean
 * check records no run, yet it ends a stack's drift), and the indexes the pages read the journal by:
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
CREATE INDEX journal_run ON journal (run_id, id);
CREATE INDEX journal_resource ON journal (repo, stack, resource_id, id);
`,
};
