import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../src/config/server-config.js';
import { openState } from '../src/state/open.js';
import { Workspace } from '../src/engine/workspace.js';
import { applyStack } from '../src/engine/apply-stack.js';
import { planAll } from '../src/engine/plan-stacks.js';
import { STACK, TARGET } from './generate.js';
import { WORK_DIR, log } from './util.js';

/** A server config for the bench, as `demoConfig` builds one in code. */
export function benchConfig(o: { repoPath?: string; repoUrl?: string; dataDir: string; targetRoot: string; name?: string }): ServerConfig {
  return {
    file: null,
    repo: { path: o.repoPath, url: o.repoUrl, branch: 'main', name: o.name ?? 'bench' },
    targets: { [TARGET]: { name: TARGET, provider: 'fs', root: o.targetRoot } },
    secrets: {},
    providers: [],
    state: {},
    server: { host: '127.0.0.1', port: 8080, bodyLimit: 25 * 1024 * 1024 },
    poll: '*/1 * * * *',
    dataDir: o.dataDir,
    parallelism: 8,
  };
}

/**
 * A fresh data dir with an initialised (migrated) embedded state store. The first open of a new
 * PGlite dir costs seconds and is not what any scenario measures, so it is done once and copied.
 */
export async function freshDataDir(dst: string): Promise<string> {
  const template = join(WORK_DIR, 'datadir-template');
  if (!existsSync(join(template, '.ready'))) {
    rmSync(template, { recursive: true, force: true });
    mkdirSync(template, { recursive: true });
    const store = await openState({ dataDir: template, command: 'bench template' });
    await store.close();
    writeFileSync(join(template, '.ready'), '');
  }
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(join(dst, '..'), { recursive: true });
  cpSync(template, dst, { recursive: true, filter: (p) => !p.endsWith('.ready') && !/\.lock$/.test(p) });
  return dst;
}

/**
 * One `driftless apply` as the CLI does it: open the workspace and state, plan (with refresh when
 * asked), apply, close; throws unless it succeeded or had nothing to do. The stack is the generated
 * one unless named.
 */
export async function applyOnce(
  config: ServerConfig,
  o: { stack?: string; stacks?: string[]; refresh?: boolean; parallelism?: number } = {},
): Promise<{ ms: number; changes: number; outcome: string }> {
  const t0 = performance.now();
  const ws = await Workspace.open(config, 'bench apply');
  try {
    const commit = await ws.resolve(undefined, false);
    let changes = 0;
    let outcome = 'none';
    for (const stack of o.stacks ?? [o.stack ?? STACK]) {
      const r = await applyStack(ws, {
        commit,
        stack,
        trigger: 'bench',
        ...(o.refresh ? { refresh: true } : {}),
        ...(o.parallelism ? { parallelism: o.parallelism } : {}),
      });
      if (r.diagnostics.length) throw new Error(`generated stack ${stack} does not validate: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
      if (r.refused) throw new Error(`apply of ${stack} refused: ${r.refused}`);
      outcome = r.result?.outcome ?? 'none';
      if (outcome !== 'succeeded' && outcome !== 'no-changes') {
        const failed = r.result?.results.filter((x) => x.outcome !== 'ok').slice(0, 3);
        throw new Error(`apply of ${stack} ${outcome}: ${JSON.stringify(failed)}`);
      }
      changes += r.plan?.changes.length ?? 0;
    }
    return { ms: performance.now() - t0, changes, outcome };
  } finally {
    await ws.close();
  }
}

/** Validate and plan (no refresh) every stack; throws on diagnostics. Returns the summary of the bench stack. */
export async function planNoRefresh(ws: Workspace, commit: string): Promise<{ summary: Record<string, number>; changes: number }> {
  const r = await planAll(ws, commit, { refresh: false });
  if (r.diagnostics.length) throw new Error(`repository diagnostics: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  const s = r.stacks.find((x) => x.stack === STACK);
  if (!s?.planned) throw new Error(`stack ${STACK} was not planned: ${JSON.stringify(s?.diagnostics.slice(0, 3))}`);
  return { summary: { ...s.planned.plan.summary }, changes: s.planned.plan.changes.length };
}

export function logStep(msg: string): void {
  log(msg);
}
