/** Where a regular expression is written inside a JSON Schema: a `pattern` value or a `patternProperties` key. */

export interface PatternLocation {
  /** Path of segments from the schema's root (`['properties', 'content', 'pattern']`). */
  path: string[];
  /** `key` for a `patternProperties` key, `value` for a `pattern` string. */
  target: 'value' | 'key';
}

/** The first place (depth first, in key order) where `pattern` is written in `schema`, if any. Pure. */
export function findPattern(schema: unknown, pattern: string, path: string[] = []): PatternLocation | undefined {
  if (Array.isArray(schema)) {
    for (let i = 0; i < schema.length; i++) {
      const found = findPattern(schema[i], pattern, [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (!schema || typeof schema !== 'object') return undefined;
  const obj = schema as Record<string, unknown>;
  if (obj.pattern === pattern) return { path: [...path, 'pattern'], target: 'value' };
  const props = obj.patternProperties;
  if (props && typeof props === 'object' && !Array.isArray(props) && Object.hasOwn(props, pattern)) {
    return { path: [...path, 'patternProperties', pattern], target: 'key' };
  }
  for (const [k, v] of Object.entries(obj)) {
    const found = findPattern(v, pattern, [...path, k]);
    if (found) return found;
  }
  return undefined;
}
