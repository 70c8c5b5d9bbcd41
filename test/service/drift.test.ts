import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, webFile, opsFile, until } from './harness.js';

const CONFIG = `version: 1
stacks:
  web:
    path: stacks/web
    targets: { fs: files }
    drift: { schedule: "*/1 * * * * *", remediate: false }
  ops:
    path: stacks/ops
    targets: { fs: files }
    drift: { schedule: "*/1 * * * * *", remediate: true }
`;

describe('serve: scheduled drift checks', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': CONFIG, 'README.md': 'x\n' });
    await w.start();
    await w.landPr(1, { ...webFile('w', 'web\n'), ...opsFile('o', 'ops\n') }, ['web', 'ops']);
  });
  afterAll(async () => {
    await w.close();
  });

  it('opens one issue per drifted stack, updates it while the drift lasts, closes it when gone', async () => {
    const file = join(w.targetRoot, 'web/w.txt');
    writeFileSync(file, 'changed by hand\n');
    const issue = await until('drift issue', () => w.gh.issues.find((i) => i.title === 'Drift in stack web' && i.state === 'open'));
    expect(issue.body).toContain('File/w');
    expect(issue.body).toContain('does not remediate');
    const updates = w.gh.requests.filter((r) => r.operationId === 'issues/update').length;
    await until('updated while it lasts', () => w.gh.requests.filter((r) => r.operationId === 'issues/update').length > updates);
    expect(w.gh.issues.filter((i) => i.title === 'Drift in stack web')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe('changed by hand\n'); // not remediated
    writeFileSync(file, 'web\n');
    await until('closed when gone', () => w.gh.issues.find((i) => i.title === 'Drift in stack web')?.state === 'closed');
  });

  it('remediates a stack with remediate: true and says so', async () => {
    const file = join(w.targetRoot, 'ops/o.txt');
    writeFileSync(file, 'tampered\n');
    const issue = await until('drift issue for ops', () => w.gh.issues.find((i) => i.title === 'Drift in stack ops'));
    await until('remediated', () => readFileSync(file, 'utf8') === 'ops\n');
    await until('issue says so', () => w.gh.issues.find((i) => i.number === issue.number)?.body.includes('remediated the drift'));
    await until('closed after remediation', () => w.gh.issues.find((i) => i.number === issue.number)?.state === 'closed');
    const runs = await w.svc!.ctx.store.runs({ stack: 'ops' });
    expect(runs.some((r) => r.kind === 'remediate' && r.outcome === 'succeeded')).toBe(true);
    expect(w.gh.rejected()).toEqual([]);
  });
});
