import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temp dir, driven by git's own CLI. */
export class TestRepo {
  constructor(readonly dir: string) {}

  static create(files: Record<string, string> = {}, opts: { bare?: boolean; branch?: string } = {}): TestRepo {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-repo-'));
    const r = new TestRepo(dir);
    r.git('init', '-q', '-b', opts.branch ?? 'main');
    r.git('config', 'user.email', 'test@driftless.invalid');
    r.git('config', 'user.name', 'Test');
    r.git('config', 'commit.gpgsign', 'false');
    if (Object.keys(files).length) r.commit(files, 'initial');
    return r;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  /** Write files (null deletes) and commit them; returns the new sha. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    const added: string[] = [];
    const removed: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      const abs = join(this.dir, path);
      if (content === null) {
        rmSync(abs, { force: true });
        removed.push(path);
      } else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
        added.push(path);
      }
    }
    // One git process per 500 paths, not one per file (a commit of thousands of files stays fast).
    for (let i = 0; i < removed.length; i += 500) this.git('rm', '-q', '--cached', '--ignore-unmatch', '--', ...removed.slice(i, i + 500));
    for (let i = 0; i < added.length; i += 500) this.git('add', '--', ...added.slice(i, i + 500));
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(ref = 'HEAD'): string {
    return this.git('rev-parse', ref);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function tempDir(prefix = 'driftless-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A manifest document as YAML text. */
export function manifest(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  meta: Record<string, unknown> = {},
  apiVersion = 'fs.driftless.dev/v1',
): string {
  const lines = [`apiVersion: ${apiVersion}`, `kind: ${kind}`, 'metadata:', `  name: ${name}`];
  for (const [k, v] of Object.entries(meta)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  lines.push('spec:');
  for (const [k, v] of Object.entries(spec)) lines.push(`  ${k}: ${typeof v === 'string' && v.startsWith('!') ? v : JSON.stringify(v)}`);
  return lines.join('\n') + '\n';
}

export const FS_REPO_CONFIG = `version: 1
stacks:
  web:
    path: stacks/web
    targets:
      fs: files
`;
