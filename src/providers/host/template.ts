/** File templates: mustache (logic-less) over the host (name, groups, vars) and the manifest's `vars`. Pure. */
import { createRequire } from 'node:module';
import type { Json } from '../../sdk/provider.js';

/** mustache, loaded on first use (its CommonJS build, synchronously): only repositories with templates pay for it. */
let lib: typeof import('mustache').default | undefined;
const mustache = (): typeof import('mustache').default => (lib ??= createRequire(import.meta.url)('mustache') as typeof import('mustache').default);

export interface TemplateHost {
  name: string;
  groups: string[];
  vars: Record<string, Json>;
}

/** Render without HTML escaping: these are config files, not web pages. */
export function renderTemplate(template: string, host: TemplateHost, vars: Json | undefined): string {
  return mustache().render(template, { host, vars: vars ?? {} }, undefined, { escape: (s: string) => s });
}

/** Why a template does not parse (an unclosed section or tag), or undefined. */
export function templateProblem(template: string): string | undefined {
  try {
    mustache().parse(template);
    return undefined;
  } catch (err) {
    return `the template does not parse: ${(err as Error).message.split('\n')[0]}`;
  }
}
