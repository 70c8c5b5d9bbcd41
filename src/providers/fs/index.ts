import { chmod, lstat, mkdir, readFile, readlink, realpath, rename, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Desired, KindInfo, Observed, Provider, Recorded, Session, Spec, TargetConfig } from '../../sdk/provider.js';
import { ProviderError } from '../../sdk/provider.js';
import { reveal } from '../../sdk/secret-value.js';
import { confine, ensureParents, linkStaysInside, normalizeRel } from './paths.js';
import { validatePath, validateSymlink } from './validate.js';
import { mapLimit } from '../../sdk/concurrency.js';
import directorySchema from './schemas/Directory.schema.json' with { type: 'json' };
import fileSchema from './schemas/File.schema.json' with { type: 'json' };
import symlinkSchema from './schemas/Symlink.schema.json' with { type: 'json' };
import targetSchema from './schemas/target.schema.json' with { type: 'json' };

function parents(path: string): { kind: string; key: string }[] {
  let n: string;
  try {
    n = normalizeRel(path);
  } catch {
    return [];
  }
  const segs = n.split('/');
  const out: { kind: string; key: string }[] = [];
  for (let i = 1; i < segs.length; i++) out.push({ kind: 'Directory', key: segs.slice(0, i).join('/') });
  return out;
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

async function lstatOrNull(p: string) {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Replace whatever is at `abs` with a regular file, atomically and without following a symlink there. */
async function writeAtomic(abs: string, content: string, mode: number): Promise<void> {
  const tmp = join(dirname(abs), `.driftless-${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode); // the umask may have trimmed it
  const st = await lstatOrNull(abs);
  if (st?.isDirectory()) {
    await unlink(tmp);
    throw new ProviderError(`${abs} is a directory where a file belongs`);
  }
  await rename(tmp, abs);
}

class FsSession implements Session {
  constructor(readonly root: string) {}

  private path(r: { id: string; spec: Spec }, linkLeaf = false, checked?: Map<string, Promise<void>>): Promise<string> {
    return confine(this.root, String(r.spec.path), r.id, linkLeaf, checked);
  }

  async read(r: Recorded, checked?: Map<string, Promise<void>>): Promise<Observed | null> {
    const abs = await this.path(r, true, checked);
    const st = await lstatOrNull(abs);
    if (!st) return null;
    const rel = normalizeRel(String(r.spec.path));
    switch (r.kind) {
      case 'File': {
        if (!st.isFile()) return { spec: { path: r.spec.path, content: null, mode: null } };
        const content = await readFile(abs, 'utf8');
        return { spec: { path: r.spec.path, content, mode: modeOf(st.mode) }, outputs: { path: rel, sha256: sha(content) } };
      }
      case 'Directory':
        if (!st.isDirectory()) return { spec: { path: r.spec.path, mode: null } };
        return { spec: { path: r.spec.path, mode: modeOf(st.mode) }, outputs: { path: rel } };
      case 'Symlink':
        if (!st.isSymbolicLink()) return { spec: { path: r.spec.path, target: null } };
        return { spec: { path: r.spec.path, target: await readlink(abs) }, outputs: { path: rel } };
      default:
        throw new ProviderError(`unknown kind ${r.kind}`, r.id);
    }
  }

  /** Batched refresh: each parent directory is checked against symlinks once for the whole batch. */
  async readMany(rs: Recorded[]): Promise<(Observed | null)[]> {
    const checked = new Map<string, Promise<void>>();
    return mapLimit(rs, 64, (r) => this.read(r, checked));
  }

  async create(r: Desired): Promise<Spec> {
    return this.put(r);
  }

  async update(r: Desired): Promise<Spec> {
    return this.put(r);
  }

  private async put(r: Desired): Promise<Spec> {
    const rel = normalizeRel(String(r.spec.path), r.id);
    switch (r.kind) {
      case 'File': {
        const abs = await this.path(r);
        await ensureParents(this.root, abs, r.id);
        const content = String(r.spec.content ?? '');
        await writeAtomic(abs, content, parseMode(r.spec.mode, 0o644));
        return { path: rel, sha256: sha(content) };
      }
      case 'Directory': {
        const abs = await this.path(r);
        await ensureParents(this.root, abs, r.id);
        const st = await lstatOrNull(abs);
        if (st && !st.isDirectory()) {
          if (st.isSymbolicLink()) await unlink(abs);
          else throw new ProviderError(`${rel} exists and is not a directory`, r.id);
        }
        await mkdir(abs, { recursive: true });
        await chmod(abs, parseMode(r.spec.mode, 0o755));
        return { path: rel };
      }
      case 'Symlink': {
        const abs = await this.path(r, true);
        const target = String(r.spec.target);
        if (!linkStaysInside(this.root, abs, target))
          throw new ProviderError(`symlink target "${target}" leaves the target's root (absolute or too many "..")`, r.id);
        await ensureParents(this.root, abs, r.id);
        const st = await lstatOrNull(abs);
        if (st?.isDirectory()) throw new ProviderError(`${rel} is a directory where a symlink belongs`, r.id);
        const tmp = join(dirname(abs), `.driftless-${randomBytes(6).toString('hex')}.lnk`);
        await symlink(target, tmp);
        await rename(tmp, abs);
        return { path: rel };
      }
      default:
        throw new ProviderError(`unknown kind ${r.kind}`, r.id);
    }
  }

  async delete(prior: Recorded): Promise<void> {
    const abs = await this.path(prior, true);
    const st = await lstatOrNull(abs);
    if (!st) return;
    if (prior.kind === 'Directory' && st.isDirectory()) {
      try {
        await rmdir(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
          throw new ProviderError(`directory ${prior.spec.path} is not empty: it holds files this stack does not manage; refusing to delete them`, prior.id);
        }
        throw err;
      }
      return;
    }
    if (st.isDirectory()) throw new ProviderError(`${prior.spec.path} is now a directory; refusing to delete it as a ${prior.kind}`, prior.id);
    await unlink(abs);
  }

  async close(): Promise<void> {}
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
  async connect(target: TargetConfig): Promise<Session> {
    const root = reveal(target.root);
    if (!root) throw new ProviderError(`target ${target.name}: "root" is required for the fs provider`);
    const abs = resolve(root);
    await mkdir(abs, { recursive: true });
    return new FsSession(await realpath(abs));
  },
};
