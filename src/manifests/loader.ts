import type { GitRepository, TreeFile } from '../git/repository.js';
import type { ProviderKinds } from '../sdk/provider.js';
import { parseManifestFile, locate, type ParsedFile } from './yaml.js';
import { NONE, validateDocument, type ManifestResource } from './validate.js';
import { SchemaRegistry, type CustomSchema } from './schema-registry.js';
import { parseRepoConfig, REPO_CONFIG_FILE, CUSTOM_SCHEMA_DIR, type RepoConfig, type StackConfig } from './repo-config.js';
import type { Diagnostic } from './diagnostics.js';
import { decodeUtf8, utf8Error } from './utf8.js';
import type { ParseCache } from './parse-cache.js';
import { parseCacheDigest } from './parse-cache-digest.js';

/** Where a resource was declared. */
export interface SourceLocation {
  file: string;
  oid: string;
  docIndex: number;
  line: number;
  col: number;
}

export type LocatedResource = ManifestResource & { loc: SourceLocation };

export interface LoadedStack {
  name: string;
  config: StackConfig;
  resources: LocatedResource[];
  diagnostics: Diagnostic[];
  files: number;
  /** The stack directory's tree id: equal ids mean equal manifests. */
  treeOid: string | null;
}

type FileResource = ManifestResource & { docIndex: number; line: number; col: number };

interface FileResult {
  /** The resources as parsed (dropped once located: the located ones hold the same). */
  resources?: FileResource[];
  diagnostics: Omit<Diagnostic, 'file'>[];
  /** The resources with their location at the path last seen (reused while the file stays put). */
  located?: { path: string; resources: LocatedResource[] };
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * A manifest is a YAML or JSON file of the stack's folder, except the repository's own files: the
 * root's driftless.yaml and anything under a top-level dot folder (`.driftless/`, `.github/`), which
 * a stack at `path: .` would otherwise read as manifests.
 */
export function isManifestPath(p: string): boolean {
  return MANIFEST_EXT.test(p) && p !== REPO_CONFIG_FILE && !p.startsWith('.');
}

/**
 * Loads a repository's config and stacks at a commit. Parsing and validation results are cached
 * by git blob id (and the schema set), and whole stacks by their tree id, so an unchanged file is
 * never parsed or validated twice.
 */
export class ManifestLoader {
  /** Results by schema set (registry key), then blob id (the tree's own oid string: no key string per file). */
  private files = new Map<string, Map<string, FileResult>>();
  private stacks = new Map<string, Omit<LoadedStack, 'name' | 'config'>>();
  private registries = new Map<string, SchemaRegistry>();
  stats = { parsed: 0, cached: 0, restored: 0 };
  /**
   * Keep each file's results for later loads (a long-lived service: the next commit's unchanged
   * files). A one-shot process (the CLI; Workspace sets it) loads each file once: its results then
   * live only as long as the resources made from them (200 bytes per file less, held to the end).
   */
  keepFileResults = true;
  /**
   * Keep each stack's loaded resources, by tree id, for the next load of that tree: a service's
   * next commit, or a command that loads a stack twice (`apply` shows its plan first, `validate`
   * checks acks). A command that loads each stack once (`plan`) turns it off: its located resources
   * then die once the desired set is built (100,000 manifests: 9-18 MB lower peak).
   */
  keepStacks = true;

  constructor(
    readonly repo: GitRepository,
    readonly providers: readonly ProviderKinds[],
    /** Results kept across processes (in the data dir), by blob id and schema digest. */
    readonly persistent?: ParseCache,
  ) {}

  async repoConfig(commit: string): Promise<{ config?: RepoConfig; diagnostics: Diagnostic[] }> {
    const f = await this.repo.readFileAt(commit, REPO_CONFIG_FILE);
    if (!f) return { diagnostics: [{ file: REPO_CONFIG_FILE, line: 1, col: 1, message: 'driftless.yaml not found at the repository root' }] };
    const decoded = decodeUtf8(REPO_CONFIG_FILE, f.content);
    return 'error' in decoded ? { diagnostics: [decoded.error] } : parseRepoConfig(decoded.text);
  }

