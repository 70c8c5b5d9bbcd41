/**
 * Manifests spread over the members of their target (hosts of an inventory): one manifest, one
 * resource per member, named `name@member`. References between spread manifests (`dependsOn`,
 * `!ref`) are taken to mean the same member's resource. Pure.
 */
import type { Expansion, Spec, SpecProblem } from '../sdk/provider.js';
import type { LocatedResource } from '../manifests/loader.js';
import { pointerToPath } from '../manifests/validate.js';
import { Ref } from '../manifests/values.js';
import type { SetIssue } from './desired.js';

/** How one manifest spreads: its provider's `expand` on its target, or undefined when it does not. */
export type ExpanderFor = (r: LocatedResource) => ((spec: Spec) => Expansion | SpecProblem) | undefined;

interface Spread {
  resource: LocatedResource;
  expansion: Expansion;
}

/** Every resource, with the spread ones replaced by one resource per member (in member order). */
export function expandResources(input: LocatedResource[], expanderFor: ExpanderFor): { resources: LocatedResource[]; issues: SetIssue[] } {
  const issues: SetIssue[] = [];
  const spread = new Map<string, Spread>();
  const refused = new Set<LocatedResource>();
  for (const r of input) {
    const expand = expanderFor(r);
    if (!expand) continue;
    const e = expand(r.spec);
    if ('message' in e) {
      const path = ['spec', ...pointerToPath(e.path)];
      issues.push({ resource: r, path, message: `${path.join('.')}: ${e.message}` });
      refused.add(r);
    } else spread.set(r.id, { resource: r, expansion: e });
  }
  if (!spread.size && !refused.size) return { resources: input, issues };

  const out: LocatedResource[] = [];
  for (const r of input) {
    if (refused.has(r)) continue;
    const s = spread.get(r.id);
    if (!s || s.resource !== r) {
      out.push(r);
      continue;
    }
    for (const member of s.expansion.members) out.push(forMember(s, member, spread, issues));
  }
  return { resources: out, issues };
}

function forMember(s: Spread, member: string, spread: Map<string, Spread>, issues: SetIssue[]): LocatedResource {
  const r = s.resource;
  /** A reference to another spread manifest means that manifest's resource on the same member. */
  const local = (id: string, path: (string | number)[]): string => {
    const other = spread.get(id);
    if (!other) return id;
    if (!other.expansion.members.includes(member)) {
      issues.push({ resource: r, path, message: `${id} does not select ${member}, which ${r.id} selects: it cannot depend on it there` });
    }
    return `${id}@${member}`;
  };
  const dependsOn = r.dependsOn.map((dep, i) => local(dep, ['metadata', 'dependsOn', i]));
  const refs = r.refs.map(({ path, ref }) => {
    const target = local(ref.target, pointerToPath(path));
    return { path, ref: target === ref.target ? ref : new Ref(target, ref.field) };
  });
  const spec = refs.some((x, i) => x.ref !== r.refs[i].ref) ? (withRefs(s.expansion.spec, refs) as Spec) : s.expansion.spec;
  return { ...r, id: `${r.id}@${member}`, name: `${r.name}@${member}`, spec, dependsOn, refs };
}

/** A copy of `spec` with the Ref at each path replaced by its rewritten one. */
function withRefs(spec: Spec, refs: { path: string; ref: Ref }[]): unknown {
  const byPath = new Map(refs.map((x) => [x.path, x.ref]));
  const walk = (v: unknown, at: string): unknown => {
    if (v instanceof Ref) return byPath.get(at) ?? v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}/${i}`));
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      return o;
    }
    return v;
  };
  return walk(spec, '/spec');
}
