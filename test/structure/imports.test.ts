import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of the README's "Structure" section, checked over every module of src/: a new
 * import that crosses a forbidden line fails here, naming the file and the import.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

interface Edge {
  file: string; // src-relative, e.g. providers/fs/index.ts
  from: string; // top folder of the importer (or the file, for src/*.ts)
  to: string; // top folder of the imported module, or the package name
  spec: string;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function top(srcRelative: string): string {
  const parts = srcRelative.split('/');
  return parts.length === 1 ? parts[0] : parts[0];
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const abs of files(SRC)) {
    const file = relative(SRC, abs).split('\\').join('/');
    const text = readFileSync(abs, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      let to: string;
      if (spec.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (target.startsWith('..')) to = `(outside src: ${target})`;
        else to = top(target);
      } else to = spec.startsWith('node:') ? 'node' : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      out.push({ file, from: top(file), to, spec });
    }
  }
  return out;
}

const all = edges();
const crossing = (from: string, forbidden: RegExp) =>
  all.filter((e) => e.from === from && e.to !== from && forbidden.test(e.to)).map((e) => `${e.file} imports ${e.spec}`);

describe('import rules (README: Structure)', () => {
  it('finds the modules and their imports', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all.some((e) => e.file === 'service.ts' && e.to === 'server')).toBe(true);
  });

  it('src/ never imports bench/, testkit/ or test/', () => {
    expect(all.filter((e) => e.to.startsWith('(outside src')).map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('the SDK imports nothing of driftless but itself', () => {
    expect(all.filter((e) => e.from === 'sdk' && e.spec.startsWith('.') && e.to !== 'sdk').map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('providers import only the SDK (and their own folder)', () => {
    const bad = all.filter((e) => e.from === 'providers' && e.spec.startsWith('.') && e.to !== 'sdk' && e.to !== 'providers');
    expect(bad.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
    // and one provider never reaches into another
    const across = all.filter((e) => {
      if (e.from !== 'providers' || !e.spec.startsWith('.') || e.file === 'providers/registry.ts') return false;
      const own = e.file.split('/')[1];
      const target = posix.normalize(posix.join(posix.dirname(e.file), e.spec));
      return target.startsWith('providers/') && target.split('/').length > 2 && target.split('/')[1] !== own;
    });
    expect(across.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('manifests never import providers or state', () => {
    expect(crossing('manifests', /^(providers|state)$/)).toEqual([]);
  });

  it('plan and policy never import server or forge', () => {
    expect(crossing('plan', /^(server|forge|reconcile|engine|state)$/)).toEqual([]);
    expect(crossing('policy', /^(server|forge|reconcile)$/)).toEqual([]);
    // policy: pure evaluation over plans; it may import sdk/, manifests/ and plan/ only
    const policy = all.filter((e) => e.from === 'policy' && e.spec.startsWith('.') && !['policy', 'sdk', 'manifests', 'plan'].includes(e.to));
    expect(policy.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('git never imports manifests; dag imports nothing but the SDK', () => {
    expect(crossing('git', /^(manifests|plan|engine|reconcile|server|forge)$/)).toEqual([]);
    expect(all.filter((e) => e.from === 'dag' && e.spec.startsWith('.') && !['dag', 'sdk'].includes(e.to)).map((e) => e.file)).toEqual([]);
  });

  it('forge never imports apply, engine, state or reconcile', () => {
    expect(crossing('forge', /^(apply|engine|state|reconcile|server)$/)).toEqual([]);
  });

  it('only the composition root and the CLI assemble the whole (server/, service.ts)', () => {
    const intoServer = all.filter((e) => e.to === 'server' && e.from !== 'server' && e.from !== 'service.ts');
    expect(intoServer.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
    const intoService = all.filter((e) => e.to === 'service.ts' && e.from !== 'cli');
    expect(intoService.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('the service and the CLI reach git and SQL only through the engine and the durable store', () => {
    const low = /^(isomorphic-git|pg|@electric-sql\/pglite)$/;
    const bad = all.filter((e) => ['cli', 'server', 'service.ts'].includes(e.from) && low.test(e.to));
    const jobs = all.filter((e) => e.file.startsWith('reconcile/') && !e.file.startsWith('reconcile/durable/') && low.test(e.to));
    expect([...bad, ...jobs].map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
    const sql = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/;
    const withSql = readdirSync(join(SRC, 'reconcile', 'jobs'))
      .map((n) => join('reconcile', 'jobs', n))
      .concat(['service.ts', 'server/api.ts', 'server/app.ts', 'server/webhook.ts'])
      .filter((f) => sql.test(readFileSync(join(SRC, f), 'utf8')));
    expect(withSql).toEqual([]);
  });
});
