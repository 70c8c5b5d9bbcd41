import type { Observed, Spec } from '../sdk/provider.js';
import { UNKNOWN, type Ref } from '../manifests/values.js';
import type { DesiredResource, DesiredSet } from './desired.js';
import type { Change, DiffEntry, DriftEntry, Plan, RecordedResource, Summary } from './model.js';
import { diffCreate, diffDelete, diffDrift, diffSpecs } from './compare.js';
import { outputAt, resolveSpec } from './resolve.js';
import { canonicalJson, deepEqual, sha256Parts } from './values.js';
import { PairCache } from './pair-cache.js';

export interface PlanRequest {
  repo: string;
  stack: string;
  commit: string;
  prune: boolean;
  /** Allow a plan that deletes every resource of the stack. */
  allowDeleteAll?: boolean;
  desired: DesiredSet;
  recorded: Map<string, RecordedResource>;
  serial: number;
  appliedCommit: string | null;
  /** Live state by id, when refreshed (null: the object is gone). */
  live?: Map<string, Observed | null>;
  secret(name: string): string | undefined;
  /** Diffs remembered across plans (a long-lived workspace); see PlanMemo. */
  memo?: PlanMemo;
  /**
   * The value of a `!ref` to another stack's resource (see plan/workflow.ts): UNKNOWN when the
   * upstream plan changes it. Absent: every such value is unknown.
   */
  external?(ref: Ref): unknown;
}

/**
 * A resource without !ref or !secret values, compared without live state, has a diff that depends
 * only on its manifest spec and its recorded record: both are immutable cached objects, so the diff
 * is remembered by their identity and an unchanged resource is not compared twice.
 */
export type PlanMemo = PairCache<object, RecordedResource, DiffEntry[]>;

/** A new plan memo: records are second keys held weakly (a spec spread over hosts has one per host). */
export const newPlanMemo = (): PlanMemo => new PairCache(true);

/** A change with what the executor needs to carry it out. */
export interface Step extends Change {
  desired?: DesiredResource;
  recorded?: RecordedResource;
}

export interface PlannedStack {
  plan: Plan;
  steps: Map<string, Step>;
  desired: DesiredSet;
  /** The recorded state the plan was made from (at plan.stateSerial); read-only. */
  recorded: Map<string, RecordedResource>;
  /** The live state the plan was made from, by id, when refreshed (see PlanRequest.live); read-only. */
  live?: Map<string, Observed | null>;
}

