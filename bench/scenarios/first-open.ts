/** The first open of the embedded store (a new data dir) in a fresh process: peak RSS and time, from the template and by initdb. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import type { EmbeddedStart } from '../../src/state/template.js';
import { median, spread, log, fmtMs, WORK_DIR, runChild } from '../util.js';

interface OpenAnswer {
  ms: number;
  started?: EmbeddedStart;
}

/** Open the store in `dataDir` in a fresh process; checks that it started the way `expect` says. */
async function openOnce(dataDir: string, expect: EmbeddedStart['from'], noTemplate = false): Promise<{ ms: number; rss: number }> {
  const r = await runChild<OpenAnswer>('store-open', { dataDir, noTemplate });
  if (r.result.started?.from !== expect) throw new Error(`the store in ${dataDir} started ${JSON.stringify(r.result.started)}, expected from ${expect}`);
  return { ms: r.result.ms, rss: r.maxRssMB ?? NaN };
}

export const firstOpen: Scenario = {
  name: 'first-open',
  title: 'First open of the embedded store (a new data dir), fresh process',
  async run(ctx): Promise<ScenarioResult> {
    const base = join(WORK_DIR, 'runs', 'first-open');
    const m = {
      first: [] as number[],
      firstRss: [] as number[],
      again: [] as number[],
      againRss: [] as number[],
      initdb: [] as number[],
      initdbRss: [] as number[],
    };
    for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
      rmSync(base, { recursive: true, force: true });
      mkdirSync(base, { recursive: true });
      const dataDir = join(base, 'data');
      const first = await openOnce(dataDir, 'template');
      const again = await openOnce(dataDir, 'existing');
      // Without the template, as before it: initdb inside PGlite (slow; full runs only).
      const initdb = ctx.quick ? null : await openOnce(join(base, 'data-initdb'), 'initdb', true);
      if (i < ctx.warmup) continue;
      m.first.push(first.ms);
      m.firstRss.push(first.rss);
      m.again.push(again.ms);
      m.againRss.push(again.rss);
      if (initdb) {
        m.initdb.push(initdb.ms);
        m.initdbRss.push(initdb.rss);
      }
      log(
        `  first open ${i - ctx.warmup + 1}/${ctx.iterations}: ${fmtMs(first.ms)}, peak RSS ${first.rss.toFixed(0)} MB; re-open ${fmtMs(again.ms)}, ${again.rss.toFixed(0)} MB` +
          (initdb ? `; by initdb ${fmtMs(initdb.ms)}, ${initdb.rss.toFixed(0)} MB` : ''),
      );
    }
    rmSync(base, { recursive: true, force: true });
    const row = (scenario: string, metric: string, unit: 'ms' | 'MB', values: number[], target = 'report', pass: boolean | null = null): Row => ({
      scenario,
      metric,
      unit,
      driftless: median(values),
      peer: null,
      target,
      pass,
      samples: { driftless: values, peer: [] },
    });
    const rss = median(m.firstRss);
    const rows: Row[] = [
      row('8 first open, embedded store', 'peak RSS', 'MB', m.firstRss, '< 300 MB', ctx.quick ? null : rss < 300),
      row('8 first open, embedded store', 'time', 'ms', m.first),
      row('8 re-open, embedded store', 'peak RSS', 'MB', m.againRss),
      row('8 re-open, embedded store', 'time', 'ms', m.again),
    ];
    if (m.initdb.length)
      rows.push(
        row('8 first open by initdb (no template)', 'peak RSS', 'MB', m.initdbRss),
        row('8 first open by initdb (no template)', 'time', 'ms', m.initdb),
      );
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        'A new process per open, timed from the call to openState (lock, unpack the template, start PGlite, run the migrations) to its answer; ' +
          'peak RSS is the whole process. The first open unpacks the initialised data dir the build made (dist/state-template/) instead of ' +
          `running initdb; the re-open is the same data dir again${m.initdb.length ? '; "by initdb" is a new data dir without the template, as before it' : ''}. ` +
          `Spread (max-min)/median of the first open: ${(spread(m.first) * 100).toFixed(0)}%.`,
      ],
      details: m,
    };
  },
};
