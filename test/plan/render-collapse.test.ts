import { describe, expect, it } from 'vitest';
import type { Change, Plan } from '../../src/plan/model.js';
import { renderJson } from '../../src/plan/render/json.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { collapseChanges } from '../../src/plan/render/collapse.js';

const hosts = Array.from({ length: 12 }, (_, i) => `web-${i + 1}`);
const pkg = (h: string): Change => ({
  id: `Package/nginx@${h}`,
  action: 'create',
  reason: 'new',
  dependsOn: [],
  diff: [
    { path: '/spec/name', after: 'nginx' },
    { path: '/spec/version', after: '1.22.*' },
  ],
});
const svc = (h: string): Change => ({
  id: `Service/nginx@${h}`,
  action: 'update',
  reason: `triggered by File/conf@${h}`,
  dependsOn: [`File/conf@${h}`],
  diff: [{ path: '/triggers/reload', after: [`File/conf@${h}`] }],
});

describe('identical changes on many hosts', () => {
  const changes = [...hosts.map(pkg), { ...pkg('web-13'), diff: [{ path: '/spec/name', after: 'nginx' }] }, svc('web-1')];
  const plan: Plan = {
    formatVersion: 1,
    repo: 'infra',
    stack: 'web',
    commit: 'a'.repeat(40),
    appliedCommit: null,
    stateSerial: 0,
    changes,
    drift: [],
    orphans: [],
    errors: [],
    summary: { create: 13, update: 1, replace: 0, delete: 0, noop: 0 },
    digest: `sha256:${'c'.repeat(64)}`,
  };

  it('collapse in the PR comment, a host that differs stays apart, and the JSON keeps every host', () => {
    const groups = collapseChanges(changes);
    expect(groups.map((g) => [g.change.id, g.members.length])).toEqual([
      ['Package/nginx', 12],
      ['Package/nginx@web-13', 0],
      ['Service/nginx@web-1', 0],
    ]);
    const md = renderMarkdown(plan);
    expect(md).toContain('+ on 12 hosts: Package/nginx (create: new) [web-1, web-2, web-3, web-4, web-5, web-6, … web-11, web-12]');
    expect(md).toContain('+     /spec/version = "1.22.*"');
    expect(md).toContain('+ Package/nginx@web-13 (create: new)');
    expect(md.match(/\/spec\/version/g)).toHaveLength(1);
    const json = JSON.parse(renderJson(plan));
    expect(json.changes.map((c: Change) => c.id)).toEqual(changes.map((c) => c.id));
  });

  it('the member is taken out of the reason, so triggered reloads on several hosts collapse too', () => {
    const groups = collapseChanges([svc('web-1'), svc('web-2')]);
    expect(groups).toHaveLength(1);
    expect(groups[0].change.reason).toBe('triggered by File/conf');
  });
});
