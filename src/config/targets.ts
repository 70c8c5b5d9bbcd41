/** Server-config targets checked against their provider's `targetSchema`, with config-relative paths made absolute. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TARGET_PATH_ANNOTATION, type Provider, type TargetConfig } from '../sdk/provider.js';
import { SecretValue } from '../sdk/secret-value.js';
import { builtinValidator } from '../manifests/schema-registry.js';
import { locate } from '../manifests/yaml.js';
import { formatDiagnostic, sortDiagnostics } from '../manifests/diagnostics.js';
import { ConfigError, type ServerConfig } from './server-config.js';
import { configProblems, type ConfigProblem } from './schema-errors.js';

/** What the check needs of a provider. */
export type TargetProvider = Pick<Provider, 'name' | 'targetSchema'>;

type Schema = Record<string, unknown>;

/** One validator per schema object (compiled once per process, without its `$id`, so two providers' ids never clash). */
function validatorFor(provider: TargetProvider, schema: Schema): ReturnType<typeof builtinValidator> {
  try {
    return builtinValidator(schema);
  } catch (err) {
    throw new Error(`provider ${provider.name}: its targetSchema is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

/** A target's settings as the schema sees them: every key but `name` and `provider`, secrets as the text they read. */
function settingsOf(target: TargetConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) {
    if (k === 'name' || k === 'provider') continue;
    out[k] = v instanceof SecretValue ? v.reveal() : v;
  }
  return out;
}

/**
 * Every target's problems: a provider no module serves (at `provider`, listing the known ones), and
 * settings the provider's `targetSchema` refuses. Providers without a schema accept anything. Pure.
 */
export function targetProblems(targets: Record<string, TargetConfig>, providers: readonly TargetProvider[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, target] of Object.entries(targets)) {
    const provider = providers.find((p) => p.name === target.provider);
    if (!provider) {
      const known = providers.map((p) => p.name).join(', ');
      out.push({
        path: ['targets', name, 'provider'],
        target: 'value',
        message: `targets.${name}.provider: unknown provider "${target.provider}" (known: ${known})`,
      });
      continue;
    }
    if (!provider.targetSchema) continue;
    const validate = validatorFor(provider, provider.targetSchema);
    if (!validate(settingsOf(target))) out.push(...configProblems(validate.errors ?? [], ['targets', name]));
  }
  return out;
}

/** A copy of `value` with every string its schema annotates as a path resolved against `base`. Pure. */
function withPaths(value: unknown, schema: Schema, base: string): unknown {
  if (schema[TARGET_PATH_ANNOTATION] === true) return typeof value === 'string' ? resolve(base, value) : value;
  const props = schema.properties as Record<string, Schema> | undefined;
  if (!props || !value || typeof value !== 'object' || Array.isArray(value) || value instanceof SecretValue) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [k, sub] of Object.entries(props)) {
    if (k in out && sub && typeof sub === 'object') out[k] = withPaths(out[k], sub, base);
  }
  return out;
}

/** The targets with the settings their providers declare as paths made absolute against `base`. Pure. */
export function resolveTargetPaths(targets: Record<string, TargetConfig>, providers: readonly TargetProvider[], base: string): Record<string, TargetConfig> {
  const out: Record<string, TargetConfig> = {};
  for (const [name, target] of Object.entries(targets)) {
    const schema = providers.find((p) => p.name === target.provider)?.targetSchema;
    out[name] = schema ? (withPaths(target, schema, base) as TargetConfig) : target;
  }
  return out;
}

/**
 * Check the config's targets once the providers are known and return them with paths resolved
 * against the config file's directory. Problems throw one ConfigError, each line at the config
 * file's line:col (`driftless.config.yaml:4:27: targets.web.rot: unknown property`).
 */
export function checkTargets(config: ServerConfig, providers: readonly TargetProvider[]): Record<string, TargetConfig> {
  const problems = targetProblems(config.targets, providers);
  if (problems.length) {
    if (!config.file) throw new ConfigError(problems.map((p) => `server config: ${p.message}`).join('\n'));
    const file = config.file;
    let source = '';
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      /* gone since it was loaded: no positions */
    }
    const ds = problems.map((p) => ({ file, ...(source ? locate(source, 0, p.path, p.target) : { line: 1, col: 1 }), message: p.message }));
    throw new ConfigError(sortDiagnostics(ds).map(formatDiagnostic).join('\n'));
  }
  return resolveTargetPaths(config.targets, providers, config.file ? dirname(config.file) : process.cwd());
}
