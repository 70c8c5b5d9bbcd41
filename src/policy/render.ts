/** Policy results in words: the PR comment's section per stack, one status line, the git note lines. Pure. */
import type { PolicyOverride, PolicyResult, StackPolicyReport } from './evaluate.js';

const ICON: Record<PolicyResult['outcome'], string> = { passed: '✅', warned: '⚠️', failed: '❌', skipped: '➖' };
const MAX_LISTED = 20;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/`/g, "'");
}

export interface PolicyCounts {
  passed: number;
  warned: number;
  failed: number;
  overridden: number;
}

export function overrideFor(r: PolicyResult, digest: string, overrides: readonly PolicyOverride[]): PolicyOverride | undefined {
  return r.level === 'soft-mandatory' && r.outcome === 'failed' ? overrides.find((o) => o.policy === r.name && o.digest === digest) : undefined;
}

export function countResults(reports: readonly StackPolicyReport[], overrides: readonly PolicyOverride[]): PolicyCounts {
  const c: PolicyCounts = { passed: 0, warned: 0, failed: 0, overridden: 0 };
  for (const rep of reports) {
    for (const r of rep.results) {
      if (r.outcome === 'passed') c.passed++;
      else if (r.outcome === 'warned') c.warned++;
      else if (r.outcome === 'failed') {
        if (overrideFor(r, rep.digest, overrides)) c.overridden++;
        else c.failed++;
      }
    }
  }
  return c;
}

/** One line for the `driftless/policy` status (140 characters at most); a policy file that does not load comes first. */
export function policyStatusLine(c: PolicyCounts, reports: readonly StackPolicyReport[] = []): string {
  const broken = reports.flatMap((r) => r.results).find((r) => r.broken);
  if (broken) return `Policy file does not load: ${broken.failures[0]?.message ?? broken.file}`.slice(0, 140);
  const parts = [`${c.passed} passed`, `${c.warned} warned`, `${c.failed} failed`, ...(c.overridden ? [`${c.overridden} overridden`] : [])];
  return `Policies: ${parts.join(', ')}`.slice(0, 140);
}

/** The policy section of one stack in the plan comment. */
export function policyMarkdown(rep: StackPolicyReport, overrides: readonly PolicyOverride[], blocked: string | null): string[] {
  if (!rep.results.length) return [];
  const out = [`#### Policies for \`${rep.stack}\``, ''];
  if (blocked) out.push(`> ⛔ ${blocked}`, '');
  out.push('| Policy | Level | Result |', '|---|---|---|');
  for (const r of rep.results) {
    const o = overrideFor(r, rep.digest, overrides);
    const result = o
      ? `✋ overridden by @${o.by}: ${cell(o.reason)}`
      : r.broken
        ? `${ICON.failed} does not load`
        : r.outcome === 'skipped'
          ? `${ICON.skipped} no change matched`
          : r.outcome === 'passed'
            ? `${ICON.passed} passed (${r.checked} checked)`
            : `${ICON[r.outcome]} ${r.outcome}: ${r.failures.length} of ${r.checked}`;
    out.push(`| \`${r.name}\` | ${r.level} | ${result} |`);
  }
  out.push('');
  for (const r of rep.results) {
    if (!r.failures.length) continue;
    out.push(`**${ICON[r.outcome]} \`${r.name}\`**${r.description ? `: ${cell(r.description)}` : ''}`, '');
    for (const f of r.failures.slice(0, MAX_LISTED)) {
      out.push(`- ${f.change ? `\`${f.change}\`: ` : ''}${cell(f.message)}${f.error ? ` (error: ${cell(f.error)})` : ''}`);
    }
    if (r.failures.length > MAX_LISTED) out.push(`- … and ${r.failures.length - MAX_LISTED} more`);
    out.push('');
  }
  return out;
}

/** Lines for a git note or a run: the policies that did not pass, and the overrides used. */
export function policyNoteLines(rep: StackPolicyReport, overrides: readonly PolicyOverride[]): string[] {
  const lines: string[] = [];
  for (const r of rep.results) {
    if (r.outcome === 'passed' || r.outcome === 'skipped') continue;
    const o = overrideFor(r, rep.digest, overrides);
    lines.push(`policy ${r.name} (${r.level}): ${r.outcome}${o ? `, overridden by @${o.by} at ${o.at}: ${o.reason} (plan ${o.digest})` : ''}`);
  }
  return lines;
}