  /** The schema registry at a commit: built-in kinds plus the repository's `.driftless/schemas/`. */
  async registry(commit: string): Promise<{ registry: SchemaRegistry; diagnostics: Diagnostic[] }> {
    const treeOid = await this.repo.treeOid(commit, CUSTOM_SCHEMA_DIR);
    const key = treeOid ?? 'builtin';
    let registry = this.registries.get(key);
    const diagnostics: Diagnostic[] = [];
    const custom: CustomSchema[] = [];
    if (!registry) {
      if (treeOid) {
        const files = await this.repo.listFiles(commit, CUSTOM_SCHEMA_DIR, (p) => MANIFEST_EXT.test(p));
        for (const f of files) {
          const decoded = decodeUtf8(f.path, await this.repo.readBlob(f.oid));
          const parsed = 'error' in decoded ? { docs: [], diagnostics: [decoded.error] } : parseManifestFile(f.path, decoded.text);
          diagnostics.push(...parsed.diagnostics);
          const source = 'error' in decoded ? undefined : decoded.text;
          for (const d of parsed.docs) {
            if (d.value && typeof d.value === 'object' && !Array.isArray(d.value))
              custom.push({ file: f.path, schema: d.value as Record<string, unknown>, source, docIndex: d.index });
            else diagnostics.push({ file: f.path, line: d.line, col: d.col, message: 'a schema must be a JSON object' });
          }
        }
      }
      registry = new SchemaRegistry(this.providers, custom);
      if (this.registries.size > 16) this.registries.clear();
      this.registries.set(key, registry);
    }
    for (const p of registry.problems) diagnostics.push({ ...p });
    return { registry, diagnostics };
  }

  /** Load and validate every manifest of one stack at a commit. */
  async loadStack(commit: string, name: string, config: StackConfig, registry: SchemaRegistry): Promise<LoadedStack> {
    const treeOid = await this.repo.treeOid(commit, config.path);
    const stackKey = `${treeOid}:${registry.key}`;
    const hit = treeOid ? this.stacks.get(stackKey) : undefined;
    if (hit) return { name, config, ...hit };

    const files = await this.repo.listFiles(commit, config.path, isManifestPath);
    const { resources, diagnostics } = await this.loadFiles(files, registry);
    const loaded = { resources, diagnostics, files: files.length, treeOid };
    if (treeOid && this.keepStacks) {
      if (this.stacks.size > 64) this.stacks.clear();
      this.stacks.set(stackKey, loaded);
    }
    return { name, config, ...loaded };
  }

  /**
   * Load and validate these manifests (blobs at their paths), through the caches: their resources
   * located at those paths, in order, and the files' diagnostics. `persist: false` leaves the
   * persistent cache alone (a few files parse faster than its segments are read).
   */
  async loadFiles(
    files: TreeFile[],
    registry: SchemaRegistry,
    opts: { persist?: boolean } = {},
  ): Promise<{ resources: LocatedResource[]; diagnostics: Diagnostic[] }> {
    const persistent = opts.persist === false ? undefined : this.persistent;
    const digest = persistent ? parseCacheDigest(registry) : '';
    let known = this.files.get(registry.key);
    if (!known) {
      known = new Map();
      if (this.keepFileResults) this.files.set(registry.key, known);
    }
    if (persistent) {
      const unknown = files.filter((f) => !known.has(f.oid));
      for (const [oid, v] of persistent.get(
        digest,
        unknown.map((f) => f.oid),
      )) {
        if (isFileResult(v)) {
          known.set(oid, v);
          this.stats.restored++;
        }
      }
    }
    const missing = files.filter((f) => !known.has(f.oid));
    // Each file is parsed and validated as soon as it is read, so its text dies young. (A worker
    // thread that parsed cost more, its start and copying results back, than the parsing it took
    // over: measured slower, ~20 MB more at peak.)
    // New results go to the persistent cache as they are made (or all at the end when it compacts).
    const stream = persistent && missing.length ? persistent.stream(digest) : null;
    const put = (f: TreeFile, r: FileResult) => {
      known.set(f.oid, r);
      stream?.add(f.oid, r);
    };
    try {
      const suspect: number[] = [];
      await this.repo.eachText(
        missing.map((f) => f.oid),
        (i, text) => {
          // U+FFFD stands for bytes that are not UTF-8 (a valid file may hold one too): such a file
          // is checked against its bytes below.
          if (text.includes('\ufffd')) suspect.push(i);
          else put(missing[i], loadFile(missing[i].path, text, registry));
        },
      );
      for (const i of suspect) {
        const f = missing[i];
        const bytes = await this.repo.readBlob(f.oid);
        const bad = utf8Error(f.path, bytes);
        put(
          f,
          bad ? { resources: [], diagnostics: [{ line: bad.line, col: bad.col, message: bad.message }] } : loadFile(f.path, bytes.toString('utf8'), registry),
        );
      }
    } catch (err) {
      stream?.abandon();
      throw err;
    }
    this.stats.parsed += missing.length;
    this.stats.cached += files.length - missing.length;
    if (stream) stream.finish();
    else if (persistent && missing.length) {
      const fresh = new Map(missing.map((f) => [f.oid, known.get(f.oid)]));
      persistent.put(digest, fresh, new Set(files.map((f) => f.oid)));
    }

    const resources: LocatedResource[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const f of files) {
      const r = known.get(f.oid)!;
      for (const d of r.diagnostics) diagnostics.push({ file: f.path, ...d });
      if (r.located?.path !== f.path) {
        // Located at this path: from the parsed resources (then dropped), or moved from another path.
        const here = r.resources
          ? r.resources.map((x) => located(x, { file: f.path, oid: f.oid, docIndex: x.docIndex, line: x.line, col: x.col }))
          : r.located!.resources.map((x) => located(x, { file: f.path, oid: x.loc.oid, docIndex: x.loc.docIndex, line: x.loc.line, col: x.loc.col }));
        r.located = { path: f.path, resources: here };
        r.resources = undefined;
      }
      for (const res of r.located.resources) resources.push(res);
    }
    return { resources, diagnostics };
  }

