/**
 * What a rule sees: `change`, `stack`, `plan`, `pr`, built from a planned stack. Sensitive values
 * never reach a rule: they read "(sensitive)" in `before`/`after`, and a diff entry says only that
 * the field changed. Integers become CEL ints. Pure.
 */
import { isSensitiveMask } from '../sdk/provider.js';
import type { PlannedStack, Step } from '../plan/planner.js';
import type { Plan } from '../plan/model.js';
import { isSensitivePath } from '../plan/sensitive.js';

export const SENSITIVE = '(sensitive)';
export const KNOWN_AFTER_APPLY = '(known after apply)';

export interface ChangeInput {
  id: string;
  kind: string;
  apiVersion: string;
  name: string;
  action: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  diff: Record<string, unknown>[];
}

export interface PrInput {
  number: number;
  author: string;
  labels: string[];
  base: string;
  head: string;
}

export const NO_PR: PrInput = { number: 0, author: '', labels: [], base: '', head: '' };

/** A value as CEL reads it: whole numbers as ints (bigint), objects and arrays copied. */
export function celValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = celValue(x);
    return out;
  }
  return v;
}

/** A value with every mask replaced, whole numbers as ints: the common case, with no pointer to track. */
function plainVisible(v: unknown): unknown {
  if (typeof v === 'string') return isSensitiveMask(v) ? SENSITIVE : v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(plainVisible);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in v) out[k] = plainVisible((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** `spec` with the values at `hidden` pointers (and every mask) replaced by what a rule may see. */
function visibleSpec(spec: unknown, sensitive: readonly string[], refs: readonly string[], at = ''): unknown {
  if (sensitive.length === 0 && refs.length === 0) return plainVisible(spec);
  if (isSensitiveMask(spec)) return SENSITIVE;
  if (at && sensitive.length && isSensitivePath(at, sensitive) && !sensitive.some((s) => s.startsWith(`${at}/`))) return SENSITIVE;
  if (at && refs.includes(at)) return KNOWN_AFTER_APPLY;
  if (typeof spec === 'number') return Number.isInteger(spec) ? BigInt(spec) : spec;
  if (Array.isArray(spec)) return spec.map((x, i) => visibleSpec(x, sensitive, refs, `${at}/${i}`));
  if (spec && typeof spec === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(spec)) out[k] = visibleSpec(x, sensitive, refs, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    return out;
  }
  return spec;
}

/** The inputs of one change of a planned stack. */
export function changeInput(step: Step): ChangeInput {
  const d = step.desired;
  const r = step.recorded;
  const apiVersion = d?.apiVersion ?? r?.apiVersion ?? '';
  const kind = d?.kind ?? r?.kind ?? step.id.split('/')[0];
  const sensitive = d?.sensitive ?? [];
  const refs = d ? d.secretPaths.filter((p) => !isSensitivePath(p, sensitive)) : [];
  return {
    id: step.id,
    kind: apiVersion ? `${apiVersion}/${kind}` : kind,
    apiVersion,
    name: d?.name ?? r?.name ?? step.id.slice(step.id.indexOf('/') + 1),
    action: step.action,
    before: r ? { spec: visibleSpec(r.spec, sensitive, [], '/spec') } : {},
    after: d ? { spec: visibleSpec(d.spec, sensitive, refs, '/spec') } : {},
    diff: step.diff.map((e) =>
      e.sensitive
        ? { path: e.path, sensitive: true, changed: true }
        : (celValue({
            path: e.path,
            ...(e.before !== undefined ? { before: e.before } : {}),
            ...(e.after !== undefined ? { after: e.after } : {}),
            ...(e.unknown ? { unknown: true } : {}),
          }) as Record<string, unknown>),
    ),
  };
}

/** The plan as a rule reads it: stack, digest, summary and the changes (id, kind, action). */
export function planInput(plan: Plan, changes: readonly ChangeInput[]): Record<string, unknown> {
  return {
    stack: plan.stack,
    digest: plan.digest,
    summary: celValue(plan.summary),
    changes: changes.map((c) => ({ id: c.id, kind: c.kind, action: c.action })),
  };
}

/** The inputs of every change of a planned stack, in plan order. */
export function stackInputs(planned: Pick<PlannedStack, 'plan' | 'steps'>): ChangeInput[] {
  return planned.plan.changes.map((c) => changeInput(planned.steps.get(c.id) ?? { ...c }));
}

export function prInput(pr: PrInput): Record<string, unknown> {
  return { ...pr, number: BigInt(pr.number), labels: [...pr.labels] };
}
