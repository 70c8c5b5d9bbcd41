import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { TargetConfig } from '../sdk/provider.js';
import { builtinValidator } from '../manifests/schema-registry.js';
import { loadSchema } from '../manifests/schema-files.js';
import { parseManifestFile, locate } from '../manifests/yaml.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../manifests/diagnostics.js';
import { configProblems } from './schema-errors.js';
import { defaultDataDir } from './data-dir.js';
import { SecretValue } from '../sdk/secret-value.js';

export const DEFAULT_CONFIG_FILE = 'driftless.config.yaml';
/** How far ahead a drift acknowledgement may expire unless the server config allows more. */
export const DEFAULT_ACK_MAX_DAYS = 90;

export interface ServerConfig {
  file: string | null;
  repo: { url?: string; path?: string; branch: string; name: string; token?: SecretValue };
  github?: {
    baseUrl: string;
    owner: string;
    repo: string;
    token?: SecretValue;
    app?: { id: string; privateKey: SecretValue; installationId: string };
    webhookSecret?: SecretValue;
  };
  targets: Record<string, TargetConfig>;
  /** `!secret NAME` sources; read when used. */
  secrets: Record<string, SecretSource>;
  providers: string[];
  state: { url?: SecretValue };
  server: { host: string; port: number; bodyLimit: number };
  /** Who may see the dashboard and the API: nobody needs to log in (`none`), or GitHub OAuth with read permission. */
  dashboard?: DashboardConfig;
  poll: string;
  dataDir: string;
  /** How the data-dir lock judges a holder on another hostname: singleHost from the file, breakLock from --break-lock. */
  dataDirLock?: { singleHost?: boolean; breakLock?: boolean };
  /** Provider calls at once during apply; unset: each provider's own default (see Provider.parallelism). */
  parallelism?: number;
  /** Drift acknowledgements: how many days ahead an ack's `expires` may be (default 90). */
  acks?: { maxDays: number };
  /** Policies: who owns them (may override; approves changes to them), and the time budget of one policy over one plan. */
  policy?: { owners: string[]; budgetMs: number };
  /** Per stack pattern: approvals (at the reviewed head) and mergeability a pull request needs before an apply. */
  requirements?: Requirement[];
  /** The environment `!secret` sources are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface DashboardConfig {
  auth: 'none' | 'github';
  /** Where users reach the dashboard (no trailing slash); absent: the address the browser used. */
  url?: string;
  oauth?: { clientId: string; clientSecret: SecretValue; webUrl: string };
  sessionSecret?: SecretValue;
  sessionHours: number;
  permissionCacheSeconds: number;
  metricsToken?: SecretValue;
}

/** Session cookies are signed with HMAC-SHA256: a shorter key is refused. */
export const MIN_SESSION_SECRET = 32;

/** No login, /metrics open. */
export const OPEN_DASHBOARD: DashboardConfig = { auth: 'none', sessionHours: 8, permissionCacheSeconds: 60 };

export interface Requirement {
  stacks: string[];
  approvals?: { count: number; from?: string[] };
  mergeable?: boolean;
}

