/**
 * What a user pays for `plan`, timed from outside: whole `node bin/driftless.js` processes (CPU,
 * wall, peak RSS), each paired in the same run with its lower bound. Cold plan (no parse cache) of
 * the generated stack against its recorded state, with a minimal yaml + ajv loader over the same
 * files (bench/lower-bound.ts) and `git cat-file --batch` of the same blobs; then a re-plan after a
 * one-file commit (the parse cache in the data dir warm), with one parse of the changed file as its
 * lower bound; and `validate` of a 10-manifest repository, with `node -e 0` as its.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { commitOneFileChange, generatedRepo, STACK_PATH } from '../generate.js';
import { CLI, configFile, planWorld } from '../plan-world.js';
import { PACKAGE_ROOT, fmtMs, gitSync, log, median, spread } from '../util.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

/** Median figures of samples, and the row set of one measured thing against its lower bound. */
export function rows(
  scenario: string,
  what: string,
  d: ProcessSample[],
  peer: { name: string; samples: ProcessSample[] } | null,
  targets: { cpu?: [string, (cpu: number, peerCpu: number) => boolean]; wall?: [string, number]; rss?: [string, number] },
  quick: boolean,
): Row[] {
  const mark = loadMark(d);
  const m = (xs: ProcessSample[], k: 'cpuMs' | 'wallMs' | 'rssMB') => median(xs.map((s) => s[k]));
  const pair = (k: 'cpuMs' | 'wallMs' | 'rssMB') => (peer ? m(peer.samples, k) : null);
  const row = (metric: string, k: 'cpuMs' | 'wallMs' | 'rssMB', target: string, pass: boolean | null): Row => {
    const p = pair(k);
    return {
      scenario,
      metric: `${what}: ${metric}${mark}`,
      unit: k === 'rssMB' ? 'MB' : 'ms',
      driftless: m(d, k),
      peer: p,
      peerName: peer?.name,
      ratio: p ? m(d, k) / p : null,
      target,
      pass: quick ? null : pass,
      samples: { driftless: d.map((s) => s[k]), peer: peer?.samples.map((s) => s[k]) ?? [] },
    };
  };
  const cpu = m(d, 'cpuMs');
  return [
    row('CPU', 'cpuMs', targets.cpu?.[0] ?? 'report', targets.cpu ? targets.cpu[1](cpu, pair('cpuMs') ?? Number.NaN) : null),
    row('wall', 'wallMs', targets.wall ? `< ${fmtMs(targets.wall[1])}` : 'report', targets.wall ? m(d, 'wallMs') < targets.wall[1] : null),
    row('peak RSS', 'rssMB', targets.rss ? `< ${targets.rss[1]} MB` : 'report', targets.rss ? m(d, 'rssMB') < targets.rss[1] : null),
  ];
}

