/** The CLI's fixed cost as a user pays it: whole processes of `--help` and of `validate` on a small repository. */
import { join } from 'node:path';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { generatedRepo } from '../generate.js';
import { PACKAGE_ROOT, WORK_DIR, fmtMs, log, median, spread } from '../util.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

type Sample = ProcessSample;

/** One whole process under GNU time: wall clock, user + system CPU, peak RSS, the load average. */
function measure(args: string[]): Promise<Sample> {
  return timeProcess(process.execPath, [join(PACKAGE_ROOT, 'bin', 'driftless.js'), ...args]);
}

export const startup: Scenario = {
  name: 'startup',
  title: 'CLI start-up: whole process of --help and of validate on a small repository',
  async run(ctx): Promise<ScenarioResult> {
    const repo = await generatedRepo(100);
    const dataDir = join(WORK_DIR, 'runs', 'startup');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const config = join(dataDir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo:\n  path: ${repo.dir}\ntargets:\n  bench-files: { provider: fs, root: ${join(dataDir, 'root')} }\ndataDir: ${join(dataDir, 'data')}\n`,
    );
    const commands: { label: string; args: string[]; target: number }[] = [
      { label: '--help', args: ['--help'], target: 300 },
      { label: 'validate 0.1k', args: ['validate', '--config', config], target: 1000 },
    ];
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const c of commands) {
      const samples: Sample[] = [];
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const s = await measure(c.args);
        if (i >= ctx.warmup) {
          samples.push(s);
          log(`  ${c.label} ${i - ctx.warmup + 1}/${ctx.iterations}: wall ${fmtMs(s.wallMs)}, CPU ${fmtMs(s.cpuMs)}, peak RSS ${s.rssMB.toFixed(0)} MB`);
        }
      }
      const wall = median(samples.map((s) => s.wallMs));
      const mark = loadMark(samples);
      const cpu = median(samples.map((s) => s.cpuMs));
      rows.push(
        {
          scenario: 'startup',
          metric: `${c.label}: wall${mark}`,
          unit: 'ms',
          driftless: wall,
          peer: null,
          target: `< ${c.target} ms`,
          pass: ctx.quick ? null : wall < c.target,
        },
        { scenario: 'startup', metric: `${c.label}: CPU${mark}`, unit: 'ms', driftless: cpu, peer: null, target: 'report', pass: null },
        {
          scenario: 'startup',
          metric: `${c.label}: peak RSS${mark}`,
          unit: 'MB',
          driftless: median(samples.map((s) => s.rssMB)),
          peer: null,
          target: 'report',
          pass: null,
        },
      );
      notes.push(`${c.label}: spread (max-min)/median of wall ${spread(samples.map((s) => s.wallMs)).toFixed(0)}%.`);
    }
    notes.unshift(
      'Each command is a fresh `node bin/driftless.js` process (the compiled CLI, as the README gives it), timed whole under GNU time: wall clock, user + system CPU, peak RSS. validate reads a 100-manifest bare repository in place; it opens no state store.',
    );
    return { name: 'startup', title: this.title, rows, notes };
  },
};
