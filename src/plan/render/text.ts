import type { Plan } from '../model.js';
import { summaryLine } from '../model.js';
import { ACTION_SIGN, formatDiffLine } from './values.js';

const COLOURS: Record<string, string> = { '+': '\x1b[32m', '-': '\x1b[31m', '~': '\x1b[33m', '-/+': '\x1b[35m', bold: '\x1b[1m', dim: '\x1b[2m' };
const RESET = '\x1b[0m';

export interface TextOptions {
  /** ANSI colours (only on a TTY). */
  color?: boolean;
}

/** The plan for a terminal. Pure. */
export function renderText(plan: Plan, opts: TextOptions = {}): string {
  const c = (k: string, s: string): string => (opts.color ? `${COLOURS[k] ?? ''}${s}${RESET}` : s);
  const lines: string[] = [];
  lines.push(
    c('bold', `Stack ${plan.stack} at ${plan.commit.slice(0, 12)}`) +
      c('dim', ` (state serial ${plan.stateSerial}${plan.appliedCommit ? `, last applied ${plan.appliedCommit.slice(0, 12)}` : ''})`),
  );
  if (plan.drift.length) {
    lines.push('', 'Drift (live state differs from what was applied):');
    for (const d of plan.drift) {
      lines.push(`  ${c('~', '~')} ${d.id}${d.gone ? ' (deleted outside driftless)' : ''}`);
      for (const e of d.diff) lines.push(`      ${formatDiffLine(e).text}`);
    }
  }
  if (plan.changes.length) {
    lines.push('', 'Changes:');
    for (const ch of plan.changes) {
      const sign = ACTION_SIGN[ch.action];
      lines.push(`  ${c(sign, sign)} ${ch.id} ${c('dim', `(${ch.action}: ${ch.reason})`)}`);
      for (const e of ch.diff) {
        const f = formatDiffLine(e, ch.action);
        lines.push(`      ${c(f.sign, f.sign)} ${f.text}`);
      }
    }
  } else {
    lines.push('', 'No changes. The live state matches the manifests.');
  }
  if (plan.orphans.length) {
    lines.push('', `No longer declared, left in place (prune is off): ${plan.orphans.join(', ')}`);
  }
  if (plan.errors.length) {
    lines.push('', c('-', 'This plan cannot be applied:'));
    for (const e of plan.errors) lines.push(`  ${c('-', '!')} ${e}`);
  }
  lines.push('', c('bold', summaryLine(plan.summary)));
  return lines.join('\n') + '\n';
}
