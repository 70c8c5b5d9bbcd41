import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root: src/x/y.ts and dist/x/y.js both sit two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const cache = new Map<string, Record<string, unknown>>();

/** Load a JSON Schema shipped in `schemas/` (relative path, e.g. `fs/File.schema.json`). */
export function loadSchema(relative: string): Record<string, unknown> {
  let s = cache.get(relative);
  if (!s) {
    s = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', relative), 'utf8')) as Record<string, unknown>;
    cache.set(relative, s);
  }
  return s;
}
