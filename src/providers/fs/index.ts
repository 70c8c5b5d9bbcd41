import { chmod, mkdir, readdir, realpath, rmdir, unlink } from 'node:fs/promises';
import { chmodSync, closeSync, constants, lstatSync, openSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { ConnectOptions, Desired, KindInfo, Observed, Provider, Recorded, ResourceWithSpec, Session, Spec, TargetConfig } from '../../sdk/provider.js';
import { ProviderError, ReadOnlySessionError } from '../../sdk/provider.js';
import { reveal } from '../../sdk/secret-value.js';
import { confine, ensureParents, linkStaysInside, normalizeRel, type ParentChecks } from './paths.js';
import { releaseTempName, removeLeftovers, tempName } from './leftovers.js';
import { validatePath, validateSymlink } from './validate.js';
import directorySchema from './schemas/Directory.schema.json' with { type: 'json' };
import fileSchema from './schemas/File.schema.json' with { type: 'json' };
import symlinkSchema from './schemas/Symlink.schema.json' with { type: 'json' };
import targetSchema from './schemas/target.schema.json' with { type: 'json' };

type DirRef = { kind: string; key: string };

/**
 * The directories above a path, as references by natural key. The files of one directory share
 * one frozen list (a list and its strings per file were 180 bytes each, held for the whole plan).
 */
const parentsByDir = new Map<string, readonly DirRef[]>();
const PARENTS_KEPT = 4096;
function parents(path: string): DirRef[] {
  let n: string;
  try {
    n = normalizeRel(path);
  } catch {
    return [];
  }
  const dir = n.slice(0, Math.max(0, n.lastIndexOf('/')));
  let refs = parentsByDir.get(dir);
  if (!refs) {
    const segs = dir ? dir.split('/') : [];
    refs = Object.freeze(segs.map((_, i) => Object.freeze({ kind: 'Directory', key: segs.slice(0, i + 1).join('/') })));
    if (parentsByDir.size >= PARENTS_KEPT) parentsByDir.clear();
    parentsByDir.set(dir, refs);
  }
  return refs as DirRef[];
}

function key(spec: Spec): string {
  try {
    return normalizeRel(String(spec.path));
  } catch {
    return String(spec.path);
  }
}

const normMode = (m: unknown): unknown => (typeof m === 'string' ? m.padStart(4, '0') : m);
/** Every fs field is a scalar; modes compare as octal ("644" equals "0644"). */
const equal: KindInfo['equal'] = (path, a, b) => (path === '/spec/mode' ? normMode(a) === normMode(b) : a === b);

const common = { replaceOn: ['/spec/path'], naturalKey: key, references: (s: Spec) => parents(String(s.path)), equal };
const kinds: Record<string, KindInfo> = {
  File: { schema: fileSchema, ...common, validate: validatePath, outputSources: { path: ['/spec/path'], sha256: ['/spec/content'] } },
  Directory: { schema: directorySchema, ...common, validate: validatePath, outputSources: { path: ['/spec/path'] } },
  Symlink: { schema: symlinkSchema, ...common, validate: validateSymlink, outputSources: { path: ['/spec/path'] } },
};

const modeOf = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');
const parseMode = (m: unknown, dflt: number): number => (typeof m === 'string' ? parseInt(m, 8) : dflt);

/**
 * Replace whatever is at `abs` with a regular file, atomically and without following a symlink
 * there. The calls are synchronous: on a local disk each takes microseconds, and each asynchronous
 * one was a trip through the thread pool (bench/analysis.md, session 6).
 */
function writeAtomic(abs: string, content: string, mode: number): void {
  const tmp = join(dirname(abs), tempName('tmp'));
  try {
    writeFileSync(tmp, content, { mode, flag: 'wx' }); // 'wx': a new file, never through a link planted at that name
  } catch (err) {
    // A write cut short (a full disk) leaves a partial file of ours; a name taken (EEXIST) is not ours.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') unlinkQuietly(tmp);
    releaseTempName(basename(tmp));
    throw err;
  }
  try {
    settle(tmp, abs, () => chmodSync(tmp, mode)); // the umask may have trimmed it
  } catch (err) {
    // rename(2) refuses to put a file over a directory: no lstat before it is needed.
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new ProviderError(`${abs} is a directory where a file belongs`);
    throw err;
  }
}

/** Remove a temporary file of ours, best effort: the error that matters is the one that made us. */
function unlinkQuietly(tmp: string): void {
  try {
    unlinkSync(tmp);
  } catch {
    /* already gone, or not removable: Session.recover finds it later */
  }
}

/**
 * Rename the temporary `tmp` (just made) over `abs`, after `check`. A failure removes `tmp` again;
 * only a process that dies in between leaves it, for `Session.recover` (or a Directory delete) to remove.
 */
function settle(tmp: string, abs: string, check: () => void = () => undefined): void {
  try {
    check();
    renameSync(tmp, abs);
  } catch (err) {
    unlinkQuietly(tmp);
    throw err;
  } finally {
    releaseTempName(basename(tmp));
  }
}

/** How the read path opens a file: read only, and never through a symlink planted since the lstat. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * One target's session. The read path only lstats, opens files O_RDONLY and reads links: it never
 * creates, renames or changes anything. A read-only session (drift checks) refuses every write.
 */
class FsSession implements Session {
  constructor(
    readonly root: string,
    readonly readOnly = false,
  ) {}

  private writable(method: string, id?: string): void {
    if (this.readOnly) throw new ReadOnlySessionError(method, id);
  }

  private path(r: { id: string; spec: Spec }, linkLeaf = false, checked?: ParentChecks): string {
    return confine(this.root, String(r.spec.path), r.id, linkLeaf, checked);
  }

  /**
   * The live object. The calls on the file itself are synchronous: a local lstat and read take
   * microseconds, and each asynchronous one cost a trip through the thread pool (a refresh of
   * 10,000 files: 0.8 s of CPU that way, 0.16 s this way).
   */
  async read(r: Recorded, checked?: ParentChecks): Promise<Observed | null> {
    const abs = this.path(r, true, checked);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return null;
    const rel = normalizeRel(String(r.spec.path));
    switch (r.kind) {
      case 'File': {
        if (!st.isFile()) return { spec: { path: r.spec.path, content: null, mode: null } };
        let content: string;
        try {
          const fd = openSync(abs, READ_FLAGS);
          try {
            content = readFileSync(fd, 'utf8');
          } finally {
            closeSync(fd);
          }
        } catch (err) {
          // Replaced by a symlink since the lstat: not a file (any more).
          if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { spec: { path: r.spec.path, content: null, mode: null } };
          throw err;
        }
        return { spec: { path: r.spec.path, content, mode: modeOf(st.mode) }, outputs: { path: rel, sha256: sha(content) } };
      }
      case 'Directory':
        if (!st.isDirectory()) return { spec: { path: r.spec.path, mode: null } };
        return { spec: { path: r.spec.path, mode: modeOf(st.mode) }, outputs: { path: rel } };
      case 'Symlink':
        if (!st.isSymbolicLink()) return { spec: { path: r.spec.path, target: null } };
        return { spec: { path: r.spec.path, target: readlinkSync(abs) }, outputs: { path: rel } };
      default:
        throw new ProviderError(`unknown kind ${r.kind}`, r.id);
    }
  }

  /**
   * Batched refresh: each parent directory is checked against symlinks once for the whole batch;
   * the event loop turns after every 64 reads, so a service stays responsive during a large one.
   */
  async readMany(rs: Recorded[]): Promise<(Observed | null)[]> {
    const checked: ParentChecks = new Map();
    const out: (Observed | null)[] = [];
    for (const r of rs) {
      if (out.length % 64 === 63) await new Promise((next) => setImmediate(next));
      out.push(await this.read(r, checked));
    }
    return out;
  }

  async create(r: Desired): Promise<Spec> {
    this.writable('create', r.id);
    return this.put(r);
  }

  async update(r: Desired): Promise<Spec> {
    this.writable('update', r.id);
    return this.put(r);
  }

  private async put(r: Desired): Promise<Spec> {
    const rel = normalizeRel(String(r.spec.path), r.id);
    // The parents' checks, made once for the path and the parents it may need created.
    const checked: ParentChecks = new Map();
    switch (r.kind) {
      case 'File': {
        const abs = this.path(r, false, checked);
        ensureParents(this.root, abs, r.id, checked);
        const content = String(r.spec.content ?? '');
        writeAtomic(abs, content, parseMode(r.spec.mode, 0o644));
        return { path: rel, sha256: sha(content) };
      }
      case 'Directory': {
        const abs = this.path(r, false, checked);
        ensureParents(this.root, abs, r.id, checked);
        const st = lstatSync(abs, { throwIfNoEntry: false });
        if (st && !st.isDirectory()) {
          if (st.isSymbolicLink()) await unlink(abs);
          else throw new ProviderError(`${rel} exists and is not a directory`, r.id);
        }
        await mkdir(abs, { recursive: true });
        await chmod(abs, parseMode(r.spec.mode, 0o755));
        return { path: rel };
      }
      case 'Symlink': {
        const abs = this.path(r, true, checked);
        const target = String(r.spec.target);
        if (!linkStaysInside(this.root, abs, target))
          throw new ProviderError(`symlink target "${target}" leaves the target's root (absolute or too many "..")`, r.id);
        ensureParents(this.root, abs, r.id, checked);
        const st = lstatSync(abs, { throwIfNoEntry: false });
        if (st?.isDirectory()) throw new ProviderError(`${rel} is a directory where a symlink belongs`, r.id);
        const tmp = join(dirname(abs), tempName('lnk'));
        try {
          symlinkSync(target, tmp);
        } catch (err) {
          releaseTempName(basename(tmp));
          throw err;
        }
        settle(tmp, abs);
        return { path: rel };
      }
      default:
        throw new ProviderError(`unknown kind ${r.kind}`, r.id);
    }
  }

  async delete(prior: Recorded): Promise<void> {
    this.writable('delete', prior.id);
    const abs = this.path(prior, true);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (prior.kind === 'Directory' && st.isDirectory()) {
      if (await rmdirIfEmpty(abs)) return;
      // Temporary files an interrupted write left are ours: remove them, then try again.
      await removeLeftovers(this.root, [normalizeRel(String(prior.spec.path))]);
      if (await rmdirIfEmpty(abs)) return;
      const names = (await readdir(abs)).sort();
      const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
      throw new ProviderError(
        `directory ${prior.spec.path} is not empty: it holds files this stack does not manage (${shown}); refusing to delete them`,
        prior.id,
      );
    }
    if (st.isDirectory()) throw new ProviderError(`${prior.spec.path} is now a directory; refusing to delete it as a ${prior.kind}`, prior.id);
    await unlink(abs);
  }

  /** Remove the temporary files interrupted writes left in the directories of these resources (and in each Directory). */
  async recover(resources: ResourceWithSpec[]): Promise<string[]> {
    this.writable('recover');
    const dirs = new Set<string>();
    for (const r of resources) {
      if (typeof r.spec.path !== 'string') continue;
      let rel: string;
      try {
        rel = normalizeRel(r.spec.path);
      } catch {
        continue; // a path apply refuses: nothing was written for it
      }
      dirs.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
      if (r.kind === 'Directory') dirs.add(rel);
    }
    const removed = await removeLeftovers(this.root, [...dirs]);
    return removed.map((p) => `removed ${p}, a temporary file an interrupted write left`);
  }

  async close(): Promise<void> {}
}

/** Remove an empty directory; false when it is not empty. */
async function rmdirIfEmpty(abs: string): Promise<boolean> {
  try {
    await rmdir(abs);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export const fsProvider: Provider = {
  name: 'fs',
  group: 'fs.driftless.dev',
  versions: ['v1'],
  kinds,
  targetSchema,
  // Its calls are local and synchronous: 32 at once costs nothing, and makes the journal's
  // statements four times fewer than 8 would (an apply of 10,000 files: 2.5 s less CPU).
  parallelism: 32,
  async connect(target: TargetConfig, options: ConnectOptions = {}): Promise<Session> {
    const root = reveal(target.root);
    if (!root) throw new ProviderError(`target ${target.name}: "root" is required for the fs provider`);
    const abs = resolve(root);
    if (options.readOnly) {
      // Never create the root for a read: a missing root reads as every object gone.
      const real = await realpath(abs).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return abs;
        throw err;
      });
      return new FsSession(real, true);
    }
    await mkdir(abs, { recursive: true });
    return new FsSession(await realpath(abs));
  },
};
