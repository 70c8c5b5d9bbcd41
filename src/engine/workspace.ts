import type { Observed, Provider, Session } from '../sdk/provider.js';
import { loadProviders } from '../providers/registry.js';
import { GitRepository } from '../git/repository.js';
import { Mirror } from '../git/mirror.js';
import { ManifestLoader, type LoadedStack } from '../manifests/loader.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import { locate } from '../manifests/yaml.js';
import { sortDiagnostics, type Diagnostic } from '../manifests/diagnostics.js';
import { buildDesiredSet, shareEqualSpec, type DesiredSet, type DesiredSetMemo } from '../plan/desired.js';
import { makePlan, type PlannedStack, type PlanMemo } from '../plan/planner.js';
import type { RecordedResource } from '../plan/model.js';
import { secretResolver, type ServerConfig } from '../config/server-config.js';
import { checkTargets } from '../config/targets.js';
import { openState } from '../state/open.js';
import { lockDataDir } from '../state/datadir-lock.js';
import type { StateStore, StackKey } from '../state/store.js';
import { mapLimit } from '../sdk/concurrency.js';

export interface StackPlanResult {
  stack: string;
  diagnostics: Diagnostic[];
  planned?: PlannedStack;
}

export interface StackInputs {
  commit: string;
  repoConfig: RepoConfig;
  registry: SchemaRegistry;
  loaded: LoadedStack;
  desired?: DesiredSet;
  diagnostics: Diagnostic[];
}

/**
 * One repository's engine: its git access, manifest caches, providers, target sessions and state.
 * Long-lived in the service (caches stay warm), short-lived in the CLI.
 */
export class Workspace {
  private sessions = new Map<string, Promise<Session>>();
  /** Recorded resources per stack with the serial they were read at: every state write bumps the serial. */
  private recordedCache = new Map<string, { serial: number; resources: Map<string, RecordedResource> }>();
  /** Field diffs of unchanged resources, by manifest spec and recorded record (see makePlan). */
  readonly planMemo: PlanMemo = new WeakMap();
  /** The last desired set of each stack (see buildDesiredSet). */
  private desiredMemo = new Map<string, DesiredSetMemo>();
  private storePromise?: Promise<StateStore>;
  readonly secret: (name: string) => string | undefined;

  private constructor(
    readonly config: ServerConfig,
    readonly repo: GitRepository,
    readonly providers: Provider[],
    readonly loader: ManifestLoader,
    readonly command: string,
    /** Releases the data-dir lock, when this workspace holds it. */
    private readonly releaseDataDir?: () => void,
  ) {
    this.secret = secretResolver(config);
  }

  /**
   * Open a repository's workspace. The data dir is taken exclusively whenever this process writes
   * there: the embedded state store, and the mirror of a remote (isomorphic-git writes are not safe
   * across processes). A local repository with PostgreSQL state leaves the data dir free.
   */
  static async open(config: ServerConfig, command: string): Promise<Workspace> {
    const providers = await loadProviders(config.providers);
    config = { ...config, targets: checkTargets(config, providers) };
    const release = config.repo.url || !config.state.url ? lockDataDir(config.dataDir, command) : undefined;
    try {
      let repo: GitRepository;
      if (config.repo.url) repo = await Mirror.open(config.repo.url, config.dataDir, config.repo.token?.reveal());
      else if (config.repo.path) repo = GitRepository.openLocal(config.repo.path);
      else throw new Error('no repository: give --repo PATH|URL or set repo.path / repo.url in the config');
      return new Workspace(config, repo, providers, new ManifestLoader(repo, providers), command, release);
    } catch (err) {
      release?.();
      throw err;
    }
  }

  get repoName(): string {
    return this.config.repo.name;
  }

  key(stack: string): StackKey {
    return { repo: this.repoName, stack };
  }

  /** The state store, opened on first use (the embedded one takes the data-dir lock). */
  store(): Promise<StateStore> {
    this.storePromise ??= openState({
      dataDir: this.config.dataDir,
      url: this.config.state.url?.reveal(),
      command: this.command,
      dataDirLocked: !!this.releaseDataDir,
    });
    return this.storePromise;
  }

