import { join } from 'node:path';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Scenario, ScenarioResult } from '../types.js';
import { generatedRepo, copyRepo, manifests, editManifest } from '../generate.js';
import { appliedStack } from './state.js';
import { startGitHttpProcess } from '../git-http-server.js';
import { startGitHubDouble, type GitHubDouble } from '../../testkit/github-double.js';
import { deliver, pullRequestPayload } from '../../testkit/webhooks.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { startService, type RunningService } from '../../src/service.js';
import { Pacer } from '../../src/forge/github/pacer.js';
import { againstBound, median, percentile, spread, log, fmtMs, WORK_DIR, gitSync, runOk } from '../util.js';

const OWNER = 'acme';
const REPO = 'infra';
const GITHUB_TOKEN = 'ghp_bench_token';
const WEBHOOK_SECRET = 'bench-webhook-secret';

/** A served manifest repository, a developer clone, the GitHub double and the service (in-process). */
class World {
  readonly base = join(WORK_DIR, 'runs', 'service');
  readonly served = join(this.base, 'srv', `${REPO}.git`);
  readonly work = join(this.base, 'work');
  gh!: GitHubDouble;
  svc!: RunningService;
  /** The GitHub client's pacing (GitHub's documented limits, as `driftless serve` runs), or none. */
  pacer: Pacer | null = null;
  stopGit!: () => Promise<void>;
  /** The served repository's URL, as the service fetches it. */
  gitUrl!: string;
  private delivery = 0;

