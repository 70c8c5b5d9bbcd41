/**
 * A world for whole-process plans: the generated stack of `n` resources, applied once (cached), its
 * repository copied (to commit to) and its data dir copied without the parse cache, with a server
 * config for the CLI. Shared by the cli-plan and scale scenarios.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedStack } from './scenarios/state.js';
import { copyRepo, type GeneratedRepo } from './generate.js';
import { PACKAGE_ROOT, WORK_DIR } from './util.js';

export const CLI = join(PACKAGE_ROOT, 'bin', 'driftless.js');

/** A server config for the CLI: the repository, an fs target, the data dir. */
export function configFile(dir: string, repo: string, dataDir: string, targetRoot: string): string {
  const file = join(dir, 'driftless.config.yaml');
  writeFileSync(file, `repo:\n  name: bench\n  path: ${repo}\ntargets:\n  bench-files: { provider: fs, root: ${targetRoot} }\ndataDir: ${dataDir}\n`);
  return file;
}

export interface PlanWorld {
  seed: { repo: GeneratedRepo; dataDir: string; targetRoot: string };
  base: string;
  repo: string;
  dataDir: string;
  config: string;
}

export async function planWorld(n: number, name: string, stackCount = 1): Promise<PlanWorld> {
  const seed = await appliedStack(n, stackCount);
  const base = join(WORK_DIR, 'runs', name);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const repo = await copyRepo(seed.repo.dir, join(base, 'repo.git'));
  const dataDir = join(base, 'data');
  cpSync(seed.dataDir, dataDir, { recursive: true, filter: (p) => !p.endsWith('driftless.lock') && !p.includes('parse-cache') });
  return { seed, base, repo, dataDir, config: configFile(base, repo, dataDir, seed.targetRoot) };
}
