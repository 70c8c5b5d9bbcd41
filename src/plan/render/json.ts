import type { Plan } from '../model.js';

/** The plan model as JSON: stable key order as built, two-space indent, one trailing newline. */
export function renderJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}