  /**
   * With `applied`, the service starts from the state and files of the stack applied at main (as a
   * running service would be), so a PR's plan is the one change it makes, not n creates. With
   * `paced`, requests to GitHub are paced as in production; without, they go at once.
   */
  async start(n: number, o: { applied?: boolean; paced: boolean }): Promise<void> {
    const applied = o.applied ?? false;
    rmSync(this.base, { recursive: true, force: true });
    const repo = await generatedRepo(n);
    if (applied) {
      const seed = await appliedStack(n);
      cpSync(seed.dataDir, join(this.base, 'data'), { recursive: true, filter: (p) => !p.endsWith('driftless.lock') });
      cpSync(seed.targetRoot, join(this.base, 'target'), { recursive: true });
    }
    await copyRepo(repo.dir, this.served);
    await runOk('git', ['clone', '-q', this.served, this.work]);
    for (const [k, v] of [
      ['user.email', 'dev@bench.invalid'],
      ['user.name', 'Dev'],
      ['commit.gpgsign', 'false'],
    ])
      gitSync(this.work, 'config', k, v);
    const git = await startGitHttpProcess(join(this.base, 'srv'));
    this.stopGit = git.stop;
    this.gitUrl = `${git.url}/${REPO}.git`;
    this.gh = await startGitHubDouble({ owner: OWNER, repo: REPO, token: GITHUB_TOKEN });
    const configFile = join(this.base, 'driftless.config.yaml');
    mkdirSync(join(this.base, 'target'), { recursive: true });
    writeFileSync(
      configFile,
      [
        'repo:',
        `  url: ${this.gitUrl}`,
        '  branch: main',
        '  name: bench',
        'github:',
        `  baseUrl: ${this.gh.url}`,
        `  owner: ${OWNER}`,
        `  repo: ${REPO}`,
        '  token: { fromEnv: BENCH_GITHUB_TOKEN }',
        '  webhookSecret: { fromEnv: BENCH_WEBHOOK_SECRET }',
        'targets:',
        `  bench-files: { provider: fs, root: ${join(this.base, 'target')} }`,
        'server:',
        '  host: 127.0.0.1',
        '  port: 0',
        'poll: "off"',
        `dataDir: ${join(this.base, 'data')}`,
        '',
      ].join('\n'),
    );
    const config = loadServerConfig(configFile, { env: { ...process.env, BENCH_GITHUB_TOKEN: GITHUB_TOKEN, BENCH_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    // Every other timing is the service's default.
    this.pacer = o.paced ? new Pacer() : null;
    this.svc = await startService(config, { log: pino({ level: 'warn' }, sink), github: { pacer: this.pacer ?? false } });
  }

  /** A quiet service: nothing queued, nothing to deliver, and the pacing back at rest (every budget full). */
  async quiet(): Promise<void> {
    const { queue, outbox } = this.svc.ctx;
    for (;;) {
      const busy = (await queue.pending()) + (await outbox.pending());
      const rest = this.pacer?.restedInMs() ?? 0;
      if (!busy && rest === 0) return;
      await new Promise((r) => setTimeout(r, busy ? 20 : Math.ceil(rest)));
    }
  }

  /** A pull request changing one manifest: refs/pull/N/head and GitHub's merge ref pushed, the double told. */
  openPr(number: number, manifestPath: string): void {
    const w = this.work;
    gitSync(w, 'checkout', '-q', '-B', `pr-${number}`, 'main');
    const abs = join(w, manifestPath);
    writeFileSync(abs, editManifest(gitSync(w, 'show', `main:${manifestPath}`), `changed by PR ${number}`) + '\n');
    gitSync(w, 'commit', '-q', '-am', `PR ${number}`);
    const head = gitSync(w, 'rev-parse', 'HEAD');
    gitSync(w, 'checkout', '-q', '--detach', 'main');
    gitSync(w, 'merge', '-q', '--no-ff', '-m', `Merge ${head} into main`, `pr-${number}`);
    const merge = gitSync(w, 'rev-parse', 'HEAD');
    gitSync(w, 'push', '-q', '-f', 'origin', `pr-${number}:refs/pull/${number}/head`, `HEAD:refs/pull/${number}/merge`);
    gitSync(w, 'checkout', '-q', 'main');
    const base = gitSync(w, 'rev-parse', 'main');
    this.gh.pulls.set(number, {
      number,
      headSha: head,
      headRef: `pr-${number}`,
      baseRef: 'main',
      baseSha: base,
      mergeable: true,
      state: 'open',
      merged: false,
      mergeCommitSha: merge,
      draft: false,
      user: 'alice',
    });
  }

  async opened(number: number): Promise<void> {
    const pr = this.gh.pulls.get(number)!;
    const r = await deliver(
      this.svc.url,
      'pull_request',
      pullRequestPayload({ owner: OWNER, repo: REPO }, 'opened', { number, headSha: pr.headSha, baseSha: pr.baseSha }),
      { secret: WEBHOOK_SECRET, delivery: `bench-${++this.delivery}` },
    );
    if (r.status >= 300) throw new Error(`webhook refused: HTTP ${r.status}`);
  }

  /**
   * Milliseconds `git fetch` (git's CLI, one process) takes to bring PR `number`'s head and merge
   * refs into a mirror of the served repository (cloned, untimed, on the first call): what fetching
   * a pull request costs any service that mirrors over HTTP, with nothing of driftless.
   */
  async fetchByGit(number: number): Promise<number> {
    const mirror = join(this.base, 'peer-mirror.git');
    if (!existsSync(mirror)) await runOk('git', ['clone', '-q', '--mirror', this.gitUrl, mirror]);
    const t0 = performance.now();
    await runOk('git', [
      '-C',
      mirror,
      'fetch',
      '-q',
      'origin',
      `+refs/pull/${number}/head:refs/pull/${number}/head`,
      `+refs/pull/${number}/merge:refs/pull/${number}/merge`,
    ]);
    return performance.now() - t0;
  }

  hasPlanComment(number: number): boolean {
    return this.gh.commentsOn(number).some((c) => c.body.startsWith('<!-- driftless:plan -->'));
  }

  /** When the request that set PR `number`'s head to pending arrived at the double, if one was sent. */
  pendingSentAt(number: number): number | undefined {
    const head = this.gh.pulls.get(number)!.headSha;
    return this.gh.requests.find((r) => r.operationId === 'repos/create-commit-status' && r.path.endsWith(head) && r.body?.state === 'pending')?.receivedAt;
  }

  /** When the request that created PR `number`'s plan comment arrived at the double (GitHub's own handling excluded). */
  planCommentSentAt(number: number): number | undefined {
    return this.gh.requests.find(
      (r) =>
        r.operationId === 'issues/create-comment' &&
        r.path.includes(`/issues/${number}/comments`) &&
        r.status < 300 &&
        String(r.body?.body ?? '').startsWith('<!-- driftless:plan -->'),
    )?.receivedAt;
  }

  async close(): Promise<void> {
    await this.svc?.close().catch(() => undefined);
    await this.gh?.close().catch(() => undefined);
    await this.stopGit?.();
    rmSync(this.base, { recursive: true, force: true });
  }
}

/**
 * Resolve when PR `number` has its plan comment; the time it appeared, checked every `everyMs` (2 ms
 * by default; a paced burst waits minutes, and 100 checks every 2 ms would take the service's CPU).
 */
function commentPosted(w: World, number: number, timeoutMs: number, everyMs = 2): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const t = setInterval(() => {
      if (w.hasPlanComment(number)) {
        clearInterval(t);
        resolve(performance.now());
      } else if (Date.now() > end) {
        clearInterval(t);
        reject(new Error(`no plan comment on PR ${number} after ${timeoutMs} ms`));
      }
    }, everyMs);
  });
}

