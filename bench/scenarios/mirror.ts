import { join } from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import type { Scenario, ScenarioResult } from '../types.js';
import { generatedRepo, copyRepo, commitOneFileChange } from '../generate.js';
import { startGitHttpProcess } from '../git-http-server.js';
import { Mirror } from '../../src/git/mirror.js';
import { median, spread, log, fmtMs, WORK_DIR, runChild, runOk, gitSync, timed } from '../util.js';

export const mirror: Scenario = {
  name: 'mirror',
  title: 'Mirror over git http-backend: initial clone and one-commit fetch',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const repo = await generatedRepo(n);
    const base = join(WORK_DIR, 'runs', 'mirror');
    rmSync(base, { recursive: true, force: true });
    const served = await copyRepo(repo.dir, join(base, 'served', 'infra.git'));
    const server = await startGitHttpProcess(join(base, 'served'));
    const url = `${server.url}/infra.git`;
    const clone = { d: [] as number[], g: [] as number[], dRss: [] as number[], gRss: [] as number[] };
    const fetch = { d: [] as number[], g: [] as number[] };
    let lastMirrorData = '';
    let lastGitDir = '';
    try {
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const dataDir = join(base, `dl-${i}`);
        const gitDir = join(base, `git-${i}`);
        mkdirSync(dataDir, { recursive: true });
        const runD = async () => runChild<{ ms: number; head: string }>('mirror-clone', { url, dataDir });
        const runG = async () => runOk('git', ['clone', '-q', '--no-checkout', url, gitDir], { measureRss: true });
        // Alternate which side goes first, so neither always gets the warmer page cache.
        let d: Awaited<ReturnType<typeof runD>>;
        let g: Awaited<ReturnType<typeof runG>>;
        if (i % 2) {
          g = await runG();
          d = await runD();
        } else {
          d = await runD();
          g = await runG();
        }
        if (d.result.head !== repo.head) throw new Error(`mirror clone has main at ${d.result.head}, expected ${repo.head}`);
        if (i >= ctx.warmup) {
          clone.d.push(d.result.ms);
          clone.g.push(g.ms);
          clone.dRss.push(d.maxRssMB ?? NaN);
          clone.gRss.push(g.maxRssMB ?? NaN);
          log(
            `  clone ${i - ctx.warmup + 1}/${ctx.iterations}: driftless ${fmtMs(d.result.ms)} (${d.maxRssMB?.toFixed(0)} MB), git ${fmtMs(g.ms)} (${g.maxRssMB?.toFixed(0)} MB)`,
          );
        }
        if (lastMirrorData) rmSync(lastMirrorData, { recursive: true, force: true });
        if (lastGitDir) rmSync(lastGitDir, { recursive: true, force: true });
        lastMirrorData = dataDir;
        lastGitDir = gitDir;
      }

      // One-commit fetches into the last clones: the mirror in-process (as the service holds it), git's CLI beside it.
      const m = await Mirror.open(url, lastMirrorData);
      const file = repo.filePaths[7];
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const sha = await commitOneFileChange(served, file, `fetch ${i}`);
        const runD = () => timed(() => m.fetch());
        const runG = () => runOk('git', ['fetch', '-q', 'origin'], { cwd: lastGitDir });
        let dMs: number;
        let gMs: number;
        if (i % 2) {
          gMs = (await runG()).ms;
          dMs = (await runD()).ms;
        } else {
          dMs = (await runD()).ms;
          gMs = (await runG()).ms;
        }
        if ((await m.resolve('main')) !== sha) throw new Error('the mirror did not fetch the new commit');
        if (gitSync(lastGitDir, 'rev-parse', 'origin/main') !== sha) throw new Error('git fetch did not fetch the new commit');
        if (i < ctx.warmup) continue;
        fetch.d.push(dMs);
        fetch.g.push(gMs);
        log(`  fetch ${i - ctx.warmup + 1}/${ctx.iterations}: driftless ${fmtMs(dMs)}, git ${fmtMs(gMs)}`);
      }
    } finally {
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    }
    const cd = median(clone.d);
    const cg = median(clone.g);
    const fd = median(fetch.d);
    const fg = median(fetch.g);
    const label = `4 mirror ${n / 1000}k files`;
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} files`,
      rows: [
        {
          scenario: label,
          metric: 'clone',
          unit: 'ms',
          driftless: cd,
          peer: cg,
          peerName: 'git clone --no-checkout',
          ratio: cd / cg,
          target: 'report',
          pass: null,
          samples: { driftless: clone.d, peer: clone.g },
        },
        {
          scenario: label,
          metric: 'clone peak RSS',
          unit: 'MB',
          driftless: median(clone.dRss),
          peer: median(clone.gRss),
          peerName: 'git clone --no-checkout',
          ratio: median(clone.dRss) / median(clone.gRss),
          target: 'report',
          pass: null,
        },
        {
          scenario: label,
          metric: 'fetch 1 commit',
          unit: 'ms',
          driftless: fd,
          peer: fg,
          peerName: 'git fetch',
          ratio: fd / fg,
          target: '≤ 2× git',
          pass: ctx.quick ? null : fd <= 2 * fg,
          samples: { driftless: fetch.d, peer: fetch.g },
        },
      ],
      notes: [
        `Served by git http-backend (CGI behind a Node HTTP server in its own process) on loopback. driftless: Mirror.open (isomorphic-git clone, noCheckout) ` +
          `timed inside a fresh process (Node start-up excluded), then Mirror.fetch in-process on the warm mirror; git: the CLI, process start included. ` +
          `Spread: clone ${(spread(clone.d) * 100).toFixed(0)}% / ${(spread(clone.g) * 100).toFixed(0)}%, fetch ${(spread(fetch.d) * 100).toFixed(0)}% / ${(spread(fetch.g) * 100).toFixed(0)}%.`,
      ],
      details: { n, clone, fetch },
    };
  },
};
