import type { Provider } from '../sdk/provider.js';
import { fsProvider } from './fs/index.js';

/** The built-in providers plus any third-party modules named in the server config. */
export async function loadProviders(modules: string[] = []): Promise<Provider[]> {
  const { postgresProvider } = await import('./postgres/index.js');
  const { hostProvider } = await import('./host/index.js');
  const out: Provider[] = [fsProvider, postgresProvider, hostProvider];
  for (const m of modules) {
    let mod: { default?: Provider } & Record<string, unknown>;
    try {
      mod = (await import(m)) as typeof mod;
    } catch (err) {
      throw new Error(`cannot load provider module ${m}: ${(err as Error).message}`);
    }
    const p = (mod.default ?? mod.provider) as Provider | undefined;
    if (!p || typeof p.connect !== 'function' || !p.group || !p.kinds)
      throw new Error(`module ${m} does not export a provider (default export with name, group, versions, kinds, connect)`);
    if (out.some((x) => x.group === p.group || x.name === p.name)) throw new Error(`provider ${p.name} (${p.group}) from ${m} clashes with one already loaded`);
    out.push(p);
  }
  return out;
}
