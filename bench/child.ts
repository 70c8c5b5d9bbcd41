/**
 * Work the bench runs in a fresh process (a cold engine, a clean heap, its own peak RSS):
 * `node dist/bench/child.js TASK` with a JSON request on stdin; the last stdout line is the JSON answer.
 */
import { readFileSync } from 'node:fs';
import { Workspace } from '../src/engine/workspace.js';
import { Mirror } from '../src/git/mirror.js';
import { benchConfig } from './engine.js';
import { STACK } from './generate.js';
import { SecretValue } from '../src/sdk/secret-value.js';
import { openState } from '../src/state/open.js';

interface ColdPlanRequest {
  repoPath: string;
  dataDir: string;
  targetRoot: string;
  stateUrl?: string;
}

async function coldPlan(req: ColdPlanRequest): Promise<unknown> {
  const t0 = performance.now();
  const config = benchConfig({ repoPath: req.repoPath, dataDir: req.dataDir, targetRoot: req.targetRoot });
  if (req.stateUrl) config.state = { url: new SecretValue(req.stateUrl, 'bench') };
  const ws = await Workspace.open(config, 'bench cold-plan');
  try {
    // The state store is opened at service start, before any plan: timed apart.
    const rss: Record<string, number> = { afterOpen: process.memoryUsage().rss / 2 ** 20 };
    await ws.store();
    rss.afterStoreOpen = process.memoryUsage().rss / 2 ** 20;
    const t1 = performance.now();
    // What planAll(ws, commit, { refresh: false }) does, phase by phase.
    const commit = await ws.resolve(undefined, false);
    const at = await ws.repoAt(commit);
    if (!at.repoConfig || at.diagnostics.length) throw new Error(`repository diagnostics: ${JSON.stringify(at.diagnostics)}`);
    const t2 = performance.now();
    const inputs = await ws.stackInputs(commit, at.repoConfig, at.registry, STACK);
    if (inputs.diagnostics.length) throw new Error(`stack diagnostics: ${JSON.stringify(inputs.diagnostics.slice(0, 3))}`);
    const t3 = performance.now();
    rss.afterLoad = process.memoryUsage().rss / 2 ** 20;
    const r = await ws.planStack(inputs, { refresh: false });
    rss.afterPlan = process.memoryUsage().rss / 2 ** 20;
    const t4 = performance.now();
    const mem = process.memoryUsage();
    return {
      storeOpenMs: t1 - t0,
      planMs: t4 - t1,
      phases: { repoConfigMs: t2 - t1, loadValidateMs: t3 - t2, planMs: t4 - t3 },
      summary: r.planned?.plan.summary,
      resources: inputs.desired?.resources.size,
      loader: ws.loader.stats,
      heapUsedMB: mem.heapUsed / 2 ** 20,
      rssMB: rss,
    };
  } finally {
    await ws.close();
  }
}

async function mirrorClone(req: { url: string; dataDir: string }): Promise<unknown> {
  const t0 = performance.now();
  const m = await Mirror.open(req.url, req.dataDir);
  const ms = performance.now() - t0;
  const head = await m.resolve('main');
  return { ms, head };
}

/** Open (and migrate) the embedded store in `dataDir`, new or not; `noTemplate`: a new one by initdb. */
async function storeOpen(req: { dataDir: string; noTemplate?: boolean }): Promise<unknown> {
  const t0 = performance.now();
  const store = await openState({ dataDir: req.dataDir, command: 'bench first-open', template: req.noTemplate ? null : undefined });
  const ms = performance.now() - t0;
  const started = store.db.started;
  await store.close();
  return { ms, started };
}

const tasks: Record<string, (req: never) => Promise<unknown>> = { 'cold-plan': coldPlan, 'mirror-clone': mirrorClone, 'store-open': storeOpen };

const task = process.argv[2];
const fn = tasks[task];
if (!fn) {
  process.stderr.write(`unknown task ${task}; known: ${Object.keys(tasks).join(', ')}\n`);
  process.exit(2);
}
const request = JSON.parse(readFileSync(0, 'utf8') || '{}') as never;
const answer = await fn(request);
process.stdout.write(JSON.stringify(answer) + '\n');
