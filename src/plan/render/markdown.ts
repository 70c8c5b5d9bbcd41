import type { Plan } from '../model.js';
import { summaryLine } from '../model.js';
import { ACTION_SIGN, formatDiffLine } from './values.js';
import { collapseChanges, memberList } from './collapse.js';

export interface MarkdownOptions {
  /** Fold the detail in <details> when it has more lines than this. */
  foldOver?: number;
}

/**
 * The plan for a pull request: a heading, the summary, then a ```diff block of changes (folded in
 * <details> when long), drift and errors. Pure. Code fences use ``` and the content never holds a
 * line starting with ```, so a splitter can close and reopen them safely.
 */
export function renderMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const foldOver = opts.foldOver ?? 40;
  const out: string[] = [];
  const icon = plan.errors.length ? '⛔' : plan.changes.length ? '📝' : '✅';
  out.push(`### ${icon} Stack \`${plan.stack}\``);
  out.push('');
  out.push(`**${summaryLine(plan.summary)}** at \`${plan.commit.slice(0, 12)}\` · digest \`${plan.digest.slice(7, 19)}\``);
  out.push('');
  if (plan.errors.length) {
    out.push('**This plan cannot be applied:**');
    for (const e of plan.errors) out.push(`- ${escapeMd(e)}`);
    out.push('');
  }
  if (plan.changes.length) {
    const body: string[] = [];
    // The same change on many hosts is shown once (the JSON plan keeps every host).
    for (const { change: ch, members } of collapseChanges(plan.changes)) {
      const sign = ACTION_SIGN[ch.action];
      const where = members.length ? `on ${members.length} hosts: ` : '';
      const which = members.length ? ` [${memberList(members)}]` : '';
      body.push(`${ch.action === 'update' ? '!' : sign === '-/+' ? '!' : sign} ${where}${ch.id} (${ch.action}: ${ch.reason})${which}`);
      for (const e of ch.diff) {
        const f = formatDiffLine(e, ch.action);
        body.push(`${f.sign === '~' ? '!' : f.sign}     ${f.text}`);
      }
    }
    pushBlock(out, body, foldOver, `${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}`);
  } else {
    out.push('No changes.');
    out.push('');
  }
  if (plan.drift.length) {
    const body: string[] = [];
    for (const d of plan.drift) {
      body.push(`! ${d.id}${d.gone ? ' (deleted outside driftless)' : ''}`);
      for (const e of d.diff) body.push(`!     ${formatDiffLine(e).text}`);
    }
    out.push('**Drift** (live state differs from what was applied):');
    out.push('');
    pushBlock(out, body, foldOver, `${plan.drift.length} drifted resource${plan.drift.length === 1 ? '' : 's'}`);
  }
  if (plan.orphans.length) {
    out.push(`No longer declared, left in place (prune is off): ${plan.orphans.map((o) => `\`${o}\``).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}

function pushBlock(out: string[], body: string[], foldOver: number, label: string): void {
  const safe = body.map((l) => l.replace(/```/g, '`\u200b``'));
  const block = ['```diff', ...safe, '```'];
  if (safe.length > foldOver) {
    out.push(`<details><summary>${label} (${safe.length} lines)</summary>`, '', ...block, '', '</details>', '');
  } else {
    out.push(...block, '');
  }
}

function escapeMd(s: string): string {
  return s.replace(/[<>]/g, (m) => (m === '<' ? '&lt;' : '&gt;'));
}
