import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { GitRepository, GitError } from './repository.js';
import { loadGit, loadHttp } from './load.js';
import { publishRemoteNote } from './notes.js';

/** Remove credentials from a URL before it is printed anywhere. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]+@/, '//***@');
  }
}

/**
 * A remote repository mirrored under the data dir: cloned once without checkout, then fetched
 * incrementally. Branches live under refs/remotes/origin/. The token (if any) is sent with the
 * first request as HTTP Basic `x-access-token:TOKEN`, which GitHub and most forges accept.
 */
export class Mirror extends GitRepository {
  private readonly headers: Record<string, string>;

  private constructor(
    gitdir: string,
    readonly url: string,
    token?: string,
  ) {
    super(gitdir, 'refs/remotes/origin/');
    this.headers = { 'user-agent': 'driftless' };
    if (token) this.headers.authorization = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  }

  static dirFor(dataDir: string, url: string): string {
    const u = new URL(url);
    const slug = `${u.host}${u.pathname}`
      .replace(/\.git$/, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 80);
    const hash = createHash('sha256').update(url).digest('hex').slice(0, 8);
    return join(dataDir, 'mirrors', `${slug}-${hash}.git`);
  }

  /** Open (cloning on first use) the mirror of `url` under `dataDir`. */
  static async open(url: string, dataDir: string, token?: string): Promise<Mirror> {
    const dir = Mirror.dirFor(dataDir, url);
    const m = new Mirror(dir, url, token);
    if (!existsSync(join(dir, 'HEAD'))) {
      mkdirSync(dir, { recursive: true });
      await m.serialize(async () => {
        const [git, http] = await Promise.all([loadGit(), loadHttp()]);
        try {
          await git.clone({ fs, http, dir, gitdir: dir, url, noCheckout: true, headers: m.headers, cache: m.cache });
        } catch (err) {
          throw new GitError(`cannot clone ${redactUrl(url)}: ${describe(err)}`);
        }
      });
    }
    return m;
  }

  /** isomorphic-git writes this repository's refs while fetching: resolve through it, under its ref lock. */
  protected override async resolveRef(ref: string): Promise<string> {
    return (await loadGit()).resolveRef({ fs, gitdir: this.gitdir, ref });
  }

  /** A mirror is brought up to date by fetching. */
  override async update(): Promise<void> {
    await this.fetch();
  }

  override async fetchChangeRef(ref: string, have?: string): Promise<string> {
    return this.fetchRef(ref, have);
  }

  override async publishNote(commit: string, text: string, marker: string): Promise<void> {
    await publishRemoteNote(this, commit, text, marker);
  }

  /** Write the branch in the mirror (refs/heads/, apart from the fetched refs/remotes/origin/) and push it, moving it if it exists. */
  override async publishBranch(name: string, commit: string): Promise<void> {
    await super.publishBranch(name, commit);
    try {
      await this.pushRef(`refs/heads/${name}`, true);
    } catch (err) {
      throw err instanceof GitError ? err : new GitError(`cannot push branch ${name} to ${redactUrl(this.url)}: ${describe(err)}`);
    }
  }

  /** Fetch every branch and tag. */
  async fetch(): Promise<void> {
    await this.serialize(async () => {
      const [git, http] = await Promise.all([loadGit(), loadHttp()]);
      try {
        await git.fetch({
          fs,
          http,
          gitdir: this.gitdir,
          url: this.url,
          singleBranch: false,
          tags: true,
          prune: true,
          headers: this.headers,
          cache: this.cache,
        });
      } catch (err) {
        throw new GitError(`cannot fetch ${redactUrl(this.url)}: ${describe(err)}`);
      }
    });
  }

  /**
   * Fetch one ref (say `refs/pull/7/merge`) into a local ref of the same name. Writing the local ref
   * at `haveSha` first lets the client advertise it as "have", so only new objects come down.
   */
  async fetchRef(remoteRef: string, haveSha?: string): Promise<string> {
    return this.serialize(async () => {
      const [git, http] = await Promise.all([loadGit(), loadHttp()]);
      if (haveSha) {
        await git.writeRef({ fs, gitdir: this.gitdir, ref: remoteRef, value: haveSha, force: true }).catch(() => undefined);
      }
      try {
        const r = await git.fetch({
          fs,
          http,
          gitdir: this.gitdir,
          url: this.url,
          ref: remoteRef,
          remoteRef,
          singleBranch: true,
          tags: false,
          headers: this.headers,
          cache: this.cache,
        });
        const sha = r.fetchHead;
        if (!sha) throw new GitError(`remote has no ${remoteRef}`);
        await git.writeRef({ fs, gitdir: this.gitdir, ref: remoteRef, value: sha, force: true });
        return sha;
      } catch (err) {
        throw new GitError(`cannot fetch ${remoteRef} from ${redactUrl(this.url)}: ${describe(err)}`);
      }
    });
  }

  /** Push a ref (say `refs/notes/driftless`) to the remote. */
  async pushRef(ref: string, force = false): Promise<void> {
    await this.serialize(async () => {
      const [git, http] = await Promise.all([loadGit(), loadHttp()]);
      const r = await git.push({ fs, http, gitdir: this.gitdir, url: this.url, ref, remoteRef: ref, force, headers: this.headers });
      if (!r.ok) throw new GitError(`push of ${ref} was refused: ${JSON.stringify(r.refs)}`);
    });
  }

  remoteHeaders(): Record<string, string> {
    return this.headers;
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
  if (e?.data?.statusCode) return `HTTP ${e.data.statusCode} ${e.data.statusMessage ?? ''}`.trim();
  return redactUrl(e?.message ?? String(err));
}