/** Desired vs recorded vs live -> Plan. Pure and deterministic. */
export function makePlan(req: PlanRequest): PlannedStack {
  const { desired, recorded, live } = req;
  const steps = new Map<string, Step>();
  const actions = new Map<string, Step['action'] | 'noop'>();
  const errors: string[] = [];
  const missingSecrets = new Set<string>();
  const summary: Summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };

  for (const id of desired.order) {
    const d = desired.resources.get(id)!;
    const rec = recorded.get(id);
    const observed = live?.get(id);
    const memoable = !live && rec && d.refs.length === 0 && d.secretPaths.length === 0 && req.memo;
    const remembered = memoable ? req.memo!.get(d.spec, rec!) : undefined;
    const fired = firedTriggers(d, actions);
    if (remembered && remembered.length === 0 && !fired.length) {
      summary.noop++;
      actions.set(id, 'noop');
      continue;
    }
    const missing: string[] = [];
    // Without !ref or !secret values the spec is already resolved (and is only read from here on).
    const resolved =
      d.refs.length === 0 && d.secretPaths.length === 0
        ? d.spec
        : resolveSpec(
            d.spec,
            {
              ref: (ref) => {
                if (ref.stack !== undefined) return req.external?.(ref) ?? UNKNOWN;
                if (actions.get(ref.target) !== 'noop') return UNKNOWN;
                return outputAt(recorded.get(ref.target)?.outputs, ref.field) ?? UNKNOWN;
              },
              secret: req.secret,
            },
            missing,
          );
    missing.forEach((m) => missingSecrets.add(m));
    let step: Step | undefined;
    if (!rec && d.info?.probe && observed && deepEqual(observed.spec, resolved)) {
      // Read before its first apply (see KindInfo.probe): already as declared, nothing to do.
    } else if (!rec) {
      step = {
        id,
        action: 'create',
        diff: diffCreate(resolved, d.sensitive),
        dependsOn: d.deps,
        reason: d.adopt ? 'new (adopting an existing object)' : d.info?.probe && observed ? d.info.probe.pending : 'new',
        desired: d,
      };
    } else if (live && observed === null) {
      step = {
        id,
        action: 'create',
        diff: diffCreate(resolved, d.sensitive),
        dependsOn: d.deps,
        reason: 'deleted outside driftless',
        desired: d,
        recorded: rec,
      };
    } else {
      // Equal specs (no live state to compare) have no diff: skip the field-by-field walk.
      const diff = remembered ?? (!observed && deepEqual(resolved, rec.spec) ? [] : diffSpecs(resolved, rec.spec, observed?.spec, d.sensitive, d.info?.equal));
      if (memoable && !remembered) req.memo!.set(d.spec, rec, diff);
      if (diff.length) {
        const forcing = diff.filter((e) => (d.info?.replaceOn ?? []).some((r) => e.path === r || e.path.startsWith(r + '/')));
        if (forcing.length) {
          step = {
            id,
            action: 'replace',
            diff,
            dependsOn: d.deps,
            reason: `${forcing.map((e) => e.path).join(', ')} cannot change in place`,
            desired: d,
            recorded: rec,
          };
          if (d.protect || rec.protect)
            errors.push(`${id} is protected and would be replaced (${step.reason}); remove metadata.protect first if that is intended`);
        } else {
          const drifted = observed ? diffDrift(rec.spec, observed.spec, d.info?.equal).length > 0 : false;
          step = { id, action: 'update', diff, dependsOn: d.deps, reason: drifted ? 'changed outside driftless' : 'spec changed', desired: d, recorded: rec };
        }
      }
    }
    if (fired.length && rec && !(live && observed === null)) {
      // A handler: the resource goes through an update after what fired it (a service reloaded).
      const why = `triggered by ${[...new Set(fired.flatMap((e) => e.after as string[]))].join(', ')}`;
      if (step) step = { ...step, diff: [...step.diff, ...fired], reason: `${step.reason}; ${why}` };
      else step = { id, action: 'update', diff: fired, dependsOn: d.deps, reason: why, desired: d, recorded: rec };
    }
    if (step) {
      steps.set(id, step);
      summary[step.action]++;
      actions.set(id, step.action);
    } else {
      summary.noop++;
      actions.set(id, 'noop');
    }
  }

  const orphans: string[] = [];
  const gone = [...recorded.values()].filter((r) => !desired.resources.has(r.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const r of gone) {
    if (!req.prune) {
      orphans.push(r.id);
      continue;
    }
    if (live && live.get(r.id) === null) {
      // Already gone: the delete only forgets it.
      steps.set(r.id, { id: r.id, action: 'delete', diff: [], dependsOn: r.deps, reason: 'no longer declared (already gone)', recorded: r });
    } else {
      steps.set(r.id, { id: r.id, action: 'delete', diff: diffDelete(r.spec), dependsOn: r.deps, reason: 'no longer declared', recorded: r });
    }
    summary.delete++;
    if (r.protect) errors.push(`${r.id} is protected and would be deleted; set metadata.protect: false in a commit before removing it`);
  }
  if (recorded.size > 0 && desired.resources.size === 0 && req.prune && !req.allowDeleteAll) {
    errors.push(`this plan would delete every resource of stack ${req.stack} (${recorded.size}); refused. If that is intended, apply with --allow-delete-all`);
  }
  for (const name of [...missingSecrets].sort())
    errors.push(`secret ${name} is not available: list it under "secrets" in the server config and set its source`);

  const drift: DriftEntry[] = [];
  if (live) {
    for (const r of [...recorded.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const o = live.get(r.id);
      if (o === undefined) continue;
      if (o === null) drift.push({ id: r.id, diff: [], gone: true });
      else {
        const d = diffDrift(r.spec, o.spec, desired.resources.get(r.id)?.info?.equal);
        if (d.length) drift.push({ id: r.id, diff: d });
      }
    }
  }

  const changes: Change[] = [...steps.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ id, action, diff, dependsOn, reason }) => ({ id, action, diff, dependsOn, reason }));
  const digest = planDigest(req.stack, changes);
  const plan: Plan = {
    formatVersion: 1,
    repo: req.repo,
    stack: req.stack,
    commit: req.commit,
    appliedCommit: req.appliedCommit,
    stateSerial: req.serial,
    changes,
    drift,
    orphans,
    errors: [...new Set(errors)],
    summary,
    digest,
  };
  return { plan, steps, desired, recorded, live };
}

/**
 * The triggers of a resource (KindInfo.triggers) that fire in this plan, as `/triggers/<key>` diff
 * entries listing the ids that change (create, update or replace) before it.
 */
function firedTriggers(d: DesiredResource, actions: Map<string, Step['action'] | 'noop'>): DiffEntry[] {
  const triggers = d.info?.triggers?.(d.spec, d.name);
  if (!triggers?.length) return [];
  const out: DiffEntry[] = [];
  for (const t of triggers) {
    const ids = t.ids.filter((x) => {
      const a = actions.get(x);
      return a === 'create' || a === 'update' || a === 'replace';
    });
    if (ids.length) out.push({ path: `/triggers/${t.key}`, after: ids });
  }
  return out;
}

/**
 * The same plan without the changes of some resources (drift remediation leaves acknowledged drift
 * alone): they count as unchanged, and the digest covers what is left. Pure.
 */
export function withoutChanges(planned: PlannedStack, ids: ReadonlySet<string>): PlannedStack {
  if (!planned.plan.changes.some((c) => ids.has(c.id))) return planned;
  const steps = new Map([...planned.steps].filter(([id]) => !ids.has(id)));
  const changes = planned.plan.changes.filter((c) => !ids.has(c.id));
  const summary: Summary = { ...planned.plan.summary };
  for (const c of planned.plan.changes) {
    if (!ids.has(c.id)) continue;
    summary[c.action]--;
    summary.noop++;
  }
  const plan: Plan = { ...planned.plan, changes, summary, digest: planDigest(planned.plan.stack, changes) };
  return { ...planned, plan, steps };
}

/** The digest covers what the plan would do, nothing else: stack and each change's id, action and diff. */
export function planDigest(stack: string, changes: Change[]): string {
  // canonicalJson({ stack, changes: [{ id, action, diff }, …] }), hashed a change at a time: the
  // whole text of a large plan (12 MB for 10,000 new files) is never made.
  return sha256Parts(
    (function* () {
      yield '{"changes":[';
      for (let i = 0; i < changes.length; i++) {
        const { id, action, diff } = changes[i];
        yield (i ? ',' : '') + canonicalJson({ id, action, diff });
      }
      yield `],"stack":${JSON.stringify(stack)}}`;
    })(),
  );
}

export type { Spec };
