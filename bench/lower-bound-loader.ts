/**
 * The least a loader must do with one manifest file's text, with the same libraries and nothing of
 * driftless: parse every document with `yaml` (`parseAllDocuments`, core schema, the !ref/!secret
 * tags as plain strings) and validate it with one ajv holding the envelope and the fs kinds'
 * schemas. Shared by the whole-process lower bound (bench/lower-bound.ts) and the in-process one
 * of the incremental re-plan.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../src/sdk/package-root.js';

export interface Loaded {
  docs: number;
  invalid: number;
}

/** Compile the schemas once; the function loads one file's text. */
export function lowerBoundLoader(): (text: string) => Loaded {
  const schema = (rel: string) => {
    const s = JSON.parse(readFileSync(join(PACKAGE_ROOT, rel), 'utf8')) as Record<string, unknown>;
    delete s.$schema;
    return s;
  };
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const envelope = ajv.compile(schema('schemas/manifest.schema.json'));
  const kinds: Record<string, ReturnType<Ajv['compile']>> = {};
  for (const k of ['File', 'Directory', 'Symlink']) kinds[k] = ajv.compile(schema(`src/providers/fs/schemas/${k}.schema.json`));
  const tags = ['!ref', '!secret'].map((tag) => ({ tag, resolve: (s: string) => s }));
  return (text) => {
    const out = { docs: 0, invalid: 0 };
    for (const doc of parseAllDocuments(text, { customTags: tags })) {
      if (doc.errors.length) {
        out.invalid++;
        continue;
      }
      const v = doc.toJS() as { kind?: string; spec?: unknown } | null;
      if (v === null) continue;
      out.docs++;
      const ok = envelope(v) && (kinds[v.kind ?? '']?.(v.spec) ?? false);
      if (!ok) out.invalid++;
    }
    return out;
  };
}
