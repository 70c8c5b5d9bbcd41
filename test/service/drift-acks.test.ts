import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, until } from './harness.js';
import { manifest } from '../helpers/git.js';

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

const ACKS = `acks:
  - resource: web:File/motd
    fields: [/spec/content]
    reason: hotfix during incident 231, to be folded into the manifest
    owner: "@ada"
    expires: 2027-01-15
  - resource: ops:File/kept
    reason: tuned by hand while we measure
    owner: "@bob"
    expires: 2027-01-15
`;

const file = (stack: string, name: string, content: string): Record<string, string> => ({
  [`stacks/${stack}/${name}.yaml`]: manifest('File', name, { path: `${stack}/${name}.txt`, content, mode: '0644' }),
});

describe('serve: drift acknowledgements (.driftless/acks.yaml)', () => {
  let w: World;
  // The clock the service judges acks by; the test moves it.
  let clock = new Date('2026-12-10T12:00:00Z');
  /** Drift jobs of a stack finished since log line `from`, with their results. */
  const driftResults = (stack: string, from: number): { drifted: number; acknowledged?: number }[] =>
    w.logs
      .slice(from)
      .map((l) => JSON.parse(l) as { msg: string; lane?: string; result?: { drifted: number; acknowledged?: number } })
      .filter((l) => l.lane?.endsWith(`:stack:${stack}`) && / \(drift\) done$/.test(l.msg) && l.result)
      .map((l) => l.result!);
  /** The stack's latest drift issue (a closed one is not reopened: the next drift opens a new one). */
  const issue = (stack: string) => w.gh.issues.filter((i) => i.title === `Drift in stack ${stack}`).at(-1);

  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': CONFIG, '.driftless/acks.yaml': ACKS, 'README.md': 'x\n' });
    await w.start({ now: () => clock });
    await w.landPr(1, { ...file('web', 'motd', 'welcome\n'), ...file('ops', 'kept', 'kept\n'), ...file('ops', 'fixed', 'fixed\n') }, ['web', 'ops']);
  });
  afterAll(async () => {
    await w.close();
  });

  it('hides drift in its scope, alarms outside it, and alarms again after it expires', async () => {
    const motd = join(w.targetRoot, 'web/motd.txt');
    writeFileSync(motd, 'hotfix\n');
    let from = w.logs.length;
    // Checks run and find the drift acknowledged: no issue.
    await until('two checks that acknowledge it', () => driftResults('web', from).filter((r) => r.drifted === 0 && r.acknowledged === 1).length >= 2);
    expect(issue('web')).toBeUndefined();
    expect(readFileSync(motd, 'utf8')).toBe('hotfix\n');

    // A change outside the ack's scope (the mode) alarms; the issue shows only that, and the acknowledged part apart.
    chmodSync(motd, 0o600);
    const opened = await until('drift issue', () => (issue('web')?.state === 'open' ? issue('web') : undefined));
    expect(opened.body).toContain('/spec/mode');
    expect(opened.body).toMatch(/\*\*Acknowledged drift\*\*[\s\S]*File\/motd \/spec\/content: acknowledged by @ada until 2027-01-15/);
    expect(opened.body).not.toContain('lapsed');
    // The drift run records both: the drift that alarms, and the acknowledged part with its owner.
    const [run] = (await w.svc!.ctx.store.runs({ stack: 'web' })).filter((r) => r.kind === 'drift');
    expect(run.results).toEqual([
      { id: 'File/motd', action: 'changed outside', outcome: 'ok' },
      { id: 'File/motd', action: 'acknowledged (@ada until 2027-01-15)', outcome: 'ok' },
    ]);
    // Back within the scope: the issue is closed, saying what stays acknowledged.
    chmodSync(motd, 0o644);
    await until('closed', () => issue('web')?.state === 'closed');
    expect(issue('web')!.body).toContain('what remains is acknowledged');

    // The day after `expires`: the drift alarms again and the issue says the ack lapsed.
    clock = new Date('2027-01-16T00:00:00Z');
    const lapsed = await until('reopened', () => (issue('web')?.state === 'open' ? issue('web') : undefined));
    expect(lapsed.body).toContain(
      'acknowledgement by @ada (hotfix during incident 231, to be folded into the manifest) lapsed on 2027-01-15: File/motd /spec/content alarms again',
    );
    expect(lapsed.body).toContain('/spec/content');
    expect(readFileSync(motd, 'utf8')).toBe('hotfix\n'); // web does not remediate
    expect(w.gh.issues.filter((i) => i.title === 'Drift in stack web').map((i) => i.state)).toEqual(['closed', 'open']);
    clock = new Date('2026-12-10T12:00:00Z');
    from = w.logs.length;
    await until('acknowledged again', () => driftResults('web', from).some((r) => r.drifted === 0 && r.acknowledged === 1));
  });

  it('a pull request that edits the acks gets their problems at their lines; its stacks are still planned', async () => {
    const acks = `${ACKS}  - resource: web:File/motdd\n    reason: typo\n    owner: "@ada"\n    expires: 2027-01-15\n`;
    const { head } = w.openPr(2, { '.driftless/acks.yaml': acks, ...file('web', 'extra', 'extra\n') });
    await w.prOpened(2);
    await until('failure status', () => w.statuses(head, 'driftless/plan').includes('failure'));
    await w.idle();
    const body = w.planComment(2)!;
    expect(body).toContain('.driftless/acks.yaml:11:5: web:File/motdd: stack web declares no resource File/motdd');
    expect(body).toContain('Stack `web`');
    const run = w.gh.checkRuns.find((c) => c.sha === head)!;
    expect(run.annotations).toEqual([expect.objectContaining({ path: '.driftless/acks.yaml', start_line: 11, end_line: 11 })]);
  });

  it('remediation leaves acknowledged drift alone and repairs the rest', async () => {
    const kept = join(w.targetRoot, 'ops/kept.txt');
    const fixed = join(w.targetRoot, 'ops/fixed.txt');
    writeFileSync(kept, 'tuned\n');
    writeFileSync(fixed, 'tampered\n');
    await until('remediated', () => readFileSync(fixed, 'utf8') === 'fixed\n');
    const from = w.logs.length;
    await until('a check after it', () => driftResults('ops', from).some((r) => r.drifted === 0 && r.acknowledged === 1));
    expect(readFileSync(kept, 'utf8')).toBe('tuned\n');
    expect(statSync(kept).mode & 0o777).toBe(0o644);
    const runs = await w.svc!.ctx.store.runs({ stack: 'ops' });
    expect(runs.some((r) => r.kind === 'remediate' && r.outcome === 'succeeded')).toBe(true);
    expect(w.gh.rejected()).toEqual([]);
  });
});