  /** Position of a field of a loaded resource, for diagnostics found after loading. */
  async locate(loc: SourceLocation, path: (string | number)[], target: 'value' | 'key' = 'value'): Promise<{ line: number; col: number }> {
    if (path.length === 0) return { line: loc.line, col: loc.col };
    const text = (await this.repo.readBlob(loc.oid)).toString('utf8');
    return locate(text, loc.docIndex, path, target);
  }
}

/** Parse and validate one file. Pure. */
export function loadFile(file: string, source: string, registry: SchemaRegistry): FileResult {
  return validateParsed(parseManifestFile(file, source), source, registry);
}

/** Validate one parsed file (positions of schema errors are found by re-parsing `source`). Pure. */
export function validateParsed(parsed: ParsedFile, source: string, registry: SchemaRegistry): FileResult {
  const resources: FileResource[] = [];
  const diagnostics: FileResult['diagnostics'] = parsed.diagnostics.map(({ file: _f, ...d }) => d);
  for (const doc of parsed.docs) {
    const r = validateDocument(doc.value, registry);
    for (const issue of r.issues) {
      const pos = issue.path.length ? locate(source, doc.index, issue.path, issue.target) : { line: doc.line, col: doc.col };
      diagnostics.push({ line: pos.line, col: pos.col, message: issue.message, resourceId: issue.resourceId, field: '/' + issue.path.join('/') });
    }
    if (r.resource) resources.push(fileResource(r.resource, doc.index, doc.line, doc.col));
  }
  return { resources, diagnostics: diagnostics.length ? diagnostics : NONE }; // most files: the one shared empty list
}

/*
 * Resources are built field by field, so that all share one shape (hidden class). Made with object
 * rest and spread (`({ line, col, ...rest }) => ({ ...rest, loc })`), each had a shape of its own:
 * 370 bytes per resource, held to the end (37 MB at 100,000 resources).
 */
function fileResource(r: ManifestResource, docIndex: number, line: number, col: number): FileResource {
  const { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs } = r;
  return { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs, docIndex, line, col };
}

function located(r: ManifestResource, loc: SourceLocation): LocatedResource {
  const { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs } = r;
  return { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs, loc };
}

/** The shape of a result read back from the persistent cache (what loadFile returns). */
function isFileResult(v: unknown): v is FileResult {
  const r = v as FileResult | null;
  return !!r && typeof r === 'object' && Array.isArray(r.resources) && Array.isArray(r.diagnostics) && r.located === undefined;
}
