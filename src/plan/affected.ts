import type { RepoConfig } from '../manifests/repo-config.js';
import { CUSTOM_SCHEMA_DIR, REPO_CONFIG_FILE } from '../manifests/repo-config.js';

/** True when a change to `paths` can change every stack (the repo config or a custom schema). */
export function touchesEverything(paths: string[]): boolean {
  return paths.some((p) => p === REPO_CONFIG_FILE || p === CUSTOM_SCHEMA_DIR || p.startsWith(CUSTOM_SCHEMA_DIR + '/'));
}

/** Whether a changed path lies under a stack's directory. */
export function underStack(path: string, stackPath: string): boolean {
  if (stackPath === '' || stackPath === '.') return true;
  return path === stackPath || path.startsWith(stackPath + '/');
}

/**
 * The stacks a set of changed paths touches: those with a changed path under their directory, or
 * all of them when driftless.yaml or .driftless/schemas/ changed. Sorted. Pure.
 */
export function affectedStacks(config: RepoConfig, changed: string[]): string[] {
  const names = Object.keys(config.stacks).sort();
  if (touchesEverything(changed)) return names;
  return names.filter((n) => changed.some((p) => underStack(p, config.stacks[n].path)));
}