export const cliPlan: Scenario = {
  name: 'cli-plan',
  title: 'The CLI as users run it: whole-process plan and validate, each paired with its lower bound',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const { seed, base, repo, dataDir, config } = await planWorld(n, 'cli-plan');
    const small = await generatedRepo(10);
    const smallDir = join(base, 'small');
    mkdirSync(smallDir, { recursive: true });
    const smallConfig = configFile(smallDir, small.dir, join(smallDir, 'data'), join(smallDir, 'target'));
    const oids = gitSync(repo, 'ls-tree', '-r', '--object-only', 'main', STACK_PATH) + '\n';
    const plan = ['plan', '--no-refresh', '--config', config];
    const s = {
      cold: [] as ProcessSample[],
      lower: [] as ProcessSample[],
      cat: [] as ProcessSample[],
      replan: [] as ProcessSample[],
      full: [] as ProcessSample[],
      validate: [] as ProcessSample[],
      oneParse: [] as ProcessSample[],
      node: [] as ProcessSample[],
    };
    for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
      // Cold: the same commit as the recorded state, no parse cache, and no kept plan (a plan of a
      // stack whose inputs are unchanged is reused, see src/engine/plan-reuse.ts: that is not cold).
      rmSync(join(dataDir, 'parse-cache'), { recursive: true, force: true });
      const forgetPlans = () => {
        for (const f of readdirSync(dataDir)) if (f.startsWith('plan-reuse.')) rmSync(join(dataDir, f), { force: true });
      };
      forgetPlans();
      gitSync(repo, 'update-ref', 'refs/heads/main', seed.repo.head);
      const cold = await timeProcess(process.execPath, [CLI, ...plan]);
      if (!/Plan: 0 to create, 0 to update/.test(cold.stdout)) throw new Error(`cold plan: expected no changes, got ${cold.stdout.slice(-300)}`);
      const lower = await timeProcess(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'lower-bound.js'), repo, 'main', STACK_PATH]);
      const cat = await timeProcess('git', ['-C', repo, 'cat-file', '--batch'], { input: oids });
      // Re-plan after a one-file commit: a new process, the plan the cold plan kept (patched by the
      // changed file, see src/engine/plan-patch.ts); then the same re-plan in full (no kept plan,
      // the parse cache the cold plan left).
      const changed = seed.repo.filePaths[Math.floor(seed.repo.filePaths.length / 2)];
      await commitOneFileChange(repo, changed, `run ${i}`);
      const replan = await timeProcess(process.execPath, [CLI, ...plan]);
      if (!/Plan: 0 to create, 1 to update/.test(replan.stdout)) throw new Error(`re-plan: expected 1 update, got ${replan.stdout.slice(-300)}`);
      // Its lower bound: one parse, as a whole process (the lower-bound loader over the changed file).
      const oneParse = await timeProcess(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'lower-bound.js'), repo, 'main', changed]);
      if (!/"files":1,/.test(oneParse.stdout)) throw new Error(`one parse: expected one file, got ${oneParse.stdout.slice(0, 300)}`);
      forgetPlans();
      const full = await timeProcess(process.execPath, [CLI, ...plan]);
      if (full.stdout !== replan.stdout) throw new Error('re-plan in full: not the patched plan');
      const validate = await timeProcess(process.execPath, [CLI, 'validate', '--config', smallConfig]);
      const bareNode = await timeProcess(process.execPath, ['-e', '0']);
      if (i < ctx.warmup) continue;
      s.oneParse.push(oneParse);
      s.node.push(bareNode);
      s.cold.push(cold);
      s.lower.push(lower);
      s.cat.push(cat);
      s.replan.push(replan);
      s.full.push(full);
      s.validate.push(validate);
      const f = (x: ProcessSample) => `${fmtMs(x.cpuMs)} CPU / ${fmtMs(x.wallMs)} / ${x.rssMB.toFixed(0)} MB`;
      log(
        `  ${i - ctx.warmup + 1}/${ctx.iterations} (load ${cold.load.toFixed(1)}): cold plan ${f(cold)}; lower bound ${f(lower)}; cat-file ${f(cat)}; ` +
          `re-plan ${f(replan)} (one parse ${f(oneParse)}); in full ${f(full)}; validate 10 ${f(validate)} (node -e 0 ${f(bareNode)})`,
      );
    }
    const k = `${n / 1000}k`;
    const within = (x: number) => (cpu: number, peer: number) => cpu <= x * peer;
    const out: Row[] = [
      ...rows(
        `9 cold plan ${k}, CLI`,
        'vs yaml+ajv',
        s.cold,
        { name: 'yaml + ajv loader', samples: s.lower },
        { cpu: ['≤ 1.5× lower bound', within(1.5)], wall: ['', 2000], rss: ['', 160] },
        ctx.quick,
      ),
      ...rows(`9 cold plan ${k}, CLI`, 'vs git cat-file', s.cold, { name: 'git cat-file --batch', samples: s.cat }, {}, ctx.quick).slice(0, 1),
      ...rows(
        `9 re-plan ${k} after a one-file commit, CLI`,
        'kept plan patched',
        s.replan,
        { name: 'one parse (yaml + ajv loader, the changed file)', samples: s.oneParse },
        { wall: ['', 500] },
        ctx.quick,
      ),
      ...rows(`9 re-plan ${k} after a one-file commit, CLI`, 'in full, parse cache warm', s.full, null, {}, ctx.quick),
      ...rows(
        '9 validate of 10 manifests, CLI',
        'fixed cost',
        s.validate,
        { name: 'node -e 0', samples: s.node },
        { cpu: ['< 500 ms', (cpu) => cpu < 500] },
        ctx.quick,
      ),
    ];
    const loads = s.cold.map((x) => x.load);
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} manifests`,
      rows: out,
      notes: [
        `Each figure is a whole \`node bin/driftless.js\` process under GNU time (CPU = user + system of the child, peak RSS of the child), ` +
          `embedded state with the stack's ${seed.repo.resources} resources recorded, repository read in place (${seed.repo.files} manifest files, ` +
          `${(seed.repo.bytes / 2 ** 20).toFixed(1)} MB of YAML in mixed styles). In each run, back to back: the cold plan (no parse cache, no kept plan), ` +
          'the lower bound (bench/lower-bound.ts: `git ls-tree`, one `git cat-file --batch`, `yaml` parseAllDocuments and one ajv with the same schemas, nothing else), ' +
          "`git cat-file --batch` of the same blobs alone, a re-plan after a one-file commit (the cold plan's kept plan patched by the changed file), " +
          'its lower bound (the same loader over the changed file alone: one parse, as a whole process), ' +
          'the same re-plan in full (kept plans deleted, the parse cache warm; its output must equal the patched one), and `validate` of a 10-manifest repository, ' +
          'paired with `node -e 0` (what any Node process costs). ' +
          `Load average (1 min) at the cold plans: ${loads.map((l) => l.toFixed(1)).join(', ')}; figures measured at a median load over 4 say so. ` +
          `Spread (max-min)/median of the cold plan's CPU: ${(spread(s.cold.map((x) => x.cpuMs)) * 100).toFixed(0)}%, of the lower bound's: ${(spread(s.lower.map((x) => x.cpuMs)) * 100).toFixed(0)}%.`,
      ],
      details: { n, samples: s },
    };
  },
};
