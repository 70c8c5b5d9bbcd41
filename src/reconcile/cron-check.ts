import cron from 'node-cron';
import type { RepoConfig } from '../manifests/repo-config.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import { locate } from '../manifests/yaml.js';
import type { Diagnostic } from '../manifests/diagnostics.js';

/**
 * Check one cron expression. node-cron accepts 5 fields (or 6 with seconds) but combines a
 * restricted day-of-month and a restricted day-of-week with AND where standard cron uses OR; such
 * expressions are refused rather than silently run on other days. Returns a problem or null. Pure.
 */
export function cronProblem(expr: string): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return `"${expr}" is not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week)`;
  const detailed = cron.validateDetailed(expr);
  if (!detailed.valid) {
    const why = detailed.errors.map((e) => `${e.field}${e.value !== undefined ? ` "${e.value}"` : ''}: ${e.message}`).join('; ');
    return `"${expr}" is not a valid cron expression${why ? ` (${why})` : ''}`;
  }
  const [dom, , dow] = fields.slice(-3);
  if (restricted(dom) && restricted(dow)) {
    return `"${expr}" restricts both day-of-month (${dom}) and day-of-week (${dow}): standard cron runs when either matches, node-cron only when both do. Use one of them, or two schedules`;
  }
  return null;
}

function restricted(field: string): boolean {
  return field !== '*' && field !== '?';
}

/** Every stack's drift.schedule checked, as diagnostics at driftless.yaml:line:col naming the stack and field. */
export function scheduleDiagnostics(config: RepoConfig, source: string, file = REPO_CONFIG_FILE): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(config.stacks).sort()) {
    const schedule = config.stacks[name].drift?.schedule;
    if (schedule === undefined) continue;
    const problem = cronProblem(schedule);
    if (!problem) continue;
    const pos = locate(source, 0, ['stacks', name, 'drift', 'schedule']);
    out.push({ file, line: pos.line, col: pos.col, message: `stacks.${name}.drift.schedule: ${problem}`, field: `/stacks/${name}/drift/schedule` });
  }
  return out;
}

/** The poll setting: "off", or a cron expression checked like a schedule. */
export function pollProblem(poll: string): string | null {
  if (poll === 'off') return null;
  const p = cronProblem(poll);
  return p ? `poll: ${p}` : null;
}
