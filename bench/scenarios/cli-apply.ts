/**
 * What a user pays for `apply` and `drift`, timed from outside: whole `node bin/driftless.js`
 * processes (CPU, wall, peak RSS) at two sizes, so that the cost per resource at the margin is
 * the difference over the difference (the fixed cost of the command cancels). From empty: a new
 * data dir and an empty target; then the no-op re-apply (every file read back, nothing to do) and
 * `drift` (read-only refresh) on what it made. Beside each apply from empty, its lower bound: the
 * same tree written by a bare script the fs provider's way (bench/write-bound.ts), in turn before
 * and after it, so that both meet the disk in the same state; beside the no-op re-apply and `drift`,
 * theirs: the same tree read back and compared by a bare script (bench/read-bound.ts). The same pair again on a memory file
 * system (tmpfs), target and data dir both: what the apply costs with the disk taken out.
 */
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { generatedRepo } from '../generate.js';
import { CLI, configFile } from '../plan-world.js';
import { PACKAGE_ROOT, WORK_DIR, fmtMs, log, median } from '../util.js';
import { treeList } from '../write-bound.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

type Phase = 'from empty' | 'no-op re-apply' | 'drift';
const BOUND = 'bare writes (bench/write-bound.ts)';
const READS = 'bare reads (bench/read-bound.ts)';
const PHASES: Phase[] = ['from empty', 'no-op re-apply', 'drift'];
/** The targets per resource at the margin (issue: apply from empty < 1 ms, no-op and drift < 0.3 ms). */
const TARGET_MS: Record<Phase, number> = { 'from empty': 1, 'no-op re-apply': 0.3, drift: 0.3 };
const WRITE_BOUND = join(PACKAGE_ROOT, 'dist', 'bench', 'write-bound.js');
const READ_BOUND = join(PACKAGE_ROOT, 'dist', 'bench', 'read-bound.js');
/** statfs(2)'s f_type of tmpfs (TMPFS_MAGIC). */
const TMPFS = 0x01021994;

/** A directory on a memory file system to apply into, or null when the machine has none at /dev/shm. */
function memoryDir(): string | null {
  try {
    return statfsSync('/dev/shm').type === TMPFS ? join('/dev/shm', `driftless-bench-${process.pid}`) : null;
  } catch {
    return null;
  }
}

