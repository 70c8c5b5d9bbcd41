import * as fs from 'node:fs';
import { existsSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { mapLimit } from '../sdk/concurrency.js';
import { ObjectStore, parseTree } from './object-store.js';
import { appendNote } from './notes.js';
import { enclosingWorkTree } from './work-tree.js';
import { loadGit } from './load.js';
import { resolveRefInPlace } from './refs.js';

export interface TreeFile {
  path: string; // repository-relative, forward slashes
  oid: string;
}

export class GitError extends Error {
  override name = 'GitError';
}

/**
 * A git repository read straight from commits (no work tree): objects through the object store,
 * isomorphic-git (loaded on first use, see load.ts) for whatever that cannot read, history and writes.
 * Local repositories are read in place; remote ones are mirrored (see mirror.ts).
 * One shared object cache serves every call; writes (fetch, refs, notes) are serialised.
 */
export class GitRepository {
  /** isomorphic-git's pack cache: shared by every read. */
  readonly cache: object = {};
  private writes: Promise<unknown> = Promise.resolve();
  private treeCache = new Map<string, { path: string; oid: string; type: string }[]>();
  private treeCacheEntries = 0;
  /**
   * Tree entries kept for later walks (about 300 bytes each). A long-lived process walks each new
   * commit and reuses every unchanged subtree; a process that plans once and exits walks each tree
   * once, so it keeps only a few (Workspace sets it): 100,000 files held 36 MB of entries to the end.
   */
  treeCacheLimit = 250_000;
  /** Fast reads of packed and loose objects; isomorphic-git reads whatever this cannot. */
  readonly objects: ObjectStore;

  constructor(
    readonly gitdir: string,
    /** Prefix under which branches are found (`refs/remotes/origin/` for a mirror). */
    readonly branchPrefix = 'refs/heads/',
  ) {
    this.objects = new ObjectStore(gitdir);
  }

  /** Open a local repository (work tree or bare) in place. */
  static openLocal(path: string): GitRepository {
    const abs = resolvePath(path);
    if (!existsSync(abs)) throw new GitError(`repository ${path} does not exist`);
    const dotgit = join(abs, '.git');
    if (existsSync(dotgit) && statSync(dotgit).isDirectory()) return new GitRepository(dotgit);
    if (existsSync(join(abs, 'HEAD')) && existsSync(join(abs, 'objects'))) return new GitRepository(abs);
    const top = enclosingWorkTree(abs);
    if (top)
      throw new GitError(
        `${path} is not a git repository (no .git directory and not a bare repository): it is a folder inside the work tree of ${top}. ` +
          `driftless reads a repository's commits: give that repository (--repo ${top}), or make this folder a repository of its own (git init, git add, git commit)`,
      );
    throw new GitError(`${path} is not a git repository (no .git directory and not a bare repository)`);
  }

  /** Run a write operation after every earlier one has finished (isomorphic-git writes are not concurrency-safe). */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn, fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /**
   * What a ref names (isomorphic-git's resolveRef). A local repository is read in place (refs.ts),
   * without loading isomorphic-git; a mirror, whose refs isomorphic-git writes, asks it.
   */
  protected resolveRef(ref: string): Promise<string> {
    return resolveRefInPlace(this.gitdir, ref);
  }

  /** Resolve a branch, tag, full ref or (abbreviated) sha to a commit sha. */
  async resolve(ref: string): Promise<string> {
    const candidates = ref.startsWith('refs/') ? [ref] : [this.branchPrefix + ref, `refs/tags/${ref}`, ref];
    for (const c of candidates) {
      let oid: string;
      try {
        oid = await this.resolveRef(c);
      } catch {
        continue; // try the next form
      }
      try {
        return await this.peel(oid);
      } catch (err) {
        if (err instanceof GitError) throw err; // a ref that names no commit is an error of its own
        // the object is missing (a full sha resolves to itself): try the next form
      }
    }
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      try {
        const oid = await (await loadGit()).expandOid({ fs, gitdir: this.gitdir, oid: ref.toLowerCase(), cache: this.cache });
        return await this.peel(oid);
      } catch {
        /* fall through */
      }
    }
    throw new GitError(`cannot resolve "${ref}" to a commit (not a branch, tag or known sha)`);
  }

  private async peel(oid: string): Promise<string> {
    for (let i = 0; i < 10; i++) {
      const obj = await this.objects.read(oid);
      const type = obj ? obj.type : (await (await loadGit()).readObject({ fs, gitdir: this.gitdir, oid, cache: this.cache, format: 'parsed' })).type;
      if (type === 'commit') return oid;
      if (type === 'tag') {
        oid = obj ? headerField(obj.data, 'object') : (await (await loadGit()).readTag({ fs, gitdir: this.gitdir, oid, cache: this.cache })).tag.object;
        continue;
      }
      throw new GitError(`${oid} is a ${type}, not a commit`);
    }
    throw new GitError(`tag chain too long at ${oid}`);
  }

  /**
   * The root tree of a commit. Read through the object store: going through isomorphic-git here
   * would make it load and index the whole pack a second time.
   */
  private async commitTree(commit: string): Promise<string> {
    const obj = await this.objects.read(commit);
    if (obj?.type === 'commit') return headerField(obj.data, 'tree');
    return (await (await loadGit()).readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache })).commit.tree;
  }

  async commitInfo(sha: string): Promise<{ sha: string; message: string; author: string; email: string; time: number; parents: string[] }> {
    const { commit } = await (await loadGit()).readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
    return { sha, message: commit.message, author: commit.author.name, email: commit.author.email, time: commit.author.timestamp, parents: commit.parent };
  }

  private async readTreeEntries(oid: string): Promise<{ path: string; oid: string; type: string }[]> {
    let entries = this.treeCache.get(oid);
    if (!entries) {
      const obj = await this.objects.read(oid);
      if (obj?.type === 'tree') {
        entries = parseTree(obj.data).map((e) => ({ path: e.path, oid: e.oid, type: e.type }));
      } else {
        const { tree } = await (await loadGit()).readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
        entries = tree.map((e) => ({ path: e.path, oid: e.oid, type: e.type }));
      }
      if (this.treeCacheEntries + entries.length > this.treeCacheLimit) {
        this.treeCache.clear();
        this.treeCacheEntries = 0;
      }
      this.treeCache.set(oid, entries);
      this.treeCacheEntries += entries.length;
    }
    return entries;
  }

  /** The oid of the tree at `dir` (repository-relative, '' for the root) in `commit`, or null. */
  async treeOid(commit: string, dir: string): Promise<string | null> {
    let oid = await this.commitTree(commit);
    for (const seg of splitPath(dir)) {
      const entries = await this.readTreeEntries(oid);
      const e = entries.find((x) => x.path === seg);
      if (e?.type !== 'tree') return null;
      oid = e.oid;
    }
    return oid;
  }

  /** Every blob below `dir` at `commit` whose name passes `accept`, sorted by path. */
  async listFiles(commit: string, dir: string, accept: (path: string) => boolean = () => true): Promise<TreeFile[]> {
    const root = await this.treeOid(commit, dir);
    if (!root) return [];
    const prefix = splitPath(dir).join('/');
    const out: TreeFile[] = [];
    await this.objects.withPacksOpen(() => this.walkTree(root, prefix, accept, out));
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async walkTree(oid: string, prefix: string, accept: (p: string) => boolean, out: TreeFile[]): Promise<void> {
    const entries = await this.readTreeEntries(oid);
    const subtrees: Promise<void>[] = [];
    for (const e of entries) {
      const p = prefix ? `${prefix}/${e.path}` : e.path;
      if (e.type === 'tree') subtrees.push(this.walkTree(e.oid, p, accept, out));
      else if (e.type === 'blob' && accept(p)) out.push({ path: p, oid: e.oid });
    }
    await Promise.all(subtrees);
  }

  /** A file's blob at a commit, or null when absent. */
  async readFileAt(commit: string, path: string): Promise<{ oid: string; content: Buffer } | null> {
    const parts = splitPath(path);
    const name = parts.pop();
    if (!name) return null;
    const dirOid = await this.treeOid(commit, parts.join('/'));
    if (!dirOid) return null;
    const e = (await this.readTreeEntries(dirOid)).find((x) => x.path === name && x.type === 'blob');
    if (!e) return null;
    return { oid: e.oid, content: await this.readBlob(e.oid) };
  }

  async readBlob(oid: string): Promise<Buffer> {
    const obj = await this.objects.read(oid);
    if (obj?.type === 'blob') return obj.data;
    const { blob } = await (await loadGit()).readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  /**
   * Read many blobs as UTF-8 text, each decoded as it is read (the bytes are not kept). Packed ones
   * are read in pack order (delta bases stay cached), yielding to the event loop now and then; the
   * rest (loose, or anything the fast path cannot read) one by one.
   */
  async readTexts(oids: string[], concurrency = 16): Promise<string[]> {
    const out = new Array<string>(oids.length);
    await this.eachText(
      oids,
      (i, text) => {
        out[i] = text;
      },
      concurrency,
    );
    return out;
  }

  /**
   * readTexts, each text handed to `take` (with its index in `oids`) as soon as it is read, in no
   * particular order: a caller that is done with a text before the next drops it young.
   */
  async eachText(oids: string[], take: (i: number, text: string) => void, concurrency = 16): Promise<void> {
    const order = oids.map((oid, i) => ({ i, at: this.objects.packOrder(oid) })).sort((a, b) => a.at - b.at);
    const rest: number[] = [];
    let n = 0;
    this.objects.planBulk(order.filter((o) => o.at >= 0).map((o) => oids[o.i]));
    try {
      for (const { i, at } of order) {
        const obj = at >= 0 ? this.objects.readPacked(oids[i]) : null;
        if (obj?.type === 'blob') take(i, obj.data.toString('utf8'));
        else rest.push(i);
        if (++n % 512 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.objects.endBulk(); // the pack's bytes and file let go, whatever `take` did
    }
    await mapLimit(rest, concurrency, async (i) => {
      take(i, (await this.readBlob(oids[i])).toString('utf8'));
    });
  }

  /** Bring the repository up to date with its source: nothing to do for a local one (a mirror fetches). */
  async update(): Promise<void> {}

  /**
   * A change request's ref (`refs/pull/7/merge` on GitHub): a local repository resolves it, a
   * mirror fetches it (`have`: a commit already here, to keep the fetch small).
   */
  async fetchChangeRef(ref: string, _have?: string): Promise<string> {
    return this.resolve(ref);
  }

  /** The best common ancestor of two commits, or null when they share no history. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    try {
      const bases = await (await loadGit()).findMergeBase({ fs, gitdir: this.gitdir, oids: [a, b], cache: this.cache });
      return (bases[0] as string | undefined) ?? null;
    } catch {
      return null;
    }
  }

  /** Is `ancestor` the commit `oid` itself or one of its ancestors? */
  async includes(oid: string, ancestor: string): Promise<boolean> {
    if (oid === ancestor) return true;
    try {
      return await (await loadGit()).isDescendent({ fs, gitdir: this.gitdir, oid, ancestor, depth: -1, cache: this.cache });
    } catch {
      return false;
    }
  }

  /** Record a git note on a commit where people will see it (see notes.ts); a mirror also pushes it. */
  async publishNote(commit: string, text: string, marker: string): Promise<void> {
    await appendNote(this, commit, text, marker);
  }

  /**
   * Make branch `name` (refs/heads/NAME) point at `commit` where people will find it: in a local
   * repository the branch is written in place (moved if it exists); a mirror also pushes it.
   */
  async publishBranch(name: string, commit: string): Promise<void> {
    await this.serialize(async () => {
      await (await loadGit()).writeRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${name}`, value: commit, force: true });
    });
  }

  /**
   * Paths that differ between two commits (added, removed or modified blobs), found by comparing
   * tree ids and descending only into subtrees whose ids differ.
   */
  async changedPaths(from: string | null, to: string): Promise<string[]> {
    const toTree = await this.commitTree(to);
    const fromTree = from ? await this.commitTree(from) : null;
    const out: ChangedFile[] = [];
    await this.diffTrees(fromTree, toTree, '', out);
    return out.map((c) => c.path).sort();
  }

  /**
   * The blobs that differ between two trees (of one folder at two commits), with their ids on each
   * side (null: absent there), sorted by path relative to the trees. Reads only the subtrees that differ.
   */
  async changedFiles(fromTree: string | null, toTree: string | null): Promise<ChangedFile[]> {
    const out: ChangedFile[] = [];
    await this.diffTrees(fromTree, toTree, '', out);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async diffTrees(a: string | null, b: string | null, prefix: string, out: ChangedFile[]): Promise<void> {
    if (a === b) return;
    const ea = a ? await this.readTreeEntries(a) : [];
    const eb = b ? await this.readTreeEntries(b) : [];
    const ma = new Map(ea.map((e) => [e.path, e]));
    const mb = new Map(eb.map((e) => [e.path, e]));
    const names = new Set([...ma.keys(), ...mb.keys()]);
    const pending: Promise<void>[] = [];
    for (const name of names) {
      const x = ma.get(name);
      const y = mb.get(name);
      if (x && y && x.oid === y.oid && x.type === y.type) continue;
      const p = prefix ? `${prefix}/${name}` : name;
      const xt = x?.type === 'tree' ? x.oid : null;
      const yt = y?.type === 'tree' ? y.oid : null;
      if (xt || yt) pending.push(this.diffTrees(xt, yt, p, out));
      const xb = x && x.type !== 'tree' ? x.oid : null;
      const yb = y && y.type !== 'tree' ? y.oid : null;
      if (xb || yb) out.push({ path: p, from: xb, to: yb });
    }
    await Promise.all(pending);
  }
}

/** A blob that differs between two trees: its ids before and after (null: absent on that side). */
export interface ChangedFile {
  path: string;
  from: string | null;
  to: string | null;
}

export function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s && s !== '.');
}

/** The first header line of a commit (`tree <sha>`) or an annotated tag (`object <sha>`). */
function headerField(data: Buffer, name: 'tree' | 'object'): string {
  const m = new RegExp(`^${name} ([0-9a-f]{40})\n`).exec(data.toString('latin1', 0, 64));
  if (!m) throw new GitError(`malformed git object: it does not start with a ${name} line`);
  return m[1];
}