  /** Fetch (remote mirrors) and resolve a ref; the default is the tracked branch. */
  async resolve(ref?: string, fetch = true): Promise<string> {
    if (fetch && this.repo instanceof Mirror) await this.repo.fetch();
    if (ref) return this.repo.resolve(ref);
    try {
      return await this.repo.resolve(this.config.repo.branch);
    } catch {
      return this.repo.resolve('HEAD');
    }
  }

  /** The repository config and schema registry at a commit, with their diagnostics. */
  async repoAt(commit: string): Promise<{ repoConfig?: RepoConfig; registry: SchemaRegistry; diagnostics: Diagnostic[] }> {
    const rc = await this.loader.repoConfig(commit);
    const reg = await this.loader.registry(commit);
    return { repoConfig: rc.config, registry: reg.registry, diagnostics: [...rc.diagnostics, ...reg.diagnostics] };
  }

  /** Load, validate and link one stack's manifests. Pure of state and providers. */
  async stackInputs(commit: string, repoConfig: RepoConfig, registry: SchemaRegistry, stack: string): Promise<StackInputs> {
    const cfg = repoConfig.stacks[stack];
    const loaded = await this.loader.loadStack(commit, stack, cfg, registry);
    const diagnostics = [...loaded.diagnostics];
    let desired: DesiredSet | undefined;
    if (diagnostics.length === 0) {
      let memo = this.desiredMemo.get(stack);
      if (!memo) this.desiredMemo.set(stack, (memo = {}));
      const r = buildDesiredSet(loaded.resources, registry, memo);
      for (const issue of r.issues) {
        const pos = await this.loader.locate(issue.resource.loc, issue.path, issue.target);
        diagnostics.push({ file: issue.resource.loc.file, line: pos.line, col: pos.col, message: issue.message, resourceId: issue.resource.id });
      }
      desired = r.set;
      if (desired) diagnostics.push(...(await this.targetDiagnostics(commit, stack, repoConfig, registry, desired)));
    }
    return { commit, repoConfig, registry, loaded, desired, diagnostics: sortDiagnostics(diagnostics) };
  }

