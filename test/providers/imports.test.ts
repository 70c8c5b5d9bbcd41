import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative module a file imports (static and dynamic), as a path under src/. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

describe('providers import only the SDK', () => {
  it('every relative import under src/providers/ stays in its own provider folder or goes to src/sdk/', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(join(SRC, 'providers'))) {
      const own = relative(SRC, dirname(file)).split('/').slice(0, 2).join('/'); // providers/fs, or providers for the registry
      for (const target of relativeImports(file)) {
        if (target.startsWith('sdk/')) continue;
        if (target.startsWith(own + '/')) continue;
        offenders.push(`${relative(SRC, file)} imports ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check sees imports that leave the folder', () => {
    const registry = relativeImports(join(SRC, 'providers/registry.ts'));
    expect(registry).toContain('sdk/provider.js');
    expect(registry).toContain('providers/fs/index.js');
  });
});