export const cliApply: Scenario = {
  name: 'cli-apply',
  title: 'The CLI as users run it: whole-process apply from empty, no-op re-apply and drift, cost per resource at the margin',
  async run(ctx): Promise<ScenarioResult> {
    const sizes = ctx.quick ? [100, 300] : [1_000, 10_000];
    const base = join(WORK_DIR, 'runs', 'cli-apply');
    const samples: Record<string, ProcessSample[]> = {};
    const memory = memoryDir();
    for (const n of sizes) {
      const repo = await generatedRepo(n);
      for (const p of PHASES) samples[`${p} ${n}`] = [];
      samples[`bound ${n}`] = [];
      samples[`reads ${n}`] = [];
      samples[`tmpfs ${n}`] = [];
      samples[`tmpfs bound ${n}`] = [];
      const list = join(base, `tree-${n}.json`);
      rmSync(list, { force: true });
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const dir = join(base, `${n}-${i}`);
        rmSync(dir, { recursive: true, force: true });
        const { config, apply: empty, bound: bare } = await fromEmpty(dir, repo.dir, repo.resources, list, i % 2 === 1 && existsSync(list));
        const noop = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!/No changes/.test(noop.stdout)) throw new Error(`no-op re-apply: ${noop.stdout.slice(-300)}`);
        const drift = await timeProcess(process.execPath, [CLI, 'drift', '--config', config]);
        const reads = await timeProcess(process.execPath, [READ_BOUND, list, join(dir, 'target')]);
        if (!/"differing":\[\]/.test(reads.stdout)) throw new Error(`bare reads: the applied tree differs from its list: ${reads.stdout.slice(0, 300)}`);
        rmSync(dir, { recursive: true, force: true });
        const inMemory = memory ? await onTmpfs(join(memory, `${n}-${i}`), repo.dir, repo.resources, list, i % 2 === 1) : null;
        if (i < ctx.warmup) continue;
        if (inMemory) {
          samples[`tmpfs ${n}`].push(inMemory.apply);
          samples[`tmpfs bound ${n}`].push(inMemory.bound);
        }
        samples[`from empty ${n}`].push(empty);
        samples[`bound ${n}`].push(bare);
        samples[`reads ${n}`].push(reads);
        samples[`no-op re-apply ${n}`].push(noop);
        samples[`drift ${n}`].push(drift);
        const f = (x: ProcessSample) => `${fmtMs(x.cpuMs)} CPU / ${fmtMs(x.wallMs)} / ${x.rssMB.toFixed(0)} MB`;
        log(
          `  ${n} ${i - ctx.warmup + 1}/${ctx.iterations} (load ${empty.load.toFixed(1)}): from empty ${f(empty)} (bare writes ${f(bare)}); no-op ${f(noop)}; drift ${f(drift)} (bare reads ${f(reads)})` +
            (inMemory ? `; on tmpfs: from empty ${f(inMemory.apply)} (bare writes ${f(inMemory.bound)})` : ''),
        );
      }
    }
    const [small, big] = sizes;
    const med = (k: string, f: 'cpuMs' | 'wallMs' | 'rssMB') => median(samples[k].map((s) => s[f]));
    const rows: Row[] = [];
    for (const p of PHASES) {
      const mark = loadMark(samples[`${p} ${big}`]);
      const marginOf = (k: string) => (med(`${k} ${big}`, 'cpuMs') - med(`${k} ${small}`, 'cpuMs')) / (big - small);
      const margin = marginOf(p);
      const bare = marginOf(p === 'from empty' ? 'bound' : 'reads');
      const over = `(${small.toLocaleString('en')} → ${big.toLocaleString('en')})${mark}`;
      rows.push({
        scenario: `9 ${p}, CLI`,
        metric: `CPU per resource at the margin ${over}`,
        unit: 'ms',
        driftless: margin,
        peer: bare,
        peerName: p === 'from empty' ? BOUND : READS,
        ratio: margin / bare,
        target: `< ${TARGET_MS[p]} ms`,
        pass: ctx.quick ? null : margin < TARGET_MS[p],
        samples: { driftless: samples[`${p} ${big}`].map((s) => s.cpuMs), peer: samples[`${p} ${small}`].map((s) => s.cpuMs) },
      });
      if (p === 'from empty') {
        rows.push({
          scenario: `9 ${p}, CLI`,
          metric: `CPU per resource at the margin beyond the bare writes of the same tree ${over}`,
          unit: 'ms',
          driftless: margin - bare,
          peer: null,
          target: 'report',
          pass: null,
          samples: { driftless: samples[`bound ${big}`].map((s) => s.cpuMs), peer: samples[`bound ${small}`].map((s) => s.cpuMs) },
        });
      }
      if (p === 'from empty' && samples[`tmpfs ${big}`].length) {
        const inMemory = marginOf('tmpfs');
        const inMemoryBare = marginOf('tmpfs bound');
        rows.push({
          scenario: `9 ${p}, CLI`,
          metric: `CPU per resource at the margin, target and data dir on tmpfs ${over}`,
          unit: 'ms',
          driftless: inMemory,
          peer: inMemoryBare,
          peerName: `${BOUND} on tmpfs`,
          ratio: inMemory / inMemoryBare,
          target: 'report',
          pass: null,
          samples: { driftless: samples[`tmpfs ${big}`].map((s) => s.cpuMs), peer: samples[`tmpfs ${small}`].map((s) => s.cpuMs) },
        });
      }
      for (const [label, f, unit] of [
        ['CPU', 'cpuMs', 'ms'],
        ['wall', 'wallMs', 'ms'],
        ['peak RSS', 'rssMB', 'MB'],
      ] as const) {
        rows.push({
          scenario: `9 ${p}, CLI`,
          metric: `${big.toLocaleString('en')} resources: ${label}${mark}`,
          unit,
          driftless: med(`${p} ${big}`, f),
          peer: null,
          target: 'report',
          pass: null,
          samples: { driftless: samples[`${p} ${big}`].map((s) => s[f]), peer: [] },
        });
      }
    }
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `Each figure is a whole \`node bin/driftless.js\` process under GNU time (CPU = user + system of the child, peak RSS of the child), ` +
          `embedded state, fs provider, the generated repository (mixed YAML styles) at ${sizes.join(' and ')} resources. Per size and run: ` +
          '`apply --auto-approve` into a new data dir and an empty target, the same again (every file read back, no change), then `drift`. ' +
          `The margin is (median CPU at ${big} − median CPU at ${small}) / ${big - small}: the command's fixed cost cancels. ` +
          `Beside each apply from empty (before it in odd runs, after it in even ones), ${BOUND} makes the same tree in another new directory of the same disk: ` +
          'each directory, each file written to a temporary name with its mode, chmod-ed and renamed into place (as the fs provider does), each symlink. ' +
          'Its margin is the peer: what creating those files costs on this disk at that moment, with nothing of driftless. ' +
          `The no-op re-apply's and drift's peer is ${READS}, run after them on the applied tree: every entry lstat-ed, every file read and compared with its content and mode, every symlink read back. ` +
          `Load average (1 min) at the ${big} applies: ${samples[`from empty ${big}`].map((s) => s.load.toFixed(1)).join(', ')}.`,
        memory
          ? 'After each run on disk, the same pair (apply from empty and bare writes, in turn first) with the target and the data dir on tmpfs (/dev/shm): ' +
            "the apply's own cost with the disk taken out, beside what creating the same files costs in memory."
          : 'This machine has no tmpfs at /dev/shm: the apply was not measured with the disk taken out.',
      ],
      details: { sizes, samples },
    };
  },
};

/**
 * Apply from empty into `root` (a new data dir and an empty target) and the bare writes of the same
 * tree beside it; `boundFirst` says which goes first. The first apply's tree is listed in `list`.
 */
async function fromEmpty(
  root: string,
  repoDir: string,
  resources: number,
  list: string,
  boundFirst: boolean,
): Promise<{ config: string; apply: ProcessSample; bound: ProcessSample }> {
  mkdirSync(join(root, 'target'), { recursive: true });
  const config = configFile(root, repoDir, join(root, 'data'), join(root, 'target'));
  const bound = () => timeProcess(process.execPath, [WRITE_BOUND, list, join(root, 'bound')]);
  const before = boundFirst ? await bound() : null;
  const apply = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
  if (!new RegExp(`${resources} done, 0 failed`).test(apply.stdout)) throw new Error(`apply from empty into ${root}: ${apply.stdout.slice(-300)}`);
  if (!existsSync(list)) writeFileSync(list, JSON.stringify(treeList(join(root, 'target'))));
  return { config, apply, bound: before ?? (await bound()) };
}

/** The same pair on tmpfs under `root`, removed after; the tree list is the disk run's. */
async function onTmpfs(
  root: string,
  repoDir: string,
  resources: number,
  list: string,
  boundFirst: boolean,
): Promise<{ apply: ProcessSample; bound: ProcessSample }> {
  rmSync(root, { recursive: true, force: true });
  try {
    return await fromEmpty(root, repoDir, resources, list, boundFirst);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