  /** Every resource needs a provider, the stack a target for it, and the server config that target. */
  private async targetDiagnostics(commit: string, stack: string, repoConfig: RepoConfig, registry: SchemaRegistry, desired: DesiredSet): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    const cfg = repoConfig.stacks[stack];
    const reported = new Set<string>();
    let configText: string | undefined;
    const configPos = async (path: string[]): Promise<{ line: number; col: number }> => {
      configText ??= (await this.repo.readFileAt(commit, REPO_CONFIG_FILE))?.content.toString('utf8') ?? '';
      return locate(configText, 0, path);
    };
    for (const d of desired.resources.values()) {
      const provider = registry.providerFor(d.apiVersion);
      if (!provider) {
        out.push({
          file: d.loc.file,
          line: d.loc.line,
          col: d.loc.col,
          resourceId: d.id,
          message: `no provider serves ${d.apiVersion} (known: ${this.providers.map((p) => p.group).join(', ')})`,
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
      const target = this.config.targets[targetName];
      if ((!target || target.provider !== provider.name) && !reported.has(`t:${targetName}`)) {
        reported.add(`t:${targetName}`);
        const pos = await configPos(['stacks', stack, 'targets', provider.name]);
        const known = Object.entries(this.config.targets)
          .filter(([, t]) => t.provider === provider.name)
          .map(([n]) => n);
        out.push({
          file: REPO_CONFIG_FILE,
          line: pos.line,
          col: pos.col,
          message: target
            ? `target ${targetName} is a ${target.provider} target, not ${provider.name}`
            : `unknown target ${targetName}: the server config defines ${known.length ? known.join(', ') : 'no ' + provider.name + ' targets'}`,
        });
      }
    }
    return out;
  }

  /** The provider session for a stack's target of `apiVersion`'s provider (connected once, reused). */
  async sessionFor(repoConfig: RepoConfig, stack: string, apiVersion: string): Promise<Session | undefined> {
    const group = apiVersion.split('/')[0];
    const provider = this.providers.find((p) => p.group === group);
    if (!provider) return undefined;
    const targetName = repoConfig.stacks[stack]?.targets[provider.name];
    const target = targetName ? this.config.targets[targetName] : undefined;
    if (!target || target.provider !== provider.name) return undefined;
    let s = this.sessions.get(targetName!);
    if (!s) {
      s = provider.connect(target);
      s.catch(() => this.sessions.delete(targetName!));
      this.sessions.set(targetName!, s);
    }
    return s;
  }

  /** Sessions for every apiVersion a stack touches, resolved up front (so the executor can look them up synchronously). */
  async sessionsFor(repoConfig: RepoConfig, stack: string, apiVersions: Iterable<string>): Promise<(apiVersion: string) => Session | undefined> {
    const map = new Map<string, Session | undefined>();
    for (const v of new Set(apiVersions)) map.set(v, await this.sessionFor(repoConfig, stack, v));
    return (v) => map.get(v);
  }

  /** Read the live state of recorded resources, batched per provider. */
  async refresh(repoConfig: RepoConfig, stack: string, recorded: Map<string, RecordedResource>): Promise<Map<string, Observed | null>> {
    const byVersion = new Map<string, RecordedResource[]>();
    for (const r of recorded.values()) {
      const list = byVersion.get(r.apiVersion) ?? [];
      list.push(r);
      byVersion.set(r.apiVersion, list);
    }
    const live = new Map<string, Observed | null>();
    for (const [apiVersion, list] of byVersion) {
      const session = await this.sessionFor(repoConfig, stack, apiVersion);
      if (!session) continue;
      const observed = session.readMany ? await session.readMany(list) : await mapLimit(list, 16, (r) => session.read(r));
      list.forEach((r, i) => live.set(r.id, observed[i]));
    }
    return live;
  }

  /** Plan one stack at a commit. */
  async planStack(inputs: StackInputs, opts: { refresh?: boolean; allowDeleteAll?: boolean } = {}): Promise<StackPlanResult> {
    const stack = inputs.loaded.name;
    if (!inputs.desired || inputs.diagnostics.length) return { stack, diagnostics: inputs.diagnostics };
    const store = await this.store();
    const key = this.key(stack);
    const state = await store.stackState(key);
    const recorded = await this.recorded(key, state.serial, inputs.desired);
    const live = opts.refresh === false ? undefined : await this.refresh(inputs.repoConfig, stack, recorded);
    const planned = makePlan({
      repo: this.repoName,
      stack,
      commit: inputs.commit,
      prune: inputs.repoConfig.stacks[stack].prune,
      allowDeleteAll: opts.allowDeleteAll,
      desired: inputs.desired,
      recorded,
      serial: state.serial,
      appliedCommit: state.appliedCommit,
      live,
      secret: this.secret,
      memo: this.planMemo,
    });
    return { stack, diagnostics: [], planned };
  }

  /** The stack's recorded resources, read again only when the serial moved. Callers must not mutate them. */
  private async recorded(key: StackKey, serial: number, desired?: DesiredSet): Promise<Map<string, RecordedResource>> {
    const k = `${key.repo}\u0000${key.stack}`;
    const hit = this.recordedCache.get(k);
    if (hit && hit.serial === serial) return hit.resources;
    const resources = await (await this.store()).resources(key, desired ? (r) => shareEqualSpec(r, desired) : undefined);
    this.recordedCache.set(k, { serial, resources });
    return resources;
  }

  /** Names of stacks to work on: all, or the one asked for (an unknown name is an error). */
  selectStacks(repoConfig: RepoConfig, only?: string): string[] {
    const all = Object.keys(repoConfig.stacks).sort();
    if (!only) return all;
    if (!repoConfig.stacks[only]) throw new Error(`no stack named ${only} in driftless.yaml (stacks: ${all.join(', ')})`);
    return [only];
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
    if (this.storePromise) {
      const store = await this.storePromise.catch(() => undefined);
      this.storePromise = undefined;
      await store?.close();
    }
    this.releaseDataDir?.();
  }
}
