/** Ajv errors on a config value as problems at their paths: unknown properties at the key, missing ones at their parent. */
import type { ErrorObject } from 'ajv';
import { pointerToPath } from '../manifests/validate.js';

/** A problem at a path of the server config (`['targets', 'web', 'rot']`); the message starts with the dotted path. */
export interface ConfigProblem {
  path: string[];
  /** Where to point: the key (unknown property) or the value. */
  target: 'value' | 'key';
  message: string;
}

/** What a value that does not match a named pattern of the server config's schema should be. */
const PATTERNS: Record<string, string> = {
  '#/definitions/principal/pattern': 'must be a GitHub user (@login) or team (@org/team-slug)',
};

/** Problems from ajv errors of the value found at `prefix`. Pure. */
export function configProblems(errors: readonly ErrorObject[], prefix: string[] = []): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // oneOf/anyOf give a summary error besides one per branch; the branches say more.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const path = [...prefix, ...pointerToPath(e.instancePath)];
    let target: 'value' | 'key' = 'value';
    let field = path;
    let msg = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      path.push(String((e.params as { additionalProperty: string }).additionalProperty));
      target = 'key';
      msg = 'unknown property';
    } else if (e.keyword === 'required') {
      field = [...path, String((e.params as { missingProperty: string }).missingProperty)];
      msg = 'is required';
    } else if (e.keyword === 'pattern' && PATTERNS[e.schemaPath]) {
      msg = PATTERNS[e.schemaPath];
    } else if (e.keyword === 'enum') {
      msg = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    }
    const message = `${field.join('.') || '(root)'}: ${msg}`;
    if (seen.has(message)) continue;
    seen.add(message);
    out.push({ path, target, message });
  }
  return out;
}
