import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TestRepo, tempDir, manifest } from '../helpers/git.js';
import { startGitHttpServer, type GitHttpServer } from '../../testkit/git-http-server.js';
import { startGitHubDouble, type GitHubDouble } from '../../testkit/github-double.js';
import { deliver, pullRequestPayload, pushPayload, issueCommentPayload, commitCommentPayload, type Delivered } from '../../testkit/webhooks.js';
import { loadServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import { startService, type RunningService } from '../../src/service.js';
import type { Pacer } from '../../src/forge/github/pacer.js';

export const OWNER = 'acme';
export const REPO = 'infra';
export const GIT_TOKEN = 'git-token-SHOULD-NOT-LEAK-1234';
export const GITHUB_TOKEN = 'ghp_SHOULD_NOT_LEAK_abcdef123456';
export const WEBHOOK_SECRET = 'whsec-SHOULD-NOT-LEAK-98765';
/** The dashboard's GitHub login (World.create with `oauth`): the OAuth app's secret and the cookie signing key. */
export const OAUTH_CLIENT_ID = 'Ov23li-driftless-test';
export const OAUTH_CLIENT_SECRET = 'oauth-client-secret-SHOULD-NOT-LEAK-4711';
export const SESSION_SECRET = 'session-key-SHOULD-NOT-LEAK-0123456789abcdef';

export const REPO_CONFIG = `version: 1
stacks:
  web:
    path: stacks/web
    targets:
      fs: files
    apply: auto
  ops:
    path: stacks/ops
    targets:
      fs: files
    apply: auto
`;

export function webFile(name: string, content: string): Record<string, string> {
  return { [`stacks/web/${name}.yaml`]: manifest('File', name, { path: `web/${name}.txt`, content }) };
}

export function opsFile(name: string, content: string): Record<string, string> {
  return { [`stacks/ops/${name}.yaml`]: manifest('File', name, { path: `ops/${name}.txt`, content }) };
}

/**
 * A freshly migrated embedded store, made once per machine and copied into each world's data dir:
 * creating a PGlite database takes seconds, copying a closed one milliseconds.
 */
async function embeddedTemplate(): Promise<string> {
  const { migrations: core } = await import('../../src/state/migrations/index.js');
  const { durableMigrations } = await import('../../src/reconcile/durable/migration.js');
  const migrations = [...core, ...durableMigrations];
  const dir = join(tmpdir(), `driftless-test-pglite-v${Math.max(...migrations.map((m) => m.version))}-${migrations.reduce((n, m) => n + m.sql.length, 0)}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  const { openEmbedded } = await import('../../src/state/db.js');
  const { migrate } = await import('../../src/state/migrate.js');
  const db = await openEmbedded(building);
  await migrate(db, migrations);
  await db.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another worker made it first
  }
  return dir;
}

/** Wait until `fn` returns a truthy value (no timing is asserted; the deadline only ends a hung test). */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One world for a service test: a bare repository served by `git http-backend` (with a token), a
 * working clone that plays the developers and GitHub's merge machinery, the GitHub double, and the
 * service itself (in-process; its logs are captured to check that no secret appears).
 */
export class World {
  readonly root = tempDir('driftless-world-');
  readonly bare = join(this.root, 'srv', `${REPO}.git`);
  readonly dataDir = join(this.root, 'data');
  readonly targetRoot = join(this.root, 'target');
  work!: TestRepo;
  git!: GitHttpServer;
  gh!: GitHubDouble;
  svc?: RunningService;
  logs: string[] = [];
  config!: ServerConfig;
  private deliveryN = 0;

  /** Lines appended to the server config (e.g. a `policy:` section). */
  extraConfig: string[] = [];

  /** Server-config secrets (name -> value), given to the service through the environment. */
  appSecrets: Record<string, string> = {};

  static async create(
    files: Record<string, string>,
    opts: { poll?: string; stateUrl?: string; app?: boolean; prefix?: string; secrets?: Record<string, string>; oauth?: boolean } = {},
  ): Promise<World> {
    const w = new World();
    w.appSecrets = opts.secrets ?? {};
    mkdirSync(join(w.root, 'srv'), { recursive: true });
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', w.bare]);
    execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: w.bare });
    w.work = TestRepo.create(files);
    w.work.git('remote', 'add', 'origin', w.bare);
    w.work.git('push', '-q', 'origin', 'main');
    w.git = await startGitHttpServer(join(w.root, 'srv'), { token: GIT_TOKEN });
    let app: { id: string; installationId: string; publicKeyPem: string } | undefined;
    if (opts.app) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(w.root, 'app-key.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
      app = { id: '4242', installationId: '77', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
    }
    const resolveBranch = (branch: string): string | null => {
      try {
        return execFileSync('git', ['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], { cwd: w.bare, encoding: 'utf8' }).trim() || null;
      } catch {
        return null;
      }
    };
    const oauth = opts.oauth ? { clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET, callbackUrl: 'http://127.0.0.1/login/callback' } : undefined;
    w.gh = await startGitHubDouble({ owner: OWNER, repo: REPO, token: GITHUB_TOKEN, prefix: opts.prefix, app, resolveBranch, oauth });
    if (oauth) {
      const web = new URL(w.gh.url).origin;
      w.extraConfig.push(
        'dashboard:',
        '  auth: github',
        `  oauth: { clientId: ${OAUTH_CLIENT_ID}, clientSecret: { fromEnv: TEST_OAUTH_CLIENT_SECRET }, webUrl: "${web}" }`,
        '  sessionSecret: { fromEnv: TEST_SESSION_SECRET }',
      );
    }
    w.gh.permissions.set('writer', 'write');
    w.gh.permissions.set('reader', 'read');
    w.writeConfig(opts);
    return w;
  }

  configFile(): string {
    return join(this.root, 'driftless.config.yaml');
  }

  writeConfig(opts: { poll?: string; stateUrl?: string; app?: boolean } = {}): void {
    writeFileSync(
      this.configFile(),
      [
        'repo:',
        `  url: ${this.git.url}/${REPO}.git`,
        '  branch: main',
        '  token: { fromEnv: TEST_GIT_TOKEN }',
        'github:',
        `  baseUrl: ${this.gh.url}`,
        `  owner: ${OWNER}`,
        `  repo: ${REPO}`,
        ...(opts.app
          ? ['  app:', '    id: 4242', '    installationId: 77', `    privateKey: { fromFile: ${join(this.root, 'app-key.pem')} }`]
          : ['  token: { fromEnv: TEST_GITHUB_TOKEN }']),
        '  webhookSecret: { fromEnv: TEST_WEBHOOK_SECRET }',
        'targets:',
        `  files: { provider: fs, root: ${this.targetRoot} }`,
        ...(opts.stateUrl ? ['state:', '  url: { fromEnv: TEST_STATE_URL }'] : []),
        ...(Object.keys(this.appSecrets).length ? ['secrets:', ...Object.keys(this.appSecrets).map((k) => `  ${k}: { fromEnv: TEST_SECRET_${k} }`)] : []),
        'server:',
        '  host: 127.0.0.1',
        '  port: 0',
        `poll: "${opts.poll ?? 'off'}"`,
        `dataDir: ${this.dataDir}`,
        ...this.extraConfig,
        '',
      ].join('\n'),
    );
  }

  env(stateUrl?: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEST_GIT_TOKEN: GIT_TOKEN,
      TEST_GITHUB_TOKEN: GITHUB_TOKEN,
      TEST_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TEST_OAUTH_CLIENT_SECRET: OAUTH_CLIENT_SECRET,
      TEST_SESSION_SECRET: SESSION_SECRET,
      ...(stateUrl ? { TEST_STATE_URL: stateUrl } : {}),
      ...Object.fromEntries(Object.entries(this.appSecrets).map(([k, v]) => [`TEST_SECRET_${k}`, v])),
    };
  }

  /** Pacing is off unless a test gives the GitHub client a pacer (e.g. one with production limits, to read its counters). */
  async start(opts: { stateUrl?: string; dataDir?: string; pacer?: Pacer; now?: () => Date } = {}): Promise<RunningService> {
    const config = loadServerConfig(this.configFile(), { env: this.env(opts.stateUrl), dataDir: opts.dataDir });
    this.config ??= config;
    if (!config.state.url) await this.seedState(config.dataDir);
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        this.logs.push(String(chunk));
        cb();
      },
    });
    const log = pino({ level: 'debug', redact: { paths: (await import('../../src/server/logger.js')).REDACT_PATHS, censor: '[redacted]' } }, sink);
    const svc = await startService(config, {
      log,
      timings: { idleMs: 100, leaseMs: 5_000, retryBaseMs: 50, retryMaxMs: 400, jobAttempts: 5, concurrency: 4 },
      github: { pacer: opts.pacer ?? false, retryBaseMs: 5, retries: 1 },
      now: opts.now,
    });
    if (!this.svc) this.svc = svc;
    return svc;
  }

  /** Give a data dir a ready, migrated embedded store (a copy of the shared template). */
  async seedState(dataDir = this.dataDir): Promise<void> {
    if (existsSync(join(dataDir, 'state'))) return;
    mkdirSync(dataDir, { recursive: true });
    cpSync(await embeddedTemplate(), join(dataDir, 'state'), { recursive: true });
  }

  /** The developer's side: a pull request branch with `files`, pushed as refs/pull/N/head, and GitHub's merge ref. */
  openPr(number: number, files: Record<string, string | null>, opts: { mergeable?: boolean } = {}): { head: string; merge: string | null } {
    const w = this.work;
    const branch = `pr-${number}`;
    const exists = w.git('branch', '--list', branch) !== '';
    w.git('checkout', '-q', ...(exists ? [branch] : ['-b', branch, 'main']));
    const head = w.commit(files, `PR ${number}`);
    w.git('push', '-q', '-f', 'origin', `${branch}:refs/pull/${number}/head`);
    let merge: string | null = null;
    if (opts.mergeable !== false) {
      w.git('checkout', '-q', '--detach', 'main');
      w.git('merge', '-q', '--no-ff', '-m', `Merge ${head} into main`, branch);
      merge = w.head();
      w.git('push', '-q', '-f', 'origin', `HEAD:refs/pull/${number}/merge`);
    }
    w.git('checkout', '-q', 'main');
    const base = w.head('main');
    const existing = this.gh.pulls.get(number);
    this.gh.pulls.set(number, {
      number,
      headSha: head,
      headRef: branch,
      baseRef: 'main',
      baseSha: base,
      mergeable: opts.mergeable ?? true,
      state: 'open',
      merged: false,
      mergeCommitSha: merge,
      draft: false,
      user: existing?.user ?? 'alice',
    });
    return { head, merge };
  }

  /** What GitHub does in its own time after the base branch moved: merge the PR into the new base again. */
  refreshMergeRef(number: number): string {
    const w = this.work;
    w.git('checkout', '-q', '--detach', 'main');
    w.git('merge', '-q', '--no-ff', '-m', `Merge pr-${number} into main`, `pr-${number}`);
    const merge = w.head();
    w.git('push', '-q', '-f', 'origin', `HEAD:refs/pull/${number}/merge`);
    w.git('checkout', '-q', 'main');
    Object.assign(this.gh.pulls.get(number)!, { baseSha: w.head('main'), mergeCommitSha: merge });
    return merge;
  }

  /**
   * A reviewed change landed: open pull request `number` with `files`, wait for its plan, merge it
   * and wait until each of `stacks` is applied at the merge. Returns the merge.
   */
  async landPr(number: number, files: Record<string, string | null>, stacks: string[]): Promise<{ before: string; after: string }> {
    this.openPr(number, files);
    await this.prOpened(number);
    await until(`plan of #${number}`, () => this.planComment(number));
    await this.idle();
    const m = this.mergePr(number);
    await this.merged(number, m);
    await until(`#${number} applied`, () => stacks.every((s) => this.statuses(m.after, `driftless/apply: ${s}`).includes('success')) || undefined);
    return m;
  }

  /** Merge a pull request into main as GitHub does (a merge commit), push it; returns the merge commit. */
  mergePr(number: number): { before: string; after: string } {
    const w = this.work;
    const before = w.head('main');
    w.git('checkout', '-q', 'main');
    w.git('merge', '-q', '--no-ff', '-m', `Merge pull request #${number}`, `pr-${number}`);
    const after = w.head();
    w.git('push', '-q', 'origin', 'main');
    const pr = this.gh.pulls.get(number)!;
    Object.assign(pr, { state: 'closed', merged: true, mergeCommitSha: after });
    this.gh.commitPulls.set(after, [number]);
    return { before, after };
  }

  /** Commit straight to main and push. */
  pushMain(files: Record<string, string | null>, message = 'direct'): { before: string; after: string } {
    const before = this.work.head('main');
    this.work.git('checkout', '-q', 'main');
    const after = this.work.commit(files, message);
    this.work.git('push', '-q', 'origin', 'main');
    return { before, after };
  }

  url(svc = this.svc!): string {
    return svc.url;
  }

  hook(event: string, payload: unknown, o: { delivery?: string; svc?: RunningService } = {}): Promise<Delivered> {
    return deliver(this.url(o.svc), event, payload, {
      secret: WEBHOOK_SECRET,
      delivery: o.delivery ?? `delivery-${++this.deliveryN}-${Math.random().toString(36).slice(2)}`,
    });
  }

  prOpened(number: number, action = 'opened', o: { svc?: RunningService } = {}): Promise<Delivered> {
    const pr = this.gh.pulls.get(number)!;
    return this.hook('pull_request', pullRequestPayload({ owner: OWNER, repo: REPO }, action, { number, headSha: pr.headSha, baseSha: pr.baseSha }), o);
  }

  async merged(number: number, m: { before: string; after: string }, o: { svc?: RunningService } = {}): Promise<void> {
    const pr = this.gh.pulls.get(number)!;
    await this.hook(
      'pull_request',
      pullRequestPayload({ owner: OWNER, repo: REPO }, 'closed', { number, headSha: pr.headSha, baseSha: m.before, merged: true, mergeCommitSha: m.after }),
      o,
    );
    await this.hook('push', pushPayload({ owner: OWNER, repo: REPO }, m), o);
  }

  comment(pr: number, body: string, user: string, commentId: number, o: { svc?: RunningService } = {}): Promise<Delivered> {
    return this.hook('issue_comment', issueCommentPayload({ owner: OWNER, repo: REPO }, { pr, body, user, commentId }), o);
  }

  /** A comment on an issue that is not a pull request (a drift issue). */
  issueComment(issue: number, body: string, user: string, commentId: number, o: { svc?: RunningService } = {}): Promise<Delivered> {
    return this.hook('issue_comment', issueCommentPayload({ owner: OWNER, repo: REPO }, { pr: issue, body, user, commentId, onIssue: true }), o);
  }

  commitComment(sha: string, body: string, user: string, commentId: number, o: { svc?: RunningService } = {}): Promise<Delivered> {
    return this.hook('commit_comment', commitCommentPayload({ owner: OWNER, repo: REPO }, { sha, body, user, commentId }), o);
  }

  planComment(pr: number): string | undefined {
    return this.gh.commentsOn(pr).find((c) => c.body.startsWith('<!-- driftless:plan -->'))?.body;
  }

  statuses(sha: string, context: string): string[] {
    return this.gh.statuses.filter((s) => s.sha === sha && s.context === context).map((s) => s.state);
  }

  async idle(svc = this.svc!): Promise<void> {
    await until('the service to be idle', async () => (await svc.ctx.queue.pending()) === 0 && (await svc.ctx.outbox.pending()) === 0);
  }

  async close(): Promise<void> {
    await this.svc?.close().catch(() => undefined);
    await this.git?.close();
    await this.gh?.close();
  }

  /** Every secret of the world: none may appear in logs, comments, the API or stored state. */
  secrets(): string[] {
    return [GIT_TOKEN, GITHUB_TOKEN, WEBHOOK_SECRET, OAUTH_CLIENT_SECRET, SESSION_SECRET, Buffer.from(`x-access-token:${GIT_TOKEN}`).toString('base64')];
  }
}
