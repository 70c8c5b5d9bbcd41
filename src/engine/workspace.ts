import { join } from 'node:path';
import { memberOf, providerFor, type Observed, type Provider } from '../sdk/provider.js';
import { TargetSessions, targetDiagnostics, type SessionMode } from './targets.js';
import { loadProviders } from '../providers/registry.js';
import { GitRepository } from '../git/repository.js';
import { Mirror } from '../git/mirror.js';
import { ManifestLoader } from '../manifests/loader.js';
import { ParseCache } from '../manifests/parse-cache.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import { locate } from '../manifests/yaml.js';
import { sortDiagnostics, type Diagnostic } from '../manifests/diagnostics.js';
import { buildDesiredSet, type DesiredSet, type DesiredSetMemo } from '../plan/desired.js';
import { RecordedState } from './recorded-state.js';
import { PlanReuse } from './plan-reuse.js';
import { expandResources, type ExpanderFor } from '../plan/expand.js';
import { makePlan, newPlanMemo, type PlannedStack, type PlanMemo, type PlanRequest } from '../plan/planner.js';
import type { Plan, RecordedResource } from '../plan/model.js';
import { secretResolver, type ServerConfig } from '../config/server-config.js';
import { checkTargets } from '../config/targets.js';
import { upstreamValue } from '../plan/workflow.js';
import type { Migration } from '../state/migrations/index.js';
import { lockDataDir } from '../state/datadir-lock.js';
import type { StateStore, StackKey } from '../state/store.js';
import { storeFingerprint } from '../state/snapshot.js';

/** Tree entries a one-shot process keeps: enough for the paths down to each stack. */
const ONE_SHOT_TREE_ENTRIES = 4096;

export interface StackPlanResult {
  stack: string;
  diagnostics: Diagnostic[];
  planned?: PlannedStack;
  /** A stack whose inputs are unchanged since its last plan changed nothing: that plan (see plan-reuse.ts). */
  reused?: Plan;
  /** The reused plan was patched by the files changed since it was made (see plan-patch.ts). */
  patched?: boolean;
}

export interface StackInputs {
  commit: string;
  repoConfig: RepoConfig;
  registry: SchemaRegistry;
  /** The stack's name. (Not its loaded resources: the desired set holds what a plan needs of them.) */
  stack: string;
  desired?: DesiredSet;
  diagnostics: Diagnostic[];
}

/**
 * One repository's engine: its git access, manifest caches, providers, target sessions and state.
 * Long-lived in the service (caches stay warm), short-lived in the CLI.
 */
export class Workspace {
  /** What plans read of state (a CLI plan on embedded state: the data dir's snapshot, while current). */
  private readonly state: RecordedState;
  /**
   * Field diffs of unchanged resources, by manifest spec and recorded record (see makePlan), and the
   * last desired set of each stack (see buildDesiredSet): for the next commit's plan, so none in a
   * one-shot process (at 100,000 resources they held 10 MB, and every located resource).
   */
  private readonly planMemo?: PlanMemo;
  private readonly desiredMemo?: Map<string, DesiredSetMemo>;
  private storePromise?: Promise<StateStore>;
  /** Migrations beyond the core ones, run when the store opens (the service's durable tables). */
  private migrations: Migration[] = [];
  readonly secret: (name: string) => string | undefined;
  /** Provider sessions of the targets, shared by the verbs. */
  readonly sessions: TargetSessions;
  /** Plans of unchanged stacks kept across CLI plans on embedded state (see plan-reuse.ts). */
  readonly reuse?: PlanReuse;

  private constructor(
    readonly config: ServerConfig,
    readonly repo: GitRepository,
    readonly providers: Provider[],
    readonly loader: ManifestLoader,
    readonly command: string,
    /** Releases the data-dir lock, when this workspace holds it. */
    private readonly releaseDataDir: (() => void) | undefined,
    oneShot: boolean,
  ) {
    if (!oneShot) {
      this.planMemo = newPlanMemo();
      this.desiredMemo = new Map();
    }
    this.secret = secretResolver(config);
    this.sessions = new TargetSessions(providers, config.targets);
    const embeddedPlan = command === 'plan' && !config.state.url;
    if (embeddedPlan) this.reuse = new PlanReuse(config.dataDir);
    this.state = new RecordedState(() => this.store(), embeddedPlan ? config.dataDir : undefined, this.reuse?.startFingerprint);
  }

