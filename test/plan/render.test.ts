import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/model.js';
import { renderJson } from '../../src/plan/render/json.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';

/** The three renderings of one plan model, pure: same input, same bytes; sensitive values never shown. */

const plan: Plan = {
  formatVersion: 1,
  repo: 'infra',
  stack: 'web',
  commit: 'a'.repeat(40),
  appliedCommit: 'b'.repeat(40),
  stateSerial: 3,
  changes: [
    {
      id: 'File/motd',
      action: 'update',
      reason: 'spec changed',
      dependsOn: ['Directory/etc'],
      diff: [{ path: '/spec/content', before: 'Hi\n', after: 'Welcome.\n' }],
    },
    { id: 'PostgresRole/app', action: 'create', reason: 'new', dependsOn: [], diff: [{ path: '/spec/password', sensitive: true }] },
    { id: 'File/key', action: 'update', reason: 'spec changed', dependsOn: [], diff: [{ path: '/spec/content', unknown: true, before: 'x' }] },
  ],
  drift: [{ id: 'Directory/etc', diff: [{ path: '/spec/mode', before: '0755', after: '0700' }] }],
  orphans: [],
  errors: [],
  summary: { create: 1, update: 2, replace: 0, delete: 0, noop: 4 },
  digest: `sha256:${'c'.repeat(64)}`,
};

describe('plan renderers', () => {
  it('text: stack, drift, each change with its diff, the summary; no colour unless asked', () => {
    const t = renderText(plan);
    expect(t).toContain('Stack web at aaaaaaaaaaaa');
    expect(t).toContain('Directory/etc');
    expect(t).toMatch(/~ File\/motd/);
    expect(t).toContain('(sensitive value)');
    expect(t).toContain('(known after apply)');
    expect(t).toContain('Plan: 1 to create, 2 to update, 0 to replace, 0 to delete.');
    expect(t).not.toContain('\x1b[');
    expect(renderText(plan, { color: true })).toContain('\x1b[');
  });

  it('json: the plan model as is, deterministic bytes', () => {
    expect(JSON.parse(renderJson(plan))).toEqual(plan);
    expect(renderJson(structuredClone(plan))).toBe(renderJson(plan));
  });

  it('markdown: a heading per stack, the changes in a diff block, sensitive values masked', () => {
    const m = renderMarkdown(plan);
    expect(m).toContain('web');
    expect(m).toContain('```diff');
    expect(m).toContain('File/motd');
    expect(m).toContain('(sensitive value)');
    expect(m.split('\n').filter((l) => l.startsWith('```')).length % 2).toBe(0);
  });
});
