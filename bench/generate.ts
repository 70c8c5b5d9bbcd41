import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng, runOk, gitSync, WORK_DIR, log } from './util.js';

/** Bump when the generated content changes, so cached inputs under bench/work/ are rebuilt. */
const GENERATOR_VERSION = 4;
export const STACK = 'app';
export const STACK_PATH = 'stacks/app';
export const TARGET = 'bench-files';
const AUTHOR = 'driftless bench <bench@driftless.invalid> 1700000000 +0000';

export interface GeneratedRepo {
  /** Bare repository. */
  dir: string;
  resources: number;
  files: number;
  bytes: number;
  kinds: Record<string, number>;
  /** Manifest paths of File resources (repository-relative), for edits. */
  filePaths: string[];
  head: string;
  /** The stacks the resources are split over (one, `app`, unless asked for more). */
  stacks: string[];
}

export interface ManifestSpec {
  kind: 'File' | 'Directory' | 'Symlink';
  name: string;
  path: string; // in the target
  content?: string;
  mode?: string;
  target?: string;
  labels: Record<string, string>;
  manifestPath: string; // in the repository
  /** Its parent directory is another stack's resource: no `dependsOn` (split over stacks). */
  parentElsewhere?: boolean;
}

const WORDS = [
  'listen',
  'server_name',
  'upstream',
  'timeout',
  'retries',
  'pool',
  'cache',
  'log_level',
  'backend',
  'replicas',
  'threshold',
  'region',
  'endpoint',
  'max_conn',
  'keepalive',
  'buffer',
  'worker',
  'queue',
  'ttl',
  'feature_flag',
];
const TEAMS = [
  'payments',
  'search',
  'identity',
  'billing',
  'catalog',
  'checkout',
  'ledger',
  'growth',
  'platform',
  'data',
  'mobile',
  'web',
  'edge',
  'infra',
  'security',
  'support',
  'reporting',
  'risk',
  'notify',
  'media',
];
const ENVS = ['prod', 'staging', 'dev'];