function repoFiles(n: number): string[] {
  return manifests(n)
    .filter((m) => m.kind === 'File')
    .map((m) => m.manifestPath);
}

export const webhookScenario: Scenario = {
  name: 'webhook',
  title: 'Webhook to PR comment (service, 10,000-manifest repository, applied, production pacing)',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const w = new World();
    const lat: number[] = [];
    const pendingLat: number[] = [];
    const fetchLat: number[] = [];
    let waited = 0;
    try {
      await w.start(n, { applied: true, paced: true });
      const files = repoFiles(n);
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const number = 100 + i;
        w.openPr(number, files[(i * 37) % files.length]);
        await w.quiet();
        const waitedBefore = w.pacer!.stats.waited;
        const posted = commentPosted(w, number, 120_000);
        const t0 = performance.now();
        await w.opened(number);
        await posted;
        const ms = w.planCommentSentAt(number)! - t0;
        const pending = w.pendingSentAt(number);
        if (i < ctx.warmup) {
          log(`  warm-up PR (first plan in the service, cold caches): ${fmtMs(ms)}`);
          continue;
        }
        lat.push(ms);
        fetchLat.push(await w.fetchByGit(number));
        if (pending !== undefined) pendingLat.push(pending - t0);
        waited += w.pacer!.stats.waited - waitedBefore;
        log(
          `  PR ${i - ctx.warmup + 1}/${ctx.iterations}: webhook -> plan comment ${fmtMs(ms)}` +
            `${pending !== undefined ? ` (pending status ${fmtMs(pending - t0)})` : ''}; requests that waited for the pacing: ${w.pacer!.stats.waited - waitedBefore}`,
        );
      }
    } finally {
      await w.close();
    }
    return {
      name: this.name,
      title: this.title,
      rows: [againstBound(`3 webhook → PR comment (${n})`, 'latency', lat, { name: "the PR's refs fetched by git's CLI", times: fetchLat }, 300, ctx.quick)],
      notes: [
        `The service (startService, in-process, embedded state, mirror over git http-backend) with the GitHub double checking every request against GitHub's OpenAPI description, ` +
          `started from the stack applied at main (${n} recorded resources and their files). Each run: one pull request changing one manifest (plan: 1 to update, against the recorded state: PR plans do not refresh); the clock runs from sending the signed pull_request webhook to the plan comment's request arriving at the double ` +
          `(fetch of the PR refs, validate + plan, pending status, comment); the double's own handling is GitHub's latency and excluded, though it shares the event loop. ` +
          `Requests to GitHub are paced as in production (bursts of 8 writes, then one a second; 80 comments a minute, 500 an hour; 900 points a minute) and each PR is opened on a quiet service ` +
          `(nothing queued, the pacing at rest). Pending status ${pendingLat.length ? `sent after ${fmtMs(median(pendingLat))} (median of ${pendingLat.length})` : 'replaced by the final one every time (the plan was done first)'}; ` +
          `requests held by the pacing in the measured runs: ${waited}. Spread: ${(spread(lat) * 100).toFixed(0)}%. ` +
          "The peer, after each comment: `git fetch` (git's CLI, a new process) of the PR's head and merge refs from the same server into a mirror of the repository: what fetching a pull request costs before any plan.",
      ],
      details: { n, lat, pendingLat, waited },
    };
  },
};

/**
 * A burst of pull-request events within a minute. `paced`: GitHub's documented write limits on, as
 * `driftless serve` runs (the comments then wait for GitHub's budget of content-creating requests: 500 an hour).
 */
