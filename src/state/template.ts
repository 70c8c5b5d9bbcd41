/** The state template: an embedded data dir with initdb already done, packed at build time and unpacked on the first open. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../sdk/package-root.js';

/**
 * Where the build puts the template (`npm run build`, `prepare`, `prepack`: scripts/state-template.mjs).
 * Running PostgreSQL's initdb inside PGlite peaks at ~670 MB; unpacking this instead costs what a re-open costs.
 */
export const TEMPLATE_DIR = join(PACKAGE_ROOT, 'dist', 'state-template');
const ARCHIVE = 'pglite-data.tar.gz';
const META = 'pglite-data.json';

/** Written beside the archive: the template fits only the PGlite it was made with. */
export interface TemplateMeta {
  pglite: string;
  /** Size of the archive, to notice one replaced without its description. */
  bytes: number;
}

/** How an embedded data dir came to be on this open. */
export type EmbeddedStart = { from: 'existing' } | { from: 'template'; template: string } | { from: 'initdb'; reason: string };

/** The installed @electric-sql/pglite's version (its package.json is not among its exports). */
export function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('the package.json of @electric-sql/pglite was not found');
    dir = up;
  }
}

/** The template's archive if it can be used with the installed PGlite, else why not. */
export function usableTemplate(templateDir: string, version = pgliteVersion()): { archive: string } | { problem: string } {
  const archive = join(templateDir, ARCHIVE);
  const metaFile = join(templateDir, META);
  if (!existsSync(archive) || !existsSync(metaFile)) return { problem: `no state template in ${templateDir} (npm run build makes one)` };
  let meta: TemplateMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as TemplateMeta;
  } catch (err) {
    return { problem: `${metaFile} is not readable JSON: ${(err as Error).message}` };
  }
  if (meta.pglite !== version)
    return { problem: `the state template was made with PGlite ${meta.pglite}, this is PGlite ${version} (npm run build makes a new one)` };
  if (meta.bytes !== statSync(archive).size) return { problem: `${archive} is not the archive ${META} describes (${meta.bytes} bytes)` };
  return { archive };
}

/**
 * Make `dir` (a data dir that does not exist yet or is empty) from the template: unpacked beside it,
 * then renamed into place, so a process that dies half-way leaves no half data dir behind.
 * PGlite's own `loadDataDir` option unpacks a tarball too, but whole in memory (measured: 227 MB
 * peak and +1.6 s over a re-open); node-tar streams it to disk (~145 MB, the re-open's ~120 MB + the unpack).
 */
async function unpack(archive: string, dir: string): Promise<void> {
  const partial = `${dir}.unpacking`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const tar = await import('tar');
  // Synchronous: node-tar's asynchronous extraction sends each of the ~1,000 files' calls through the
  // thread pool (0.7-1.0 s wall, 0.8-1.2 s CPU); this takes 0.17-0.29 s and 0.2-0.36 s, and happens
  // once per new data dir.
  tar.x({ file: archive, cwd: partial, preserveOwner: false, strict: true, sync: true });
  rmSync(dir, { recursive: true, force: true }); // empty (checked by the caller)
  renameSync(partial, dir);
}

/**
 * Before PGlite opens `dir`: a data dir already there is used as it is; a missing or empty one is
 * unpacked from the template when it fits the installed PGlite; otherwise PGlite runs initdb.
 */
export async function seedDataDir(dir: string, templateDir: string | null = TEMPLATE_DIR): Promise<EmbeddedStart> {
  if (existsSync(join(dir, 'PG_VERSION'))) return { from: 'existing' };
  if (existsSync(dir) && readdirSync(dir).length > 0) return { from: 'initdb', reason: `${dir} is not empty but holds no data dir` };
  if (templateDir === null) return { from: 'initdb', reason: 'no template asked for' };
  const t = usableTemplate(templateDir);
  if ('problem' in t) return { from: 'initdb', reason: t.problem };
  await unpack(t.archive, dir);
  return { from: 'template', template: t.archive };
}

/**
 * Make the template in `templateDir`: run initdb in a scratch data dir, close it cleanly, pack it.
 * Returns false without doing anything when a template for the installed PGlite is already there.
 */
export async function writeTemplate(templateDir: string = TEMPLATE_DIR, opts: { force?: boolean } = {}): Promise<boolean> {
  const version = pgliteVersion();
  if (!opts.force && 'archive' in usableTemplate(templateDir, version)) return false;
  const scratch = mkdtempSync(join(tmpdir(), 'driftless-template-'));
  try {
    const data = join(scratch, 'data');
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(data);
    await db.waitReady;
    await db.close();
    if (!existsSync(join(data, 'PG_VERSION'))) throw new Error(`PGlite left no data dir in ${data}`);
    mkdirSync(templateDir, { recursive: true });
    const tar = await import('tar');
    const archive = join(templateDir, ARCHIVE);
    const partial = `${archive}.partial`;
    // portable: no owner, no host-specific fields; the order of readdir is the only thing left to chance.
    await tar.c({ file: partial, cwd: data, gzip: true, portable: true }, ['.']);
    rmSync(join(templateDir, META), { force: true });
    renameSync(partial, archive);
    const meta: TemplateMeta = { pglite: version, bytes: statSync(archive).size };
    writeFileSync(join(templateDir, META), `${JSON.stringify(meta, null, 2)}\n`);
    return true;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
