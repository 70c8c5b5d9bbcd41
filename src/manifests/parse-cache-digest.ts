/**
 * The schema digest of the persistent parse cache: what a cached result depends on besides the
 * file's bytes. The driftless version (its parser and validation), the envelope and every kind's
 * schema of the registry's providers, and the repository's own schemas (the registry's key).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchema, PACKAGE_ROOT } from './schema-files.js';
import type { SchemaRegistry } from './schema-registry.js';

/** Bump when what a cached entry holds changes shape or meaning without a version change. */
const FORMAT = 1;

let version: string | undefined;
const digests = new WeakMap<SchemaRegistry, string>();

export function parseCacheDigest(registry: SchemaRegistry): string {
  let d = digests.get(registry);
  if (d) return d;
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const h = createHash('sha256')
    .update(`${FORMAT}\0${version}\0${registry.key}\0`)
    .update(JSON.stringify(loadSchema('manifest.schema.json')));
  for (const p of registry.providers) {
    h.update(`\0${p.group}\0${p.versions.join(',')}`);
    for (const [kind, info] of Object.entries(p.kinds)) h.update(`\0${kind}\0${JSON.stringify(info.schema)}`);
  }
  d = h.digest('hex').slice(0, 32);
  digests.set(registry, d);
  return d;
}