function burstScenario(name: string, title: string, paced: boolean): Scenario {
  return {
    name,
    title,
    async run(ctx): Promise<ScenarioResult> {
      const n = ctx.quick ? 100 : 1000;
      const events = ctx.quick ? 5 : 100;
      const windowMs = ctx.quick ? 2_000 : 60_000;
      // Paced, the plan comments wait for GitHub's budget of content-creating requests: after a
      // burst of 10, 490 an hour, one every 7.3 s, so the last of 100 comes about 11 minutes in.
      const timeoutMs = paced ? 60 * 60_000 : 600_000;
      const w = new World();
      const lat: number[] = [];
      let wall = 0;
      let waited = 0;
      try {
        // The stack applied at main, as a running service has it: each PR's plan is its one change
        // (from an empty state every plan would create all n, and its comment would come in parts).
        await w.start(n, { applied: true, paced });
        const files = repoFiles(n);
        // A first PR warms the service (cold caches are scenario 1's business).
        w.openPr(1, files[0]);
        const warm = commentPosted(w, 1, 120_000);
        await w.opened(1);
        await warm;
        if (w.pacer) await w.quiet(); // the burst meets a rested pacing, every budget full
        const waitedBefore = w.pacer?.stats.waited ?? 0;
        log(`  preparing ${events} pull requests`);
        for (let i = 0; i < events; i++) w.openPr(1000 + i, files[(i * 53 + 1) % files.length]);
        const t0 = performance.now();
        const all: Promise<void>[] = [];
        for (let i = 0; i < events; i++) {
          const due = t0 + (i * windowMs) / events;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const number = 1000 + i;
          const posted = commentPosted(w, number, timeoutMs, paced ? 50 : 2);
          const sent = performance.now();
          await w.opened(number);
          all.push(posted.then((at) => void lat.push(at - sent)));
        }
        await Promise.all(all);
        wall = performance.now() - t0;
        waited = (w.pacer?.stats.waited ?? 0) - waitedBefore;
        log(`  ${events} events over ${fmtMs(windowMs)}: all ${lat.length} plan comments posted after ${fmtMs(wall)}`);
      } finally {
        await w.close();
      }
      const p50 = percentile(lat, 50);
      const p99 = percentile(lat, 99);
      const label = `7 ${events} PR events / ${windowMs / 1000} s${paced ? ', paced' : ''}`;
      const pacing = paced
        ? `GitHub's write pacing on, as in production (its documented limits: 80 content-creating requests a minute, 500 an hour); requests that waited for it: ${waited}`
        : "GitHub's write pacing off";
      return {
        name: this.name,
        title: this.title,
        rows: [
          {
            scenario: label,
            metric: 'comments posted',
            unit: 'ms',
            driftless: null,
            peer: null,
            target: 'all posted',
            pass: lat.length === events,
            note: `${lat.length}/${events}`,
          },
          {
            scenario: label,
            metric: 'latency p50',
            unit: 'ms',
            driftless: p50,
            peer: null,
            target: 'report',
            pass: null,
            samples: { driftless: lat, peer: [] },
          },
          { scenario: label, metric: 'latency p99', unit: 'ms', driftless: p99, peer: null, target: 'report', pass: null },
        ],
        notes: [
          `${events} pull requests (one manifest changed each) on a ${n}-manifest repository applied at main, their opened webhooks sent evenly over ${windowMs / 1000} s to one service ` +
            `(default service timings, 4 jobs at a time; ${pacing}). All ${lat.length} plan comments were posted ${fmtMs(wall)} after the first event; ` +
            `latency from webhook to comment: p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}, max ${fmtMs(Math.max(...lat))}.` +
            (paced ? '' : " With production pacing on, GitHub's limits, not the engine, bound a burst: see the `throughput-paced` scenario."),
        ],
        details: { n, events, windowMs, lat, wall, paced, waited },
      };
    },
  };
}

export const throughputScenario = burstScenario('throughput', 'Throughput: pull-request events arriving within a minute (service, 1,000 manifests)', false);
export const pacedThroughputScenario = burstScenario(
  'throughput-paced',
  "Throughput with GitHub's write pacing on: 100 pull-request events within a minute (service, 1,000 manifests; the comments bounded by GitHub's 500 an hour)",
  true,
);
