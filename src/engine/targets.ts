import { providerFor, readOnlySession, type Observed, type Provider, type ResourceBase, type Session, type TargetConfig } from '../sdk/provider.js';
import { mapLimit } from '../sdk/concurrency.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import type { Diagnostic } from '../manifests/diagnostics.js';
import type { DesiredSet } from '../plan/desired.js';
import type { RecordedResource } from '../plan/model.js';
import { unmaskSpec } from '../plan/sensitive.js';

/** Whether a session may write (apply, remediation, recovery) or only reads (drift checks, plans). */
export interface SessionMode {
  readOnly?: boolean;
}

/**
 * Provider sessions of one workspace's targets: connected on first use, reused, closed together.
 * Read-only sessions (`{ readOnly: true }`) are kept apart from read-write ones: the provider is asked
 * for a read-only connection, and the session is wrapped so that its writes refuse whatever the
 * provider does with the option.
 */
export class TargetSessions {
  private sessions = new Map<string, Promise<Session>>();

  constructor(
    private readonly providers: Provider[],
    private readonly targets: Record<string, TargetConfig>,
  ) {}

  /** The session for a stack's target of `apiVersion`'s provider, or undefined when the stack names none. */
  async sessionFor(repoConfig: RepoConfig, stack: string, apiVersion: string, mode: SessionMode = {}): Promise<Session | undefined> {
    const provider = providerFor(this.providers, apiVersion);
    if (!provider) return undefined;
    const targetName = repoConfig.stacks[stack]?.targets[provider.name];
    const target = targetName ? this.targets[targetName] : undefined;
    if (!targetName || !target || target.provider !== provider.name) return undefined;
    const key = `${mode.readOnly ? 'ro' : 'rw'}:${targetName}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = mode.readOnly ? provider.connect(target, { readOnly: true }).then(readOnlySession) : provider.connect(target);
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Sessions for every apiVersion a stack touches, resolved up front (the executor looks them up synchronously). */
  async sessionsFor(repoConfig: RepoConfig, stack: string, apiVersions: Iterable<string>): Promise<(apiVersion: string) => Session | undefined> {
    const map = new Map<string, Session | undefined>();
    for (const v of new Set(apiVersions)) map.set(v, await this.sessionFor(repoConfig, stack, v));
    return (v) => map.get(v);
  }

  /** Let each session start what these resources need (host connections) while other work goes on; never throws, never waits. */
  prepare(repoConfig: RepoConfig, stack: string, resources: Iterable<ResourceBase>, mode: SessionMode = {}): void {
    for (const [apiVersion, list] of byApiVersion(resources)) {
      this.sessionFor(repoConfig, stack, apiVersion, mode).then(
        (s) => s?.prepare?.(list),
        () => undefined, // the refresh that follows reports it
      );
    }
  }

  /**
   * Read the live state of recorded resources, batched per provider. A field recorded as a masked
   * secret is given to the provider in clear (`secret`), so that it can find the object. `mode`
   * picks the sessions: read-only ones for a drift check or a plan.
   */
  async refresh(
    repoConfig: RepoConfig,
    stack: string,
    recorded: Map<string, RecordedResource>,
    secret: (name: string) => string | undefined = () => undefined,
    mode: SessionMode = {},
  ): Promise<Map<string, Observed | null>> {
    const unmasked = [...recorded.values()].map((rec) => {
      const spec = unmaskSpec(rec.spec, secret);
      return spec === rec.spec ? rec : { ...rec, spec };
    });
    const live = new Map<string, Observed | null>();
    for (const [apiVersion, list] of byApiVersion(unmasked)) {
      const session = await this.sessionFor(repoConfig, stack, apiVersion, mode);
      if (!session) continue;
      const observed = session.readMany ? await session.readMany(list) : await mapLimit(list, 16, (r) => session.read(r));
      // Undefined: not read this time (an unreachable host); planned from its record.
      list.forEach((r, i) => {
        if (observed[i] !== undefined) live.set(r.id, observed[i]);
      });
    }
    return live;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) {
      try {
        await (await s).close();
      } catch {
        /* closing is best effort */
      }
    }
    this.sessions.clear();
  }
}

/**
 * Every resource needs a provider, the stack a target for it, and the server config that target.
 * `configPos` locates a path in driftless.yaml. Problems are reported once per provider or target.
 */
export async function targetDiagnostics(
  o: {
    stack: string;
    repoConfig: RepoConfig;
    registry: SchemaRegistry;
    desired: DesiredSet;
    providers: Provider[];
    targets: Record<string, TargetConfig>;
  },
  configPos: (path: string[]) => Promise<{ line: number; col: number }>,
): Promise<Diagnostic[]> {
  const { stack, repoConfig, registry, desired, providers, targets } = o;
  const out: Diagnostic[] = [];
  const cfg = repoConfig.stacks[stack];
  const reported = new Set<string>();
  for (const d of desired.resources.values()) {
    const provider = registry.providerFor(d.apiVersion);
    if (!provider) {
      out.push({
        file: d.loc.file,
        line: d.loc.line,
        col: d.loc.col,
        resourceId: d.id,
        message: `no provider serves ${d.apiVersion} (known: ${providers.map((p) => p.group).join(', ')})`,
      });
      continue;
    }
    const targetName = cfg.targets[provider.name];
    if (!targetName) {
      if (!reported.has(`p:${provider.name}`)) {
        reported.add(`p:${provider.name}`);
        const pos = await configPos(['stacks', stack, 'targets']);
        out.push({
          file: REPO_CONFIG_FILE,
          line: pos.line,
          col: pos.col,
          message: `stack ${stack} uses provider ${provider.name} (${d.id}) but names no target for it under stacks.${stack}.targets`,
        });
      }
      continue;
    }
    const target = targets[targetName];
    if ((!target || target.provider !== provider.name) && !reported.has(`t:${targetName}`)) {
      reported.add(`t:${targetName}`);
      const pos = await configPos(['stacks', stack, 'targets', provider.name]);
      const known = Object.entries(targets)
        .filter(([, t]) => t.provider === provider.name)
        .map(([n]) => n);
      out.push({
        file: REPO_CONFIG_FILE,
        line: pos.line,
        col: pos.col,
        message: target
          ? `target ${targetName} is a ${target.provider} target, not ${provider.name}`
          : `unknown target ${targetName}: the server config defines ${known.length ? known.join(', ') : `no ${provider.name} targets`}`,
      });
    }
  }
  return out;
}

/** Resources grouped by apiVersion (each group goes to one provider's session), in first-seen order. */
function byApiVersion<T extends { apiVersion: string }>(items: Iterable<T>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of items) {
    const list = out.get(r.apiVersion);
    if (list) list.push(r);
    else out.set(r.apiVersion, [r]);
  }
  return out;
}
