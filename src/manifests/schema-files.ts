import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PACKAGE_ROOT } from '../sdk/package-root.js';

export { PACKAGE_ROOT };

const cache = new Map<string, Record<string, unknown>>();

/**
 * Load a JSON Schema of driftless's own formats shipped in `schemas/` (e.g. `manifest.schema.json`).
 * Providers' schemas live beside each provider and are imported as JSON modules.
 */
export function loadSchema(relative: string): Record<string, unknown> {
  let s = cache.get(relative);
  if (!s) {
    s = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', relative), 'utf8')) as Record<string, unknown>;
    cache.set(relative, s);
  }
  return s;
}
