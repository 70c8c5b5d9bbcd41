import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchConfig, freshDataDir, applyOnce } from '../engine.js';
import { generatedRepo, STACK, type GeneratedRepo } from '../generate.js';
import { WORK_DIR, log, fmtMs } from '../util.js';

/**
 * The generated repository of `n` resources, applied once to an fs target with embedded state
 * (so that plans compare against recorded state, as in a running service). Cached in bench/work/.
 */
export async function appliedStack(n: number, stackCount = 1): Promise<{ repo: GeneratedRepo; dataDir: string; targetRoot: string }> {
  const repo = await generatedRepo(n, 1, stackCount);
  const base = join(WORK_DIR, 'applied', `n${n}${stackCount === 1 ? '' : `-x${stackCount}`}`);
  const dataDir = join(base, 'data');
  const targetRoot = join(base, 'target');
  const marker = join(base, 'applied.json');
  if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).head === repo.head) return { repo, dataDir, targetRoot };
  rmSync(base, { recursive: true, force: true });
  mkdirSync(targetRoot, { recursive: true });
  await freshDataDir(dataDir);
  log(`applying the ${n}-resource ${stackCount === 1 ? 'stack' : `repository (${stackCount} stacks)`} once (setup, not measured)`);
  const r = await applyOnce(benchConfig({ repoPath: repo.dir, dataDir, targetRoot }), { parallelism: 8, stacks: repo.stacks ?? [STACK] });
  log(`  applied ${r.changes} changes in ${fmtMs(r.ms)}`);
  writeFileSync(marker, JSON.stringify({ head: repo.head, applyMs: r.ms }));
  return { repo, dataDir, targetRoot };
}
