/**
 * driftless benchmark harness: `npm run bench [-- --scenario NAME] [--quick] [--iterations N]`.
 * Generates its inputs under bench/work/, runs each scenario after a warm-up, prints the table,
 * writes bench/results/*.json and (full runs) rewrites BENCHMARKS.md.
 */
import { Unavailable, type BenchContext, type Scenario, type ScenarioResult } from './types.js';
import { coldPlan } from './scenarios/cold-plan.js';
import { incremental } from './scenarios/incremental.js';
import { workflow } from './scenarios/workflow.js';
import { mirror } from './scenarios/mirror.js';
import { convergeScenario } from './scenarios/converge.js';
import { postgresScenario } from './scenarios/postgres.js';
import { hostsScenario } from './scenarios/hosts.js';
import { fleetScenario } from './scenarios/fleet.js';
import { startup } from './scenarios/startup.js';
import { firstOpen } from './scenarios/first-open.js';
import { cliPlan } from './scenarios/cli-plan.js';
import { cliApply } from './scenarios/cli-apply.js';
import { scaleScenario } from './scenarios/scale.js';
import { dashboardScenario } from './scenarios/dashboard.js';
import { policyScenario } from './scenarios/policy.js';
import { liveScenario } from './scenarios/live.js';
import { notYetMeasurable, serviceParts } from './scenarios/pending.js';
import { runInfo, textTable, writeResults, writeBenchmarksMd } from './report.js';
import { log } from './util.js';

const serviceWhy = () => {
  const s = serviceParts();
  return s.ready ? null : `the service is not built yet (${s.missing.join(', ')} missing)`;
};
/** Service scenarios are loaded only when the service exists (they import src/server). */
const serviceScenario = (name: 'webhook' | 'throughput' | 'throughput-paced', title: string, label: string, target: string): Scenario =>
  notYetMeasurable(name, label, title, target, serviceWhy, {
    name,
    title,
    run: async (ctx) => {
      const m = await import('./scenarios/service.js');
      return (name === 'webhook' ? m.webhookScenario : name === 'throughput' ? m.throughputScenario : m.pacedThroughputScenario).run(ctx);
    },
  });

export const SCENARIOS: Scenario[] = [
  startup,
  cliPlan,
  cliApply,
  coldPlan,
  incremental,
  workflow,
  serviceScenario('webhook', 'Webhook to PR comment', '3 webhook → PR comment', 'report'),
  mirror,
  convergeScenario,
  postgresScenario,
  hostsScenario,
  fleetScenario,
  serviceScenario('throughput', 'Throughput: 100 pull-request events in a minute', '7 100 PR events / min', 'all posted; p50/p99'),
  serviceScenario('throughput-paced', "Throughput with GitHub's write pacing on", '7 100 PR events / min, paced', 'all posted; p50/p99'),
  firstOpen,
  dashboardScenario,
  liveScenario,
  policyScenario,
  scaleScenario,
];

function parseArgs(argv: string[]): { scenarios: string[]; quick: boolean; iterations?: number; help: boolean; report: boolean } {
  const out = { scenarios: [] as string[], quick: false, iterations: undefined as number | undefined, help: false, report: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--scenario' || a === '-s') out.scenarios.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (a.startsWith('--scenario=')) out.scenarios.push(...a.slice(11).split(',').filter(Boolean));
    else if (a === '--iterations' || a === '-n') out.iterations = Number(argv[++i]);
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--report') out.report = true;
    else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.report) {
    writeBenchmarksMd(SCENARIOS.map((s) => s.name));
    process.stdout.write('BENCHMARKS.md rewritten from bench/results/latest-*.json\n');
    return 0;
  }
  if (args.help) {
    process.stdout.write(
      `usage: npm run bench [-- --scenario NAME[,NAME]] [--quick] [--iterations N] [--report]\n` +
        `  --report: only rewrite BENCHMARKS.md from the latest results (and bench/analysis.md)\n` +
        `  BENCH_PROFILE_DIR=DIR: CPU-profile the measured part of in-process scenarios (results are then not recorded)\n` +
        `  BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR": profile the bench's child processes (cold plan, mirror clone)\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 0;
  }
  const unknown = args.scenarios.filter((s) => !SCENARIOS.some((x) => x.name === s));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const selected = args.scenarios.length ? SCENARIOS.filter((s) => args.scenarios.includes(s.name)) : SCENARIOS;
  const ctx: BenchContext = { quick: args.quick, iterations: args.iterations ?? (args.quick ? 1 : 5), warmup: args.quick ? 0 : 1 };
  const info = runInfo(ctx.quick, ctx.iterations, ctx.warmup);
  const t0 = performance.now();
  const results: ScenarioResult[] = [];
  let failed = 0;
  for (const s of selected) {
    log(`scenario ${s.name}: ${s.title}${ctx.quick ? ' (quick)' : ''}`);
    const ts = performance.now();
    try {
      results.push(await s.run(ctx));
    } catch (err) {
      if (err instanceof Unavailable) {
        log(`scenario ${s.name} not measurable here: ${err.message}`);
        results.push({
          name: s.name,
          title: s.title,
          rows: [{ scenario: s.name, metric: 'not measurable here', unit: 'ms', driftless: null, peer: null, target: '', pass: null, note: err.message }],
          notes: [`Not measurable on this machine: ${err.message}.`],
        });
        continue;
      }
      failed++;
      log(`scenario ${s.name} failed: ${(err as Error).stack ?? err}`);
      results.push({
        name: s.name,
        title: s.title,
        rows: [{ scenario: s.name, metric: 'FAILED', unit: 'ms', driftless: null, peer: null, target: '', pass: false, note: (err as Error).message }],
        notes: [`The harness failed: ${(err as Error).message}`],
      });
    }
    log(`scenario ${s.name} done in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
  }
  process.stdout.write(
    `\ndriftless benchmarks — ${info.date}, commit ${info.commit}\n${info.machine}; Node ${info.node}, git ${info.git}` +
      `${ctx.quick ? '; QUICK run (small inputs, timings not judged)' : `; median of ${ctx.iterations} runs after ${ctx.warmup} warm-up`}\n\n`,
  );
  process.stdout.write(textTable(results) + '\n\n');
  for (const r of results) for (const n of r.notes) process.stdout.write(`- [${r.name}] ${n}\n`);
  const profiling = Boolean(process.env.BENCH_PROFILE_DIR || process.env.BENCH_CHILD_NODE_ARGS);
  if (profiling) {
    process.stdout.write('\nprofiling run: results not recorded (the profiler slows what it measures)\n');
    return failed ? 1 : 0;
  }
  const file = writeResults(
    info,
    results.filter((r) => !r.rows.some((x) => x.metric === 'FAILED')),
  );
  process.stdout.write(`\nresults: ${file}\n`);
  if (!ctx.quick) {
    writeBenchmarksMd(SCENARIOS.map((s) => s.name));
    process.stdout.write('BENCHMARKS.md updated\n');
  }
  process.stdout.write(`total ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