/** Config-file-like text of about `size` bytes (ini/nginx-ish lines, sections and comments). */
function configText(r: () => number, size: number): string {
  const lines: string[] = [];
  let n = 0;
  while (n < size) {
    let line: string;
    const x = r();
    if (x < 0.08) line = `[${WORDS[Math.floor(r() * WORDS.length)]}.${Math.floor(r() * 100)}]`;
    else if (x < 0.14) line = `# ${WORDS[Math.floor(r() * WORDS.length)]} tuned for load test run ${Math.floor(r() * 10000)}`;
    else {
      const k = WORDS[Math.floor(r() * WORDS.length)];
      const v = r() < 0.5 ? String(Math.floor(r() * 65536)) : `${WORDS[Math.floor(r() * WORDS.length)]}-${Math.floor(r() * 1e6).toString(36)}.internal`;
      line = `${k}_${Math.floor(r() * 40)} = ${v}`;
    }
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

/** Log-normal file size: median ~600 B, long tail, capped at 24 KB. */
function fileSize(r: () => number): number {
  const u = Math.max(1e-9, r());
  const v = r();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.min(24 * 1024, Math.max(40, Math.round(600 * Math.exp(1.0 * z))));
}

/**
 * The resources of a generated stack: `n` resources as teams / services / env dirs, about 1
 * Directory per service, 3% Symlinks, the rest Files. Deterministic for a given (n, seed).
 */
export function manifests(n: number, seed = 1): ManifestSpec[] {
  const r = rng(seed);
  const out: ManifestSpec[] = [];
  const teams = Math.max(2, Math.min(TEAMS.length, Math.round(n / 500)));
  const services = Math.max(2, Math.round(n / teams / 20)); // ~20 resources per service
  for (let t = 0; t < teams && out.length < n; t++) {
    const team = TEAMS[t];
    out.push({ kind: 'Directory', name: team, path: team, mode: '0755', labels: { team }, manifestPath: `${STACK_PATH}/${team}/directory.yaml` });
  }
  let i = 0;
  while (out.length < n) {
    const team = TEAMS[i % teams];
    const svc = `svc${String(Math.floor(i / teams) % services).padStart(3, '0')}`;
    const env = ENVS[Math.floor(i / (teams * services)) % ENVS.length];
    const base = `${team}/${svc}`;
    const seq = Math.floor(i / (teams * services * ENVS.length));
    const mdir = `${STACK_PATH}/${team}/${svc}/${env}`;
    if (i < teams * services) {
      out.push({
        kind: 'Directory',
        name: `${team}-${svc}`,
        path: base,
        mode: '0755',
        labels: { team, service: svc },
        manifestPath: `${STACK_PATH}/${team}/${svc}/directory.yaml`,
      });
    } else if (r() < 0.03) {
      const name = `${team}-${svc}-${env}-link${seq}`;
      out.push({
        kind: 'Symlink',
        name,
        path: `${base}/${env}-current-${seq}.conf`,
        target: `${env}-${seq}.conf`,
        labels: { team, service: svc, env },
        manifestPath: `${mdir}/links.yaml`, // the links of one directory share a multi-document file
      });
    } else {
      const name = `${team}-${svc}-${env}-${seq}`;
      out.push({
        kind: 'File',
        name,
        path: `${base}/${env}-${seq}.conf`,
        content: configText(r, fileSize(r)),
        mode: r() < 0.9 ? '0644' : '0600',
        labels: { team, service: svc, env },
        manifestPath: `${mdir}/config-${seq}.yaml`,
      });
    }
    i++;
  }
  return out;
}

function quoteIfNeeded(s: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(s) ? s : JSON.stringify(s);
}

/** A seed from a string (FNV-1a), so a manifest's style depends on its name only. */
function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** How one manifest is written: people mix styles across a repository, and a few files use rarer YAML. */
interface Style {
  /** Indentation width: 2 mostly, some files 4, a few 3. */
  w: number;
  flowLabels: boolean;
  dependsOn: 'none' | 'flow' | 'block';
  /** How the path is written: plain, double- or single-quoted. */
  quote: 'plain' | 'double' | 'single';
  /** A folded (`>`) description in the annotations. */
  folded: boolean;
  /** Labels given an anchor that the annotations reuse (`*labels`). */
  anchor: boolean;
  /** A `---` before the document and a trailing comment on the mode line. */
  marker: boolean;
  inlineComment: boolean;
  /** The whole spec as a flow map (no content: Directories and Symlinks only). */
  flowSpec: boolean;
}

function styleOf(m: ManifestSpec): Style {
  const r = rng(seedOf(m.name));
  const x = r();
  const d = r();
  const q = r();
  return {
    w: x < 0.7 ? 2 : x < 0.92 ? 4 : 3,
    flowLabels: r() < 0.35,
    dependsOn: m.kind === 'Directory' ? 'none' : d < 0.25 ? 'flow' : d < 0.4 ? 'block' : 'none',
    quote: q < 0.6 ? 'plain' : q < 0.85 ? 'double' : 'single',
    folded: r() < 0.1,
    anchor: r() < 0.02,
    marker: r() < 0.15,
    inlineComment: r() < 0.2,
    flowSpec: m.kind !== 'File' && r() < 0.5,
  };
}

/** The Directory a File or Symlink lives in (its service's), as the generator names it. */
function parentDirectory(m: ManifestSpec): string | null {
  const [team, svc] = m.path.split('/');
  return svc && m.kind !== 'Directory' ? `Directory/${team}-${svc}` : null;
}

function quoted(s: string, how: Style['quote']): string {
  if (how === 'double') return JSON.stringify(s);
  if (how === 'single') return `'${s.replace(/'/g, "''")}'`;
  return quoteIfNeeded(s);
}

/**
 * One manifest as YAML, the way people write them: comments, labels as a block or flow map,
 * `dependsOn` as a flow or block list, quoted and plain strings, `|` content, a folded (`>`)
 * description in some, anchors in a few, indentation of 2, 3 or 4 spaces. Deterministic per name.
 */
export function manifestYaml(m: ManifestSpec): string {
  const s = styleOf(m);
  const i1 = ' '.repeat(s.w);
  const i2 = i1 + i1;
  const lines = s.marker ? ['---'] : [];
  lines.push(
    `# ${m.kind} ${m.name}: managed by the ${m.labels.team} team`,
    'apiVersion: fs.driftless.dev/v1',
    `kind: ${m.kind}`,
    'metadata:',
    `${i1}name: ${m.name}`,
  );
  const labels = Object.entries(m.labels);
  const anchor = s.anchor ? ' &labels' : '';
  if (s.flowLabels) lines.push(`${i1}labels:${anchor} {${labels.map(([k, v]) => `${k}: ${quoteIfNeeded(v)}`).join(', ')}}`);
  else {
    lines.push(`${i1}labels:${anchor}`);
    for (const [k, v] of labels) lines.push(`${i2}${k}: ${quoteIfNeeded(v)}`);
  }
  if (s.anchor) lines.push(`${i1}annotations: *labels`);
  else if (s.folded) {
    lines.push(`${i1}annotations:`, `${i2}description: >`);
    lines.push(`${i2}${i1}Owned by the ${m.labels.team} team; changes to this ${m.kind.toLowerCase()}`);
    lines.push(`${i2}${i1}go through review (see the runbook for ${m.labels.service ?? m.labels.team}).`);
  }
  const dep = m.parentElsewhere ? undefined : parentDirectory(m);
  if (dep && s.dependsOn === 'flow') lines.push(`${i1}dependsOn: [${dep}]`);
  else if (dep && s.dependsOn === 'block') lines.push(`${i1}dependsOn:`, `${i1}- ${dep}`);
  const comment = s.inlineComment ? '  # octal, as chmod takes it' : '';
  if (s.flowSpec && m.kind === 'Directory') lines.push(`spec: {path: ${quoted(m.path, s.quote)}, mode: "${m.mode}"}`);
  else if (s.flowSpec) lines.push(`spec: { path: ${quoted(m.path, s.quote)}, target: ${quoted(m.target!, s.quote)} }`);
  else {
    lines.push('spec:', `${i1}path: ${quoted(m.path, s.quote)}`);
    if (m.kind === 'File') {
      lines.push(`${i1}content: |`);
      for (const l of m.content!.replace(/\n$/, '').split('\n')) lines.push(l ? `${i2}${l}` : '');
      lines.push(`${i1}mode: "${m.mode}"${comment}`);
    } else if (m.kind === 'Directory') lines.push(`${i1}mode: '${m.mode}'${comment}`);
    else lines.push(`${i1}target: ${quoted(m.target!, s.quote)}`);
  }
  return lines.join('\n') + '\n';
}

export function repoConfigYaml(stacks: readonly string[] = [STACK]): string {
  const one = (s: string) => `  ${s}:\n    path: stacks/${s}\n    targets:\n      fs: ${TARGET}\n    apply: auto\n    prune: true\n`;
  return `version: 1\nstacks:\n${stacks.map(one).join('')}`;
}

/** The name of stack `i` of `count` (`app` when there is one). */
export const stackName = (i: number, count: number) => (count === 1 ? STACK : `s${String(i).padStart(3, '0')}`);

/**
 * Split generated manifests over `count` stacks of about equal size, whole files at a time (a
 * multi-document file stays in one stack), each in its own folder `stacks/NAME/`.
 */
export function splitOverStacks(ms: ManifestSpec[], count: number): ManifestSpec[] {
  if (count === 1) return ms;
  const per = Math.ceil(ms.length / count);
  const stackOf = new Map<string, number>();
  const stackOfId = new Map<string, number>();
  const placed = ms.map((m, done) => {
    let i = stackOf.get(m.manifestPath);
    if (i === undefined) stackOf.set(m.manifestPath, (i = Math.min(count - 1, Math.floor(done / per))));
    stackOfId.set(`${m.kind}/${m.name}`, i);
    return { m: { ...m, manifestPath: `stacks/${stackName(i, count)}/${m.manifestPath.slice(STACK_PATH.length + 1)}` }, i };
  });
  return placed.map(({ m, i }) => {
    const parent = parentDirectory(m);
    return parent && stackOfId.get(parent) !== i ? { ...m, parentElsewhere: true } : m;
  });
}

/** A git fast-import stream for one commit of `files` (path -> content), on top of `from` if given. */
export function fastImportStream(files: Map<string, string>, message: string, from?: string): Buffer {
  const parts: Buffer[] = [];
  const push = (s: string | Buffer) => parts.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  push(`commit refs/heads/main\ncommitter ${AUTHOR}\n`);
  const msg = Buffer.from(message + '\n', 'utf8');
  push(`data ${msg.length}\n`);
  push(msg);
  if (from) push(`from ${from}\n`);
  for (const [path, content] of files) {
    const b = Buffer.from(content, 'utf8');
    push(`M 100644 inline ${path}\ndata ${b.length}\n`);
    push(b);
    push('\n');
  }
  push('\n');
  return Buffer.concat(parts);
}

/**
 * The generated bare repository of `n` resources (one manifest per file), built once with
 * `git fast-import` and packed (`git repack -ad`) as a clone or mirror would hold it. Cached
 * under bench/work/ by size, seed and generator version.
 */
export async function generatedRepo(n: number, seed = 1, stackCount = 1): Promise<GeneratedRepo> {
  const split = stackCount === 1 ? '' : `-x${stackCount}`;
  const dir = join(WORK_DIR, 'repos', `manifests-${n}${split}-s${seed}-v${GENERATOR_VERSION}.git`);
  const infoFile = join(dir, 'bench-info.json');
  if (existsSync(infoFile)) return JSON.parse(readFileSync(infoFile, 'utf8')) as GeneratedRepo;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating a ${n}-resource manifest repository in ${dir}`);
  await runOk('git', ['init', '-q', '--bare', '-b', 'main', dir]);
  const ms = splitOverStacks(manifests(n, seed), stackCount);
  const stacks = Array.from({ length: stackCount }, (_, i) => stackName(i, stackCount));
  const files = new Map<string, string>([
    ['driftless.yaml', repoConfigYaml(stacks)],
    ['README.md', `# Generated manifests\n\n${n} resources for driftless benchmarks.\n`],
  ]);
  let bytes = 0;
  const kinds: Record<string, number> = {};
  for (const m of ms) {
    const y = manifestYaml(m);
    const before = files.get(m.manifestPath);
    if (before !== undefined && m.kind !== 'Symlink') throw new Error(`generator produced ${m.manifestPath} twice`);
    files.set(m.manifestPath, before === undefined ? y : `${before}${y.startsWith('---\n') ? '' : '---\n'}${y}`);
    bytes += Buffer.byteLength(y);
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
  }
  await runOk('git', ['fast-import', '--quiet'], { cwd: dir, input: fastImportStream(files, `Generated ${n} manifests`) });
  await runOk('git', ['repack', '-adq'], { cwd: dir });
  const info: GeneratedRepo = {
    dir,
    resources: ms.length,
    files: files.size - 2, // manifest files (the links of a directory share one)
    bytes,
    kinds,
    filePaths: ms.filter((m) => m.kind === 'File').map((m) => m.manifestPath),
    head: gitSync(dir, 'rev-parse', 'refs/heads/main'),
    stacks,
  };
  writeFileSync(infoFile, JSON.stringify(info));
  return info;
}

