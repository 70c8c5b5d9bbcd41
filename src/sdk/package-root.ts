import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `from` holding driftless's package.json (the same from src/ and dist/). */
export function findPackageRoot(from: string): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'driftless') return dir;
      } catch {
        /* not ours: keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`driftless's package.json was not found above ${from}`);
    dir = up;
  }
}

/** The package root: where `schemas/`, `fixtures/` and `package.json` live. */
export const PACKAGE_ROOT = findPackageRoot(import.meta.url);
