import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario, ScenarioResult } from '../types.js';
import { PACKAGE_ROOT } from '../util.js';

/** What of the service exists in this build (compiled modules under dist/). */
export function serviceParts(): { ready: boolean; missing: string[] } {
  const missing: string[] = [];
  for (const d of ['server', 'reconcile', 'forge']) {
    const dir = join(PACKAGE_ROOT, 'dist', 'src', d);
    if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.js'))) missing.push(`src/${d}`);
  }
  return { ready: missing.length === 0, missing };
}

/** A scenario that cannot be measured yet: one row that says so, and why. */
export function notYetMeasurable(name: string, label: string, title: string, target: string, why: () => string | null, real?: Scenario): Scenario {
  return {
    name,
    title,
    async run(ctx): Promise<ScenarioResult> {
      const reason = why();
      if (!reason && real) return real.run(ctx);
      return {
        name,
        title,
        rows: [
          { scenario: label, metric: 'not yet measurable', unit: 'ms', driftless: null, peer: null, target, pass: null, note: reason ?? 'no harness yet' },
        ],
        notes: [`Not yet measurable: ${reason ?? 'the harness for it is not written yet'}.`],
      };
    },
  };
}