/** A throw-away copy of a generated repository (objects hard-linked), for scenarios that commit to it. */
export async function copyRepo(src: string, dst: string): Promise<string> {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(join(dst, '..'), { recursive: true });
  await runOk('git', ['clone', '-q', '--bare', src, dst]);
  return dst;
}

/** A File manifest with one more line at the start of its content (whatever its indentation). */
export function editManifest(text: string, line: string): string {
  const m = /\n *content: [|>][-+]?\n( +)/.exec(text);
  if (!m) throw new Error(`no content block to edit in:\n${text.slice(0, 300)}`);
  const at = m.index + m[0].length;
  return `${text.slice(0, at)}# ${line}\n${m[1]}${text.slice(at)}`;
}

/**
 * Commit a change of one manifest (a File's content gets one more line) on top of main, with
 * fast-import (the new objects arrive as a small pack, as a fetch would bring them). Returns the sha.
 */
export async function commitOneFileChange(repoDir: string, manifestPath: string, stamp: string): Promise<string> {
  const current = gitSync(repoDir, 'cat-file', 'blob', `refs/heads/main:${manifestPath}`);
  const changed = editManifest(current, `edited ${stamp}`) + '\n';
  const stream = fastImportStream(new Map([[manifestPath, changed]]), `Edit ${manifestPath} (${stamp})`, 'refs/heads/main^0');
  await runOk('git', ['fast-import', '--quiet'], { cwd: repoDir, input: stream });
  return gitSync(repoDir, 'rev-parse', 'refs/heads/main');
}
