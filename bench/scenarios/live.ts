import { join } from 'node:path';
import { loadavg } from 'node:os';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import puppeteer from 'puppeteer-core';
import { Unavailable, type Scenario, type ScenarioResult } from '../types.js';
import { startBenchService } from '../service-world.js';
import { median, percentile, log, fmtMs, WORK_DIR, gitSync, gc } from '../util.js';

const CHROMIUM = '/usr/bin/chromium';
const STREAMS = 50;

/** A child process holding `n` server-sent event streams open (the tabs), reading and dropping what they get. */
const CLIENTS = `
const http = require('node:http');
const [url, n] = [process.argv[1], Number(process.argv[2])];
let open = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: n + 1 });
for (let i = 0; i < n; i++) {
  http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    if (++open === n) process.stdout.write('open\\n');
    res.on('data', () => undefined);
  });
}
setInterval(() => undefined, 1000);
`;

function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/**
 * Issue 12: a journal write reaching the run page of a real browser (Chromium through
 * puppeteer-core), and the service's memory with 50 open live streams of one run. The service
 * runs in this process (embedded state); the browser and the 50 stream clients in their own.
 */
export const liveScenario: Scenario = {
  name: 'live',
  title: 'Live run page: journal write to browser, memory with 50 streams',
  async run(ctx): Promise<ScenarioResult> {
    if (!existsSync(CHROMIUM)) throw new Unavailable(`no Chromium at ${CHROMIUM} (Debian package chromium)`);
    const base = join(WORK_DIR, 'runs', 'live');
    rmSync(base, { recursive: true, force: true });
    const work = join(base, 'work');
    mkdirSync(join(work, 'stacks', 'web'), { recursive: true });
    gitSync(work, 'init', '-q', '-b', 'main');
    for (const [k, v] of [
      ['user.email', 'dev@bench.invalid'],
      ['user.name', 'Dev'],
      ['commit.gpgsign', 'false'],
    ])
      gitSync(work, 'config', k, v);
    writeFileSync(join(work, 'driftless.yaml'), 'version: 1\nstacks:\n  web: { path: stacks/web, targets: { fs: files } }\n');
    writeFileSync(join(work, 'stacks', 'web', 'a.yaml'), 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: a }\nspec: { path: a.txt }\n');
    gitSync(work, 'add', '-A');
    gitSync(work, 'commit', '-q', '-m', 'stack');
    const load0 = loadavg();
    const { svc, stop } = await startBenchService(base, work);
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--user-data-dir=${join(base, 'chromium')}`],
    });
    let clients: ReturnType<typeof spawn> | undefined;
    try {
      const db = svc.ctx.store.db;
      const head = gitSync(work, 'rev-parse', 'HEAD');
      const runId = Number(
        (
          await db.query<{ id: string }>(
            `INSERT INTO runs (repo, stack, kind, trigger, commit, started_at, outcome) VALUES ('bench', 'web', 'apply', 'bench', $1, now(), 'running') RETURNING id`,
            [head],
          )
        ).rows[0].id,
      );
      // Query counting: every journal read of a stream goes through observe.steps.
      let reads = 0;
      const observe = svc.ctx.observe;
      const steps = observe.steps.bind(observe);
      observe.steps = (...a: Parameters<typeof steps>) => {
        reads++;
        return steps(...a);
      };
      const page = await browser.newPage();
      const seen = new Map<string, (t: number) => void>();
      await page.exposeFunction('driftlessRowSeen', (resource: string) => seen.get(resource)?.(performance.now()));
      await page.goto(`${svc.url}/runs/${runId}`, { waitUntil: 'load' });
      await page.waitForFunction(`document.getElementById('live-status')?.textContent === 'Live'`, { timeout: 60_000 });
      await page.evaluate(`new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.tagName === 'TR') window.driftlessRowSeen(n.children[0].textContent); })
        .observe(document.querySelector('#steps tbody'), { childList: true })`);
      let k = 0;
      /** One journal entry written now; resolves with the ms until the browser shows its row. */
      const once = async (): Promise<number> => {
        const resource = `File/b${++k}`;
        const shown = new Promise<number>((resolve) => seen.set(resource, resolve));
        const t0 = performance.now();
        await db.query(
          `INSERT INTO journal (run_id, repo, stack, resource_id, operation, resource, finished_at, outcome) VALUES ($1, 'bench', 'web', $2, 'create', '{}'::jsonb, now(), 'ok')`,
          [runId, resource],
        );
        const ms = (await shown) - t0;
        seen.delete(resource);
        // The next write lands anywhere in the streams' poll period.
        await new Promise((r) => setTimeout(r, Math.random() * 120));
        return ms;
      };
      const n = ctx.quick ? 30 : 200;
      for (let i = 0; i < 5; i++) await once();
      const alone: number[] = [];
      for (let i = 0; i < n; i++) alone.push(await once());
      log(`live: journal write -> browser, 1 tab: p50 ${fmtMs(median(alone))}, p99 ${fmtMs(percentile(alone, 99))}`);

      gc();
      const before = process.memoryUsage();
      clients = spawn(process.execPath, ['-e', CLIENTS, `${svc.url}/runs/${runId}/events`, String(STREAMS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        clients!.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        clients!.on('exit', (code) => reject(new Error(`the stream clients exited (${code})`)));
      });
      const reads0 = reads;
      const t0 = performance.now();
      const crowded: number[] = [];
      for (let i = 0; i < n; i++) crowded.push(await once());
      const readsPerS = ((reads - reads0) / (performance.now() - t0)) * 1000;
      log(`live: with ${STREAMS} more streams: p50 ${fmtMs(median(crowded))}, p99 ${fmtMs(percentile(crowded, 99))}, ${readsPerS.toFixed(0)} journal reads/s`);
      gc();
      const open = process.memoryUsage();
      clients.kill();
      await new Promise((r) => setTimeout(r, 1500));
      gc();
      const after = process.memoryUsage();
      const load1 = loadavg();
      const perStreamKB = Math.round(((open.heapUsed - before.heapUsed) / STREAMS / 1024) * 10) / 10;
      log(
        `live: RSS ${mb(before.rss)} MB -> ${mb(open.rss)} MB with ${STREAMS} streams -> ${mb(after.rss)} MB after; heap +${perStreamKB} KB per stream; load ${load0[0].toFixed(1)} -> ${load1[0].toFixed(1)}`,
      );
      const scenario = `12 live run page (Chromium; ${k} journal writes)`;
      return {
        name: 'live',
        title: this.title,
        rows: [
          {
            scenario,
            metric: 'journal write -> browser, 1 tab (p99)',
            unit: 'ms',
            driftless: percentile(alone, 99),
            peer: null,
            target: '< 200 ms',
            pass: ctx.quick ? null : percentile(alone, 99) < 200,
            samples: { driftless: alone, peer: [] },
          },
          { scenario, metric: 'journal write -> browser, 1 tab (median)', unit: 'ms', driftless: median(alone), peer: null, target: 'report', pass: null },
          {
            scenario,
            metric: `journal write -> browser, ${STREAMS} more streams (p99)`,
            unit: 'ms',
            driftless: percentile(crowded, 99),
            peer: null,
            target: '< 200 ms',
            pass: ctx.quick ? null : percentile(crowded, 99) < 200,
            samples: { driftless: crowded, peer: [] },
          },
          {
            scenario,
            metric: `service RSS, ${STREAMS} streams open`,
            unit: 'MB',
            driftless: mb(open.rss),
            peer: null,
            target: 'report',
            pass: null,
            note: `before ${mb(before.rss)} MB, after closing ${mb(after.rss)} MB`,
          },
          {
            scenario,
            metric: 'service heap per open stream',
            unit: 'MB',
            driftless: perStreamKB / 1024,
            peer: null,
            target: 'bounded',
            pass: null,
            note: `${perStreamKB} KB`,
          },
        ],
        notes: [
          `Journal reads while ${STREAMS + 1} streams followed the run: ${readsPerS.toFixed(0)} per second.`,
          `Load average (1 min) ${load0[0].toFixed(1)} at the start, ${load1[0].toFixed(1)} at the end.`,
        ],
        details: { readsPerS, before, open, after, load0, load1 },
      };
    } finally {
      clients?.kill();
      await browser.close();
      await stop();
    }
  },
};
