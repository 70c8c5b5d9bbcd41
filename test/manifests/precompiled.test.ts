import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPrecompiled, schemaDigest, validatorFromSource } from '../../src/manifests/precompiled.js';
import { newAjv } from '../../src/manifests/schema-registry.js';
import { builtinSchemas, standaloneSource, withoutId, writePrecompiled } from '../../src/manifests/standalone.js';
import { loadProviders } from '../../src/providers/registry.js';

type Schema = Record<string, unknown>;

/** Both validators' verdict, errors and the data after (useDefaults fills it in) on a copy of one input. */
function outcome(v: (d: unknown) => boolean, input: unknown) {
  const data = structuredClone(input);
  const valid = v(data);
  return { valid, errors: (v as unknown as { errors?: unknown }).errors ?? null, data };
}

const ajv = newAjv();

function expectSame(schema: Schema, inputs: unknown[]): void {
  const compiled = ajv.compile(schema);
  const pre = validatorFromSource(standaloneSource(schema));
  for (const input of inputs) expect(outcome(pre, input), JSON.stringify(input)).toEqual(outcome(compiled, input));
}

const json = fc.jsonValue({ maxDepth: 3 });

describe('precompiled validators of the built-in schemas', () => {
  it('give what the compiler gives, on every built-in schema: verdict, errors and defaults', async () => {
    const schemas = builtinSchemas(await loadProviders());
    expect(schemas.length).toBeGreaterThan(20);
    // Inputs with the shapes these schemas look at: the documents and configs of the fixtures, their specs, and random JSON.
    const samples: unknown[] = [{}, null, 'x', 1, [], { spec: {} }, { targets: { a: { provider: 'fs' } } }];
    for (const dir of ['fixtures/demo', 'fixtures/webservers', 'fixtures/webapp']) {
      for (const f of readdirSync(dir, { recursive: true }) as string[]) {
        if (!/\.ya?ml$/.test(f)) continue;
        try {
          const doc = parse(readFileSync(join(dir, f), 'utf8'), { logLevel: 'error' }) as Record<string, unknown> | null;
          if (doc && typeof doc === 'object') samples.push(doc, doc.spec ?? null);
        } catch {
          /* multi-document files: the first document is enough */
        }
      }
    }
    const random = fc.sample(json, { numRuns: 30, seed: 42 });
    for (const schema of schemas) expectSame(withoutId(schema), [...samples, ...random]);
  });

  it("keep driftless's pattern engine and bounded formats: RE2 with ECMAScript meaning, url within its limit", () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', pattern: '^\\s*[a-z]+(-[a-z0-9]+)*$' },
        link: { type: 'string', format: 'url' },
        mode: { type: 'string', default: '0644' },
      },
      patternProperties: { '^x-[\\w.]+$': { type: 'number' } },
      additionalProperties: false,
    };
    expectSame(schema, [
      { name: 'web-1', link: 'https://example.invalid/a' },
      { name: ' web', link: `https://example.invalid/${'a'.repeat(3000)}` },
      { name: 'Web!', 'x-a.b': 1, 'x-c': 'two', other: true },
      { name: `${'a'.repeat(30_000)}!` },
    ]);
  });

  it('are found by digest, and a changed schema is compiled instead of using a stale file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-precompiled-'));
    try {
      const schema = { type: 'object', required: ['a'] };
      writePrecompiled([schema], dir);
      expect(readdirSync(dir)).toEqual([`${schemaDigest(schema)}.cjs`]);
      const v = loadPrecompiled(schema, dir);
      expect(v?.({ a: 1 })).toBe(true);
      expect(v?.({})).toBe(false);
      expect(loadPrecompiled({ type: 'object', required: ['b'] }, dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("may require only ajv's runtime helpers and driftless's formats and pattern engine", () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-precompiled-'));
    try {
      const schema = { type: 'string' };
      writeFileSync(join(dir, `${schemaDigest(schema)}.cjs`), 'module.exports = require("child_process").execSync;');
      expect(() => loadPrecompiled(schema, dir)).toThrow(/requires child_process, which it may not/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