  /**
   * Open a repository's workspace. The data dir is taken exclusively whenever this process writes
   * there: the embedded state store, and the mirror of a remote (isomorphic-git writes are not safe
   * across processes). A local repository with PostgreSQL state leaves the data dir free.
   * `oneShot`: the process runs this one command and exits (the CLI), so caches that only serve a
   * later commit are kept small or not kept.
   */
  static async open(config: ServerConfig, command: string, opts: { migrations?: Migration[]; oneShot?: boolean } = {}): Promise<Workspace> {
    const providers = await loadProviders(config.providers);
    config = { ...config, targets: checkTargets(config, providers) };
    const release = config.repo.url || !config.state.url ? lockDataDir(config.dataDir, command, config.dataDirLock) : undefined;
    try {
      let repo: GitRepository;
      if (config.repo.url) repo = await Mirror.open(config.repo.url, config.dataDir, config.repo.token?.reveal());
      else if (config.repo.path) repo = GitRepository.openLocal(config.repo.path);
      else throw new Error('no repository: give --repo PATH|URL or set repo.path / repo.url in the config');
      const loader = new ManifestLoader(repo, providers, new ParseCache(join(config.dataDir, 'parse-cache')));
      if (opts.oneShot) {
        repo.treeCacheLimit = ONE_SHOT_TREE_ENTRIES;
        loader.keepFileResults = false;
      }
      const ws = new Workspace(config, repo, providers, loader, command, release, !!opts.oneShot);
      ws.migrations = opts.migrations ?? [];
      return ws;
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

  /**
   * The state store, opened on first use (the embedded one takes the data-dir lock). Its modules
   * (pg, PGlite) are loaded then too: `validate` never opens it and never loads them.
   */
  store(): Promise<StateStore> {
    this.storePromise ??= import('../state/open.js').then(({ openState }) =>
      openState({
        dataDir: this.config.dataDir,
        url: this.config.state.url?.reveal(),
        command: this.command,
        dataDirLocked: !!this.releaseDataDir,
        migrations: this.migrations,
      }),
    );
    return this.storePromise;
  }

  /** Bring the repository up to date (a mirror fetches) and resolve a ref; the default is the tracked branch. */
  async resolve(ref?: string, fetch = true): Promise<string> {
    if (fetch) await this.repo.update();
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
      let memo = this.desiredMemo?.get(stack);
      if (!memo && this.desiredMemo) this.desiredMemo.set(stack, (memo = {}));
      const spread = expandResources(loaded.resources, this.expanderFor(repoConfig, stack));
      const built = buildDesiredSet(spread.resources, registry, memo);
      const r = spread.issues.length ? { issues: [...spread.issues, ...built.issues], set: undefined } : built;
      for (const issue of r.issues) {
        const pos = await this.loader.locate(issue.resource.loc, issue.path, issue.target);
        diagnostics.push({ file: issue.resource.loc.file, line: pos.line, col: pos.col, message: issue.message, resourceId: issue.resource.id });
      }
      desired = r.set;
      if (desired) {
        let configText: string | undefined;
        const configPos = async (path: string[]): Promise<{ line: number; col: number }> => {
          configText ??= (await this.repo.readFileAt(commit, REPO_CONFIG_FILE))?.content.toString('utf8') ?? '';
          return locate(configText, 0, path);
        };
        const o = { stack, repoConfig, registry, desired, providers: this.providers, targets: this.config.targets };
        diagnostics.push(...(await targetDiagnostics(o, configPos)));
      }
    }
    return { commit, repoConfig, registry, stack, desired, diagnostics: sortDiagnostics(diagnostics) };
  }

  /**
   * The member (host) a planned step's resource was spread onto (`File/motd@web-1` -> `web-1`), or
   * undefined: a resource whose provider does not spread (an `@` in its name means nothing).
   */
  hostOfStep(planned: PlannedStack, id: string): string | undefined {
    const r = planned.desired.resources.get(id) ?? planned.recorded.get(id);
    return r && providerFor(this.providers, r.apiVersion)?.expand ? memberOf(r.name) : undefined;
  }

  /** How a stack's manifests spread over their targets' members (a host provider's `spec.hosts`). */
  private expanderFor(repoConfig: RepoConfig, stack: string): ExpanderFor {
    const targets = repoConfig.stacks[stack]?.targets ?? {};
    return (r) => {
      const provider = providerFor(this.providers, r.apiVersion);
      const target = provider?.expand ? this.config.targets[targets[provider.name] ?? ''] : undefined;
      if (!provider?.expand || !target || target.provider !== provider.name) return undefined;
      return (spec) => provider.expand!(spec, target);
    };
  }

  /** Read the live state of recorded resources, batched per provider (through read-only sessions with `readOnly`). */
  refresh(repoConfig: RepoConfig, stack: string, recorded: Map<string, RecordedResource>, mode: SessionMode = {}): Promise<Map<string, Observed | null>> {
    return this.sessions.refresh(repoConfig, stack, recorded, this.secret, mode);
  }

  /**
   * Plan one stack at a commit. `readOnly`: refresh through read-only sessions (a drift check, a
   * plan that applies nothing); apply refreshes through the read-write sessions it then writes with.
   */
  async planStack(
    inputs: StackInputs,
    opts: {
      refresh?: boolean;
      allowDeleteAll?: boolean;
      readOnly?: boolean;
      external?: PlanRequest['external'];
      /**
       * The plan of this stack just shown (an apply after its workflow's plan, at the same commit):
       * the live objects it read are used instead of reading every one again, while the state is
       * still at the serial it was made from. Once the serial moved (another apply, a recovered
       * journal), or without its live objects, they are read again.
       */
      shown?: Pick<PlannedStack, 'plan' | 'live'>;
    } = {},
  ): Promise<StackPlanResult> {
    const stack = inputs.stack;
    if (!inputs.desired || inputs.diagnostics.length) return { stack, diagnostics: inputs.diagnostics };
    // Hosts are connected to while state is read: the refresh then finds their connections open.
    if (opts.refresh !== false) this.sessions.prepare(inputs.repoConfig, stack, inputs.desired.resources.values(), { readOnly: opts.readOnly });
    const key = this.key(stack);
    const state = await this.state.stackState(key);
    const recorded = await this.state.resources(key, state.serial, inputs.desired);
    const live =
      opts.refresh === false
        ? undefined
        : opts.shown?.live && opts.shown.plan.stateSerial === state.serial
          ? opts.shown.live
          : await this.refresh(inputs.repoConfig, stack, withProbes(recorded, inputs.desired), { readOnly: opts.readOnly });
    const external = opts.external ?? (await this.recordedUpstream(inputs.desired));
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
      external,
    });
    return { stack, diagnostics: [], planned };
  }

  /**
   * Without a workflow's view (a drift check, a rollback, one stack's apply): other stacks' outputs
   * as their state records them now. Undefined when the stack refers to no other stack.
   */
  private async recordedUpstream(desired: DesiredSet): Promise<PlanRequest['external']> {
    const stacks = new Set<string>();
    for (const d of desired.resources.values()) for (const { ref } of d.refs) if (ref.stack !== undefined) stacks.add(ref.stack);
    if (!stacks.size) return undefined;
    const views = new Map<string, { recorded: Map<string, RecordedResource> }>();
    for (const s of stacks) views.set(s, { recorded: await this.recordedOf(s) });
    return (ref) => upstreamValue(ref, views.get(ref.stack!));
  }

  /** A stack's recorded resources as state holds them now (read-only): what another stack's `!ref` sees. */
  async recordedOf(stack: string): Promise<Map<string, RecordedResource>> {
    const key = this.key(stack);
    const state = await this.state.stackState(key);
    return this.state.resources(key, state.serial);
  }

  /**
   * The state of a stack and the records of some of its resources (as they are now; read-only):
   * what a patched plan compares with (see plan-patch.ts).
   */
  async recordedSome(stack: string, ids: string[]): Promise<{ serial: number; appliedCommit: string | null; resources: Map<string, RecordedResource> }> {
    const key = this.key(stack);
    const state = await this.state.stackState(key);
    return { ...state, resources: await this.state.some(key, state.serial, ids) };
  }

  /** Whether a stack's manifests may be spread over a target's members (a host provider's target is named). */
  spreads(repoConfig: RepoConfig, stack: string): boolean {
    const targets = repoConfig.stacks[stack]?.targets ?? {};
    return this.providers.some((p) => p.expand && targets[p.name] !== undefined);
  }

  /** Names of stacks to work on: all, or the one asked for (an unknown name is an error). */
  selectStacks(repoConfig: RepoConfig, only?: string): string[] {
    const all = Object.keys(repoConfig.stacks).sort();
    if (!only) return all;
    if (!repoConfig.stacks[only]) throw new Error(`no stack named ${only} in driftless.yaml (stacks: ${all.join(', ')})`);
    return [only];
  }

  async close(): Promise<void> {
    await this.sessions.close();
    // The store's fingerprint once it closed, taken once for the snapshot and the kept plans. A store
    // this process never opened is as the fingerprint taken at the start found it: the data-dir lock,
    // held since before then, keeps every other process out of it.
    let end: string | null | undefined = !this.storePromise && this.releaseDataDir && this.reuse ? this.reuse.startFingerprint : undefined;
    const fingerprintNow = () => (end === undefined ? (end = storeFingerprint(join(this.config.dataDir, 'state'))) : end);
    let wroteState = false;
    if (this.storePromise) {
      const store = await this.storePromise.catch(() => undefined);
      this.storePromise = undefined;
      await store?.close();
      this.state.afterClose(store, fingerprintNow);
      wroteState = !store || store.wroteState; // a store that did not open: assume the worst
    }
    this.reuse?.afterClose(wroteState, fingerprintNow);
    this.releaseDataDir?.();
  }
}

/**
 * The recorded resources, plus the declared resources with no record whose kind reads them before
 * their first apply (KindInfo.probe), as if recorded with their declared spec. Only specs with no
 * `!ref` or `!secret` (fully known at plan time) are read.
 */
function withProbes(recorded: Map<string, RecordedResource>, desired: DesiredSet): Map<string, RecordedResource> {
  let out: Map<string, RecordedResource> | undefined;
  for (const [id, d] of desired.resources) {
    if (!d.info?.probe || recorded.has(id) || d.refs.length || d.secretPaths.length || !d.info.probe.when(d.spec)) continue;
    out ??= new Map(recorded);
    out.set(id, { id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec: d.spec, outputs: {}, deps: [], protect: false });
  }
  return out ?? recorded;
}
