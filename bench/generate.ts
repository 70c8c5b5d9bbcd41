import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng, runOk, gitSync, WORK_DIR, log } from './util.js';

/** Bump when the generated content changes, so cached inputs under bench/work/ are rebuilt. */
const GENERATOR_VERSION = 3;
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
        manifestPath: `${mdir}/link-${seq}.yaml`,
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

/** One manifest as YAML, the way people write them (comment, labels, block scalar content). */
export function manifestYaml(m: ManifestSpec): string {
  const lines = [
    `# ${m.kind} ${m.name}: managed by the ${m.labels.team} team`,
    'apiVersion: fs.driftless.dev/v1',
    `kind: ${m.kind}`,
    'metadata:',
    `  name: ${m.name}`,
    '  labels:',
  ];
  for (const [k, v] of Object.entries(m.labels)) lines.push(`    ${k}: ${quoteIfNeeded(v)}`);
  lines.push('spec:', `  path: ${quoteIfNeeded(m.path)}`);
  if (m.kind === 'File') {
    lines.push('  content: |');
    for (const l of m.content!.replace(/\n$/, '').split('\n')) lines.push(l ? `    ${l}` : '');
    lines.push(`  mode: "${m.mode}"`);
  } else if (m.kind === 'Directory') lines.push(`  mode: "${m.mode}"`);
  else lines.push(`  target: ${quoteIfNeeded(m.target!)}`);
  return lines.join('\n') + '\n';
}

export function repoConfigYaml(): string {
  return `version: 1\nstacks:\n  ${STACK}:\n    path: ${STACK_PATH}\n    targets:\n      fs: ${TARGET}\n    apply: auto\n    prune: true\n`;
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
export async function generatedRepo(n: number, seed = 1): Promise<GeneratedRepo> {
  const dir = join(WORK_DIR, 'repos', `manifests-${n}-s${seed}-v${GENERATOR_VERSION}.git`);
  const infoFile = join(dir, 'bench-info.json');
  if (existsSync(infoFile)) return JSON.parse(readFileSync(infoFile, 'utf8')) as GeneratedRepo;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating a ${n}-resource manifest repository in ${dir}`);
  await runOk('git', ['init', '-q', '--bare', '-b', 'main', dir]);
  const ms = manifests(n, seed);
  const files = new Map<string, string>([
    ['driftless.yaml', repoConfigYaml()],
    ['README.md', `# Generated manifests\n\n${n} resources for driftless benchmarks.\n`],
  ]);
  let bytes = 0;
  const kinds: Record<string, number> = {};
  for (const m of ms) {
    const y = manifestYaml(m);
    if (files.has(m.manifestPath)) throw new Error(`generator produced ${m.manifestPath} twice`);
    files.set(m.manifestPath, y);
    bytes += Buffer.byteLength(y);
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
  }
  await runOk('git', ['fast-import', '--quiet'], { cwd: dir, input: fastImportStream(files, `Generated ${n} manifests`) });
  await runOk('git', ['repack', '-adq'], { cwd: dir });
  const info: GeneratedRepo = {
    dir,
    resources: ms.length,
    files: ms.length,
    bytes,
    kinds,
    filePaths: ms.filter((m) => m.kind === 'File').map((m) => m.manifestPath),
    head: gitSync(dir, 'rev-parse', 'refs/heads/main'),
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

/**
 * Commit a change of one manifest (a File's content gets one more line) on top of main, with
 * fast-import (the new objects arrive as a small pack, as a fetch would bring them). Returns the sha.
 */
export async function commitOneFileChange(repoDir: string, manifestPath: string, stamp: string): Promise<string> {
  const current = gitSync(repoDir, 'cat-file', 'blob', `refs/heads/main:${manifestPath}`);
  const changed = current.replace(/\n  mode: /, `\n    # edited ${stamp}\n  mode: `) + '\n';
  const stream = fastImportStream(new Map([[manifestPath, changed]]), `Edit ${manifestPath} (${stamp})`, 'refs/heads/main^0');
  await runOk('git', ['fast-import', '--quiet'], { cwd: repoDir, input: stream });
  return gitSync(repoDir, 'rev-parse', 'refs/heads/main');
}
