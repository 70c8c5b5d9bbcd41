import { parseManifestFile, locate } from './yaml.js';
import { builtinValidator } from './schema-registry.js';
import { loadSchema } from './schema-files.js';
import type { Diagnostic } from './diagnostics.js';
import { pointerToPath } from './validate.js';
import { stackDependencyIssues } from './stack-deps.js';
import type { RolloutConfig } from '../plan/rollout.js';

export const REPO_CONFIG_FILE = 'driftless.yaml';
export const CUSTOM_SCHEMA_DIR = '.driftless/schemas';

export interface StackConfig {
  path: string;
  targets: Record<string, string>;
  apply: 'auto' | 'manual';
  prune: boolean;
  /** Stacks applied before this one; their outputs may be taken with `!ref stack:Kind/name.outputs.field`. */
  dependsOn?: string[];
  drift?: { schedule?: string; remediate: boolean };
  /** Hosts changed wave by wave, under a failure budget (see plan/rollout.ts). */
  rollout?: RolloutConfig;
}

export interface RepoConfig {
  version: 1;
  stacks: Record<string, StackConfig>;
}

/** Parse and validate `driftless.yaml`. Pure: takes the file's text, returns config or diagnostics. */
export function parseRepoConfig(source: string, file = REPO_CONFIG_FILE): { config?: RepoConfig; diagnostics: Diagnostic[] } {
  const parsed = parseManifestFile(file, source);
  if (parsed.diagnostics.length) return { diagnostics: parsed.diagnostics };
  if (parsed.docs.length !== 1) {
    return { diagnostics: [{ file, line: 1, col: 1, message: 'driftless.yaml must hold exactly one document' }] };
  }
  const validator = builtinValidator(loadSchema('repo-config.schema.json'));
  const value = parsed.docs[0].value;
  if (!validator(value)) {
    const diagnostics = (validator.errors ?? []).map((e): Diagnostic => {
      const path = pointerToPath(e.instancePath);
      let target: 'key' | 'value' = 'value';
      let message = `${path.join('.') || '(root)'}: ${e.message}`;
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        path.push(extra);
        target = 'key';
        message = `${path.join('.')}: unknown property`;
      } else if (e.keyword === 'enum') {
        message = `${path.join('.')}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
      } else if (e.keyword === 'propertyNames') {
        message = `${path.join('.')}: invalid name "${(e.params as { propertyName: string }).propertyName}"`;
      }
      const pos = locate(source, parsed.docs[0].index, path, target);
      return { file, line: pos.line, col: pos.col, message, field: e.instancePath || '/' };
    });
    return { diagnostics };
  }
  const config = value as RepoConfig;
  const diagnostics: Diagnostic[] = [];
  for (const [name, s] of Object.entries(config.stacks)) {
    s.path = s.path.replace(/^\.\//, '').replace(/\/+$/, '');
    if (s.path.split('/').includes('..') || s.path.startsWith('/')) {
      const pos = locate(source, 0, ['stacks', name, 'path']);
      diagnostics.push({ file, line: pos.line, col: pos.col, message: `stacks.${name}.path: must stay inside the repository` });
    }
  }
  for (const issue of stackDependencyIssues(config)) {
    const pos = locate(source, 0, issue.path);
    diagnostics.push({ file, line: pos.line, col: pos.col, message: issue.message });
  }
  return diagnostics.length ? { diagnostics } : { config, diagnostics };
}
