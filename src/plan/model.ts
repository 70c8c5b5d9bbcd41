import type { Json, Spec } from '../sdk/provider.js';

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

/**
 * One field's change. `before` absent: the field is new; `after` absent (and not unknown): removed.
 * Sensitive fields carry no values at all; unknown ones (a !ref to something that changes) no `after`.
 */
export interface DiffEntry {
  path: string;
  before?: Json;
  after?: Json;
  sensitive?: true;
  unknown?: true;
}

export interface Change {
  id: string;
  action: Exclude<Action, 'noop'>;
  diff: DiffEntry[];
  dependsOn: string[];
  reason: string;
}

export interface DriftEntry {
  id: string;
  /** before = recorded, after = live. */
  diff: DiffEntry[];
  /** The object no longer exists. */
  gone?: true;
}

export interface Summary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}

export interface Plan {
  formatVersion: 1;
  repo: string;
  stack: string;
  commit: string;
  appliedCommit: string | null;
  stateSerial: number;
  changes: Change[];
  drift: DriftEntry[];
  /** Resources no longer declared while the stack has `prune: false`: left in place, still recorded. */
  orphans: string[];
  /** Problems that forbid applying this plan (protected resources, deleting everything, missing secrets). */
  errors: string[];
  summary: Summary;
  digest: string;
}

/** What state remembers of a resource. */
export interface RecordedResource {
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  spec: Spec;
  outputs: Spec;
  deps: string[];
  protect: boolean;
}

export function summaryLine(s: Summary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete.`;
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}
