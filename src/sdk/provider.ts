/**
 * The provider SDK: the only surface the planner and the executor speak.
 * A third-party provider is an npm module whose default export is a `Provider`.
 */

/** A JSON value as found in manifests and state. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Spec = { [key: string]: Json };

/** Recorded sensitive values look like `(sensitive:sha256:SALT:HEX)`; providers must treat them as unknown. */
export const SENSITIVE_PREFIX = '(sensitive:';
export function isSensitiveMask(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(SENSITIVE_PREFIX);
}

/** Where a resource's natural identity lives, so two manifests cannot manage one object. */
export interface ObjectRef {
  kind: string;
  key: string;
}

export interface KindInfo {
  /** JSON Schema of `spec` (draft 2020-12 or 07); must carry a unique `$id`. */
  schema: Record<string, unknown>;
  /** JSON pointers under the document (e.g. `/spec/path`) whose change forces delete + create. */
  replaceOn?: string[];
  /** The object this resource manages, as a key unique per kind in one target (a path, a role name). */
  naturalKey(spec: Spec, name: string): string;
  /**
   * Read a resource of this kind on the target before its first apply, when `when(spec)` says so
   * (an Exec with a guard): the refresh reads it as if it were recorded with the declared spec. A
   * live spec equal to the declared one means there is nothing to do (no change, nothing recorded);
   * anything else plans the create with `pending` as its reason.
   */
  probe?: { when(spec: Spec): boolean; pending: string };
  /** Objects this resource needs to exist first; resolved against the stack's resources by natural key. */
  references?(spec: Spec, name: string): ObjectRef[];
  /**
   * Whether an observed field equals the desired one, for fields that a server normalises
   * (say, an unordered list). Default: deep equality.
   */
  equal?(path: string, desired: Json | undefined, observed: Json | undefined): boolean;
  /**
   * What apply would refuse in a spec, found from the spec alone (lexical, no I/O), so the plan
   * refuses it first, at the field. Values given with `!ref` or `!secret` are not known yet: skip
   * anything that is not a plain JSON value. Default: nothing beyond the schema.
   */
  validate?(spec: Spec, name: string): SpecProblem[];
  /**
   * The spec fields (JSON pointers, `/spec/path`) each output is derived from, so that an output
   * derived from a sensitive field is sensitive too, wherever it is referenced, and an update that
   * leaves those fields alone leaves the output known to downstream plans. An output with an
   * empty list depends on no field (an oid): not sensitive, but unknown after any change. Absent:
   * every output of a resource with a sensitive field is sensitive, and any change makes every
   * output unknown.
   */
  outputSources?: Record<string, string[]>;
  /**
   * Resources of the stack (by id) whose change in a run makes this one take an update step after
   * them, even with no change of its own: a service reloaded when its config file changes. Keyed by
   * what fires (`reload`, `restart`); the step's diff then holds `/triggers/<key>` with the ids that
   * changed, and `Session.update` receives that path in `changed`. Each id is a dependency too; an
   * id the stack does not declare is an error at `path` (a JSON pointer under `spec`).
   */
  triggers?(spec: Spec, name: string): { key: string; path: string; ids: string[] }[];
}

/**
 * What `Provider.expand` makes of one manifest: one resource per member of the target (a host of an
 * inventory), each named `name@member` (id `Kind/name@member`), with `spec` (the selector removed).
 */
export interface Expansion {
  members: string[];
  spec: Spec;
}

/** The provider (or provider view) whose API group `apiVersion` names (`fs.driftless.dev/v1` -> fs). */
export function providerFor<P extends { group: string }>(providers: readonly P[], apiVersion: string): P | undefined {
  const group = apiVersion.split('/')[0];
  return providers.find((p) => p.group === group);
}

/** The suffix an expanded resource's name carries: `nginx@web-1` -> `web-1`; undefined when not expanded. */
export function memberOf(name: string): string | undefined {
  const i = name.lastIndexOf('@');
  return i > 0 ? name.slice(i + 1) : undefined;
}

/** A problem `KindInfo.validate` found: `path` is a JSON pointer under `spec` (`/path`, `/members/0`). */
export interface SpecProblem {
  path: string;
  message: string;
}

/** A resource as the executor hands it to a provider. */
export interface ResourceBase {
  id: string; // Kind/name
  apiVersion: string;
  kind: string;
  name: string;
}

/** What the manifests declare, with references and secrets resolved (secrets in clear: never log it). */
export interface Desired extends ResourceBase {
  spec: Spec;
  /** Adopt an existing object instead of failing because it exists (postgres `import`). */
  adopt?: boolean;
}

/**
 * What state remembers of a resource after an apply. Sensitive fields (schema `writeOnly`, `!secret`)
 * are replaced by a mask string starting with SENSITIVE_PREFIX (a salted hash), never kept in clear.
 */
export interface Recorded extends ResourceBase {
  spec: Spec;
  outputs: Spec;
}

/** What a provider reads from the live system. Fields it cannot read (write-only) are omitted. */
export interface Observed {
  spec: Spec;
  outputs?: Spec;
}

export type Outputs = Spec;

export interface TargetConfig {
  name: string;
  provider: string;
  /** Provider-specific settings; secrets arrive resolved but wrapped (see config/secret-value). */
  [key: string]: unknown;
}

