import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../src/manifests/schema-registry.js';
import { fsProvider } from '../../src/providers/fs/index.js';
import type { KindInfo, ProviderKinds } from '../../src/sdk/provider.js';

const kind = (schema: Record<string, unknown>): KindInfo => ({ schema, naturalKey: (_spec, name) => name });

const acme = (kinds: Record<string, KindInfo>): ProviderKinds => ({ name: 'acme', group: 'acme.dev', versions: ['v1'], kinds });

/**
 * A registry compiles a built-in kind's schema when the kind is first looked up, once per process;
 * a schema that breaks the JSON Schema meta-schema is still refused when the registry is made.
 */
describe('schema registry: built-in kinds compile on first lookup', () => {
  it('validates a looked-up kind; every registry shares the compiled validator', () => {
    const a = new SchemaRegistry([fsProvider]);
    const b = new SchemaRegistry([fsProvider]);
    const file = a.lookup('fs.driftless.dev/v1', 'File');
    expect(file?.validators).toHaveLength(1);
    const validate = file!.validators[0];
    expect(validate({ path: 'a.txt', content: 'x' })).toBe(true);
    expect(validate({ path: 'a.txt', mode: '999' })).toBe(false);
    expect(b.lookup('fs.driftless.dev/v1', 'File')?.validators).toEqual([validate]);
    expect(a.lookup('fs.driftless.dev/v1', 'File')?.validators).toEqual([validate]); // not added twice
    expect(a.lookup('fs.driftless.dev/v1', 'Nope')).toBeUndefined();
    expect(a.known()).toContain('fs.driftless.dev/v1 Directory');
  });

  it('refuses a provider schema that breaks the meta-schema when the registry is made', () => {
    const bad = acme({ Widget: kind({ $id: 'https://acme.dev/w.json', type: 'object', properties: { n: { type: 'integr' } } }) });
    expect(() => new SchemaRegistry([bad])).toThrow(/schema is invalid: .*type/);
  });

  it('compiles only the kinds looked up: a kind whose pattern RE2 refuses throws at its own lookup, the others work', () => {
    const p = acme({
      Good: kind({ type: 'object', properties: { n: { type: 'integer' } } }),
      Bad: kind({ type: 'object', properties: { s: { type: 'string', pattern: '^(a)\\1$' } } }),
    });
    const r = new SchemaRegistry([p]);
    expect(r.lookup('acme.dev/v1', 'Good')!.validators[0]({ n: 'x' })).toBe(false);
    expect(() => r.lookup('acme.dev/v1', 'Bad')).toThrow(/backreference/);
    expect(() => r.lookup('acme.dev/v1', 'Bad')).toThrow(/backreference/); // every time, never a kind without its schema
  });

  it('keeps the built-in validator first when a repository schema adds policy before the first lookup', () => {
    const r = new SchemaRegistry(
      [fsProvider],
      [
        {
          file: '.driftless/schemas/mode.json',
          schema: { 'x-driftless-kind': { apiVersion: 'fs.driftless.dev/v1', kind: 'File' }, properties: { mode: { const: '0644' } } },
        },
      ],
    );
    expect(r.problems).toEqual([]);
    const [builtin, policy] = r.lookup('fs.driftless.dev/v1', 'File')!.validators;
    expect(builtin({ path: 'a', mode: '0600' })).toBe(true);
    expect(policy({ path: 'a', mode: '0600' })).toBe(false);
    expect(builtin).toBe(new SchemaRegistry([fsProvider]).lookup('fs.driftless.dev/v1', 'File')!.validators[0]);
  });
});
