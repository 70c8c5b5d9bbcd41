/** Plan-time checks of fs specs: what apply would refuse, found lexically from the spec alone. */
import { join } from 'node:path';
import type { Spec, SpecProblem } from '../../sdk/provider.js';
import { linkStaysInside, normalizeRel } from './paths.js';

/** A stand-in root: the checks resolve `..` against it as text and never touch the disk. */
const LEXICAL_ROOT = '/root';

/** `path` must be relative and stay under the root; its normalised form, or the problem. */
function checkPath(spec: Spec): { rel?: string; problems: SpecProblem[] } {
  if (typeof spec.path !== 'string') return { problems: [] }; // a !ref or !secret: known at apply
  try {
    return { rel: normalizeRel(spec.path), problems: [] };
  } catch (err) {
    return { problems: [{ path: '/path', message: (err as Error).message }] };
  }
}

/** File and Directory: the path alone. */
export function validatePath(spec: Spec): SpecProblem[] {
  return checkPath(spec).problems;
}

/** Symlink: the path, and a target that stays inside the root once resolved from the link's directory. */
export function validateSymlink(spec: Spec): SpecProblem[] {
  const { rel, problems } = checkPath(spec);
  const target = spec.target;
  if (rel !== undefined && typeof target === 'string' && !linkStaysInside(LEXICAL_ROOT, join(LEXICAL_ROOT, rel), target)) {
    problems.push({ path: '/target', message: `symlink target "${target}" leaves the target's root (absolute or too many "..")` });
  }
  return problems;
}