export interface Session {
  read(r: Recorded): Promise<Observed | null>;
  /**
   * Batched refresh. An `undefined` entry means the object could not be read this time (its host is
   * unreachable): it is planned from its record, and its writes fail for this run.
   */
  readMany?(rs: Recorded[]): Promise<(Observed | null | undefined)[]>;
  create(r: Desired): Promise<Outputs>;
  /** `changed` lists the JSON pointers (`/spec/owner`) whose desired value differs from the recorded one. */
  update(r: Desired, prior: Recorded, changed: string[]): Promise<Outputs>;
  delete(prior: Recorded): Promise<void>;
  /**
   * Optional. Remove what an interrupted apply of this provider may have left around these
   * resources (the stack's recorded, desired and interrupted ones), such as temporary files of a
   * write cut short, and nothing else: never an object a user made. The engine calls it when it
   * recovers an interrupted apply, before planning. Returns one line per thing removed.
   */
  recover?(resources: ResourceWithSpec[]): Promise<string[]>;
  /**
   * Optional. A hint that these resources are about to be read or written: start what they need
   * (connections to their hosts) while the engine does other work. Never throws; a failure shows
   * when the resources are used.
   */
  prepare?(resources: ResourceBase[]): void;
  close(): Promise<void>;
}

/** A resource with its spec, as `Session.recover` receives it (its spec may hold unresolved `!ref` / `!secret` values). */
export interface ResourceWithSpec extends ResourceBase {
  spec: Spec;
}

/**
 * Annotation on a property of a `targetSchema`: the setting is a local path, and a relative one is
 * relative to the server config file's directory (`"x-driftless-path": true`); the provider receives
 * it absolute.
 */
export const TARGET_PATH_ANNOTATION = 'x-driftless-path';

export interface Provider {
  /** Short name used in target configs (`provider: fs`). */
  name: string;
  /** The API group the manifests name in `apiVersion` (`fs.driftless.dev`). */
  group: string;
  /** Versions accepted in `apiVersion` (`v1`). */
  versions: string[];
  kinds: Record<string, KindInfo>;
  /**
   * JSON Schema of a target's settings (every key of its server-config entry except `provider`),
   * checked when the server config is loaded. A `{ fromEnv }` / `{ fromFile }` value is checked as
   * the string it reads. Properties annotated with TARGET_PATH_ANNOTATION are resolved against the
   * config file. Absent: settings are passed through unchecked.
   */
  targetSchema?: Record<string, unknown>;
  /**
   * Open a session on a target. With `{ readOnly: true }` (drift checks, plans) the session only
   * reads: its write methods refuse (see `readOnlySession`), and the provider reads through the most
   * restricted means it has (postgres: `readUrl` and read-only transactions; fs: files opened
   * read-only, nothing created). The engine wraps such a session in `readOnlySession` as well, so a
   * provider that ignores the option still cannot write through it.
   */
  connect(target: TargetConfig, options?: ConnectOptions): Promise<Session>;
  /**
   * Optional. Spread one manifest over the members of its target (the hosts a `spec.hosts` selects):
   * the manifest becomes one resource per member (see Expansion). A `SpecProblem` refuses the
   * manifest at that field. Cross-references between expanded manifests (`dependsOn`, `!ref`) are
   * taken to mean the same member's resource. Pure: no I/O.
   */
  expand?(spec: Spec, target: TargetConfig): Expansion | SpecProblem;
  /**
   * Optional. How many of this provider's calls an apply runs at once when neither the server
   * config's `parallelism` nor `apply --parallelism` says (then: 8). A provider whose calls are
   * local and take microseconds may say more: steps that run together share their journal writes
   * (group commit), so a wider apply writes fewer, larger statements.
   */
  parallelism?: number;
}

export interface ConnectOptions {
  /** The session is for reading only: a drift check or a plan. Default false. */
  readOnly?: boolean;
}

/** What the manifest side needs of a provider: its name, group, versions and kinds (never a connection). */
export type ProviderKinds = Pick<Provider, 'name' | 'group' | 'versions' | 'kinds'>;

/** An error a provider raises for a user-fixable problem; the message is shown as is. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly resourceId?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The message a read-only session's write methods refuse with. */
export const READ_ONLY_REFUSAL = 'read-only session: a drift check never writes';

/** What a write on a read-only session throws. */
export class ReadOnlySessionError extends ProviderError {
  constructor(
    readonly method: string,
    resourceId?: string,
  ) {
    super(`${READ_ONLY_REFUSAL} (${method}${resourceId ? ` of ${resourceId}` : ''} refused)`, resourceId);
    this.name = 'ReadOnlySessionError';
  }
}

const READ_ONLY: unique symbol = Symbol('driftless.readOnlySession');

/**
 * A view of `session` that reads and closes, and refuses `create`, `update`, `delete` and `recover`
 * with a ReadOnlySessionError, without calling the session. Idempotent.
 */
export function readOnlySession(session: Session): Session {
  if (READ_ONLY in session) return session;
  const view: Session & { [READ_ONLY]: true } = {
    [READ_ONLY]: true,
    read: (r) => session.read(r),
    create: async (r) => {
      throw new ReadOnlySessionError('create', r.id);
    },
    update: async (r) => {
      throw new ReadOnlySessionError('update', r.id);
    },
    delete: async (prior) => {
      throw new ReadOnlySessionError('delete', prior.id);
    },
    recover: async () => {
      throw new ReadOnlySessionError('recover');
    },
    close: () => session.close(),
  };
  if (session.readMany) view.readMany = (rs) => session.readMany!(rs);
  if (session.prepare) view.prepare = (rs) => session.prepare!(rs);
  return view;
}
