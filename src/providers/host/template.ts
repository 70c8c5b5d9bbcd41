/** File templates: mustache (logic-less) over the host (name, groups, vars) and the manifest's `vars`. Pure. */
import Mustache from 'mustache';
import type { Json } from '../../sdk/provider.js';

export interface TemplateHost {
  name: string;
  groups: string[];
  vars: Record<string, Json>;
}

/** Render without HTML escaping: these are config files, not web pages. */
export function renderTemplate(template: string, host: TemplateHost, vars: Json | undefined): string {
  return Mustache.render(template, { host, vars: vars ?? {} }, undefined, { escape: (s: string) => s });
}

/** Why a template does not parse (an unclosed section or tag), or undefined. */
export function templateProblem(template: string): string | undefined {
  try {
    Mustache.parse(template);
    return undefined;
  } catch (err) {
    return `the template does not parse: ${(err as Error).message.split('\n')[0]}`;
  }
}
