/** The workflow on the pull request: the change graph in the plan comment, and how far the apply got. Pure. */
import type { ChangeGraph } from '../plan/change-graph.js';
import { renderMermaid } from '../plan/render/mermaid.js';

/** What the plan comment shows of the workflow. */
export interface WorkflowView {
  /** Planned stacks in order. */
  stacks: string[];
  graph: ChangeGraph;
  /** Stacks planned because they use outputs an upstream plan changes (their files did not change). */
  replanned: string[];
}

/**
 * The workflow section of the plan comment: the order, why stacks were planned again, and the
 * change graph as a Mermaid flowchart (GitHub renders it). Empty unless planned stacks depend on each other.
 */
export function workflowSection(w: WorkflowView | undefined): string[] {
  if (!w?.graph.edges.length) return []; // independent stacks: no order to show
  const out = ['### Workflow', '', `Applied in this order: ${w.stacks.map((s) => `\`${s}\``).join(' → ')}.`];
  if (w.replanned.length) {
    out.push(
      '',
      `Planned again because they use outputs that change upstream: ${w.replanned.map((s) => `\`${s}\``).join(', ')} (values marked *known after apply*).`,
    );
  }
  out.push('', '```mermaid', renderMermaid(w.graph).trimEnd(), '```', '');
  return out;
}

/** A stack not applied because a stack it depends on did not get there. */
export function waitingBody(stack: string, commit: string, message: string): string {
  return [
    `## ⏳ Stack \`${stack}\` is ${message}`,
    '',
    `It was not applied at \`${commit.slice(0, 12)}\`: a stack it depends on did not succeed there. It is applied when a later commit fixes that stack.`,
  ].join('\n');
}

/** The git note of such a stack. */
export function waitingNoteText(o: { stack: string; runId: number; pr: number | null; message: string; time: string }): string {
  return [
    `driftless: stack ${o.stack}, run ${o.runId}, waiting`,
    `time: ${o.time}`,
    `pr: ${o.pr ? `#${o.pr}` : '-'}`,
    `outcome: ${o.message.replace(/`/g, '')} (not applied)`,
  ].join('\n');
}

export interface ProgressStep {
  stack: string;
  outcome: string | null;
  runId?: number;
  ms?: number;
  message?: string;
}

const ICON: Record<string, string> = {
  succeeded: '✅',
  'no-changes': '✅',
  failed: '❌',
  partial: '❌',
  refused: '⛔',
  invalid: '❌',
  interrupted: '⏸️',
  running: '🔄',
};

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The result comment of a workflow: each stack's outcome and duration, and the one that stopped it. */
export function progressBody(commit: string, steps: ProgressStep[], stoppedBy?: string): string {
  const rows = steps.map((s) => {
    const waiting = s.message?.startsWith('waiting on');
    const outcome = !s.outcome ? '… not run yet' : waiting ? `⏳ ${s.message}` : `${ICON[s.outcome] ?? ''} ${s.outcome}`.trim();
    const run = s.runId ? `#${s.runId}` : '';
    return `| \`${s.stack}\` | ${outcome} | ${run} | ${waiting ? '' : duration(s.ms)} |`;
  });
  const done = steps.filter((s) => s.outcome === 'succeeded' || s.outcome === 'no-changes').length;
  return [
    `## ${stoppedBy ? '❌' : done === steps.length ? '✅' : '🔄'} Workflow at \`${commit.slice(0, 12)}\`: ${done} of ${steps.length} stacks applied`,
    '',
    ...(stoppedBy ? [`Stopped by \`${stoppedBy}\`: the stacks after it wait until a later commit fixes it.`, ''] : []),
    '| Stack | Outcome | Run | Duration |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
