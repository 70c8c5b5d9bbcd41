import { describe, expect, it } from 'vitest';
import { progressBody, waitingBody, waitingNoteText, workflowSection } from '../../src/forge/workflow-messages.js';
import type { ChangeGraph } from '../../src/plan/change-graph.js';
import { parseMermaid } from '../helpers/mermaid.js';

const stack = (name: string, update: number, noop: number) => ({
  name,
  resources: update ? [{ id: `File/${name}`, action: 'update' as const }] : [],
  collapsed: noop,
  summary: { create: 0, update, replace: 0, delete: 0, noop },
});

describe('the workflow on the pull request', () => {
  it('shows the order, the stacks planned again and a diagram that parses; nothing for independent stacks', { timeout: 60_000 }, async () => {
    const graph: ChangeGraph = { stacks: [stack('db', 1, 2), stack('app', 1, 0)], edges: [{ from: 'app', to: 'db', why: ['dependsOn'] }], resourceEdges: [] };
    const lines = workflowSection({ stacks: ['db', 'app'], graph, replanned: ['app'] });
    const text = lines.join('\n');
    expect(text).toContain('Applied in this order: `db` → `app`.');
    expect(text).toContain('Planned again because they use outputs that change upstream: `app`');
    expect(await parseMermaid(/```mermaid\n([\s\S]*?)```/.exec(text)![1])).toBe('flowchart-v2');
    expect(workflowSection({ stacks: ['ops', 'web'], graph: { ...graph, edges: [] }, replanned: [] })).toEqual([]);
    expect(workflowSection(undefined)).toEqual([]);
  });

  it('the result comment: each stack with outcome, run and duration, the waiting ones, and the one that stopped it', () => {
    const body = progressBody(
      'a'.repeat(40),
      [
        { stack: 'db', outcome: 'failed', runId: 7, ms: 1500 },
        { stack: 'other', outcome: 'succeeded', runId: 8, ms: 40 },
        { stack: 'app', outcome: 'refused', runId: 9, ms: 3, message: 'waiting on `db` (failed at run 7)' },
      ],
      'db',
    );
    expect(body).toContain('## ❌ Workflow at `aaaaaaaaaaaa`: 1 of 3 stacks applied');
    expect(body).toContain('Stopped by `db`');
    expect(body).toContain('| `db` | ❌ failed | #7 | 1.5 s |');
    expect(body).toContain('| `other` | ✅ succeeded | #8 | 40 ms |');
    expect(body).toContain('| `app` | ⏳ waiting on `db` (failed at run 7) | #9 |  |');
    expect(waitingBody('app', 'b'.repeat(40), 'waiting on `db` (failed at run 7)')).toContain('## ⏳ Stack `app` is waiting on `db` (failed at run 7)');
    expect(waitingNoteText({ stack: 'app', runId: 9, pr: 2, message: 'waiting on `db` (failed at run 7)', time: 't' })).toBe(
      'driftless: stack app, run 9, waiting\ntime: t\npr: #2\noutcome: waiting on db (failed at run 7) (not applied)',
    );
  });
});