export type SecretSource = string | { fromEnv: string } | { fromFile: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigOverrides {
  repo?: string;
  dataDir?: string;
  /** --break-lock */
  breakLock?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Read the server config (default ./driftless.config.yaml; a missing default file means "all
 * defaults"), validate it, resolve relative paths against the file's directory and read every
 * { fromEnv } / { fromFile } value into a SecretValue. Target settings are checked against their
 * provider's schema (and their paths resolved) once the providers are loaded: `checkTargets`.
 */
export function loadServerConfig(file: string | undefined, o: ConfigOverrides = {}): ServerConfig {
  const env = o.env ?? process.env;
  const path = resolve(file ?? DEFAULT_CONFIG_FILE);
  let raw: Record<string, unknown> = {};
  let base = process.cwd();
  let source = '';
  const exists = existsSync(path);
  if (!exists && file) throw new ConfigError(`config file ${file} does not exist`);
  if (exists) {
    base = dirname(path);
    source = readFileSync(path, 'utf8');
    const parsed = parseManifestFile(path, source);
    if (parsed.diagnostics.length) throw new ConfigError(parsed.diagnostics.map(formatDiagnostic).join('\n'));
    if (parsed.docs.length !== 1 || typeof parsed.docs[0].value !== 'object' || parsed.docs[0].value === null) {
      throw new ConfigError(`${path}:1:1: the config must be one YAML mapping`);
    }
    raw = parsed.docs[0].value as Record<string, unknown>;
  }
  const validator = builtinValidator(loadSchema('server-config.schema.json'));
  if (!validator(raw)) {
    const ds: Diagnostic[] = configProblems(validator.errors ?? []).map((p) => {
      const pos = source ? locate(source, 0, p.path, p.target) : { line: 1, col: 1 };
      return { file: path, line: pos.line, col: pos.col, message: p.message };
    });
    throw new ConfigError(sortDiagnostics(ds).map(formatDiagnostic).join('\n'));
  }
  const secret = (v: unknown, where: string): SecretValue | undefined => readSecret(v as SecretSource | undefined, where, env, base);
  const repoRaw = (raw.repo ?? {}) as Record<string, unknown>;
  const repo: ServerConfig['repo'] = { branch: (repoRaw.branch as string) ?? 'main', name: '' };
  const repoArg = o.repo ?? (repoRaw.url as string | undefined) ?? (repoRaw.path ? resolve(base, repoRaw.path as string) : undefined);
  if (repoArg) {
    if (/^https?:\/\//.test(repoArg)) repo.url = repoArg;
    else repo.path = resolve(repoArg);
  }
  repo.name = (!o.repo && (repoRaw.name as string)) || deriveRepoName(repo.url ?? repo.path ?? 'repo');
  repo.token =
    secret(repoRaw.token, 'repo.token') ?? (env.DRIFTLESS_GIT_TOKEN ? new SecretValue(env.DRIFTLESS_GIT_TOKEN, 'env DRIFTLESS_GIT_TOKEN') : undefined);

  let github: ServerConfig['github'];
  if (raw.github) {
    const g = raw.github as Record<string, unknown>;
    const app = g.app as Record<string, unknown> | undefined;
    github = {
      baseUrl: ((g.baseUrl as string) ?? 'https://api.github.com').replace(/\/+$/, ''),
      owner: g.owner as string,
      repo: g.repo as string,
      token: secret(g.token, 'github.token'),
      app: app ? { id: String(app.id), privateKey: secret(app.privateKey, 'github.app.privateKey')!, installationId: String(app.installationId) } : undefined,
      webhookSecret: secret(g.webhookSecret, 'github.webhookSecret'),
    };
  }
  const targets: Record<string, TargetConfig> = {};
  for (const [name, t] of Object.entries((raw.targets ?? {}) as Record<string, Record<string, unknown>>)) {
    const resolved: TargetConfig = { name, provider: String(t.provider) };
    for (const [k, v] of Object.entries(t)) {
      if (k === 'provider') continue;
      // Paths among the settings are resolved once the providers are known (see targets.ts).
      if (v && typeof v === 'object' && ('fromEnv' in v || 'fromFile' in v)) resolved[k] = secret(v, `targets.${name}.${k}`);
      else resolved[k] = v;
    }
    targets[name] = resolved;
  }
  const server = (raw.server ?? {}) as Record<string, unknown>;
  const dashboard = dashboardConfig((raw.dashboard ?? {}) as Record<string, unknown>, github, secret, (p) => {
    const pos = source ? locate(source, 0, p, 'value') : { line: 1, col: 1 };
    return `${path}:${pos.line}:${pos.col}: ${p.join('.')}`;
  });
  const state = (raw.state ?? {}) as Record<string, unknown>;
  return {
    file: exists ? path : null,
    repo,
    github,
    targets,
    secrets: (raw.secrets ?? {}) as Record<string, SecretSource>,
    providers: (raw.providers ?? []) as string[],
    state: { url: secret(state.url, 'state.url') },
    server: {
      host: (server.host as string) ?? '127.0.0.1',
      port: (server.port as number) ?? 8080,
      bodyLimit: (server.bodyLimit as number) ?? 25 * 1024 * 1024,
    },
    dashboard,
    poll: (raw.poll as string) ?? '* * * * *',
    dataDir: resolve(o.dataDir ?? (raw.dataDir ? resolve(base, raw.dataDir as string) : defaultDataDir(base, repo.path))),
    dataDirLock: { singleHost: !!(raw.dataDirLock as { singleHost?: boolean } | undefined)?.singleHost, breakLock: !!o.breakLock },
    parallelism: raw.parallelism as number | undefined,
    acks: { maxDays: (raw.acks as { maxDays?: number } | undefined)?.maxDays ?? DEFAULT_ACK_MAX_DAYS },
    requirements: (raw.requirements as Requirement[] | undefined) ?? [],
    policy: {
      owners: (raw.policy as { owners?: string[] } | undefined)?.owners ?? [],
      budgetMs: (raw.policy as { budgetMs?: number } | undefined)?.budgetMs ?? 1_000,
    },
    env,
  };
}

/** The `dashboard` section, with what the schema cannot say: GitHub login needs the github section and a long enough key. */
function dashboardConfig(
  d: Record<string, unknown>,
  github: ServerConfig['github'],
  secret: (v: unknown, where: string) => SecretValue | undefined,
  at: (path: string[]) => string,
): DashboardConfig {
  const oauth = d.oauth as { clientId: string; clientSecret: unknown; webUrl?: string } | undefined;
  const out: DashboardConfig = {
    auth: (d.auth as DashboardConfig['auth']) ?? 'none',
    url: (d.url as string | undefined)?.replace(/\/+$/, ''),
    sessionSecret: secret(d.sessionSecret, 'dashboard.sessionSecret'),
    sessionHours: (d.sessionHours as number) ?? 8,
    permissionCacheSeconds: (d.permissionCacheSeconds as number) ?? 60,
    metricsToken: secret(d.metricsToken, 'dashboard.metricsToken'),
  };
  if (out.auth !== 'github') return out;
  if (!github) throw new ConfigError(`${at(['dashboard', 'auth'])}: GitHub login needs the github section (its token or app checks each user's permission)`);
  if (out.sessionSecret!.reveal().length < MIN_SESSION_SECRET)
    throw new ConfigError(`${at(['dashboard', 'sessionSecret'])}: the session secret must be at least ${MIN_SESSION_SECRET} characters`);
  out.oauth = {
    clientId: oauth!.clientId,
    clientSecret: secret(oauth!.clientSecret, 'dashboard.oauth.clientSecret')!,
    webUrl: (oauth!.webUrl ?? githubWebUrl(github.baseUrl)).replace(/\/+$/, ''),
  };
  return out;
}

/** GitHub's web address from its API address: api.github.com -> github.com; Enterprise https://HOST/api/v3 -> https://HOST. */
export function githubWebUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.hostname === 'api.github.com' ? 'https://github.com' : `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

export function deriveRepoName(urlOrPath: string): string {
  const trimmed = urlOrPath.replace(/\/+$/, '').replace(/\.git$/, '');
  return basename(trimmed) || 'repo';
}

/** Read one { fromEnv } / { fromFile } / literal value. Missing sources are an error naming the field. */
export function readSecret(v: SecretSource | undefined, where: string, env: NodeJS.ProcessEnv = process.env, base = process.cwd()): SecretValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return new SecretValue(v, `literal at ${where}`);
  if ('fromEnv' in v) {
    const value = env[v.fromEnv];
    if (value === undefined) throw new ConfigError(`${where}: environment variable ${v.fromEnv} is not set`);
    return new SecretValue(value, `env ${v.fromEnv}`);
  }
  const p = resolve(base, v.fromFile);
  try {
    return new SecretValue(readFileSync(p, 'utf8').replace(/\r?\n$/, ''), `file ${v.fromFile}`);
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${v.fromFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Resolve a `!secret NAME` on the server side: only names listed under `secrets` are allowed. */
export function secretResolver(config: ServerConfig, env: NodeJS.ProcessEnv = config.env ?? process.env): (name: string) => string | undefined {
  const base = config.file ? dirname(config.file) : process.cwd();
  return (name) => {
    const src = config.secrets[name];
    if (src === undefined) return undefined;
    try {
      return readSecret(src, `secrets.${name}`, env, base)?.reveal();
    } catch {
      return undefined;
    }
  };
}
