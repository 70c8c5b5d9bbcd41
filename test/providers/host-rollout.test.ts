/**
 * Rollout waves on three real Debian hosts: a wave over its failure budget stops the apply, its
 * hosts are put back to the last applied commit, later hosts are not touched.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { HOSTS_REPO_CONFIG, hostManifest, hostWorld, inventory } from '../helpers/hosts.js';

const unavailable = hostsUnavailable();
if (unavailable) console.warn(`SKIPPING the host rollout tests: ${unavailable}`);

function appStack(version: string): string {
  return [
    // Refused on a host that holds /etc/hold-app: the failure of one host, made by hand on it.
    hostManifest('File', 'app', { hosts: 'all', path: '/etc/app.conf', content: `${version}\n`, validate: 'test ! -e /etc/hold-app && test -s %s' }),
    hostManifest('File', 'extra', { hosts: 'all', path: '/etc/app-extra.conf', content: `extra ${version}\n` }),
  ].join('---\n');
}

describe.skipIf(!!unavailable)('rollout waves on real Debian hosts', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await bootHosts(3, { prefix: 'r-' });
  }, 400_000);
  afterAll(async () => {
    await fleet?.stop();
  }, 120_000);

  it('stops at the wave over its budget, puts that wave back to the last applied commit and leaves later hosts untouched', async () => {
    const config = `${HOSTS_REPO_CONFIG}    rollout: { waves: [1, 2, "100%"], maxFailures: 0 }\n`;
    const w = hostWorld(fleet, { 'driftless.yaml': config, 'stacks/web/app.yaml': appStack('v1') }, inventory(fleet, {}));
    const first = await w.cli('apply', '--auto-approve');
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toContain('wave 1: r-1\n  wave 2: r-2\n  wave 3: r-3');
    const c1 = w.repo.head();
    const file = (i: number, f = 'app.conf') => readFileSync(join(fleet.hosts[i].root, 'etc', f), 'utf8');
    for (const i of [0, 1, 2]) expect([file(i), file(i, 'app-extra.conf')]).toEqual(['v1\n', 'extra v1\n']);
    const untouched = [statSync(join(fleet.hosts[2].root, 'etc/app.conf')).mtimeMs, statSync(join(fleet.hosts[2].root, 'etc/app-extra.conf')).mtimeMs];

    // r-2 refuses the new app.conf: wave 2 fails; its extra file was changed, and goes back.
    await fleet.hosts[1].sh('touch /etc/hold-app');
    w.repo.commit({ 'stacks/web/app.yaml': appStack('v2') });
    const c2 = w.repo.head();
    const second = await w.cli('apply', '--auto-approve');
    expect(second.code).not.toBe(0);
    const out = second.out + second.err;
    expect(out).toContain('validate refused the new content');
    expect(out).toContain('stopped: wave 2 exceeded its failure budget; later hosts were not changed');
    expect(out).toMatch(new RegExp(`revert: run \\d+ put wave 2 back to ${c1.slice(0, 12)}: succeeded`));
    expect(out).toContain(`at ${c2.slice(0, 12)} (applied): r-1`);
    expect(out).toContain(`at ${c1.slice(0, 12)} (reverted): r-2`);
    expect(out).toContain(`at ${c1.slice(0, 12)} (not reached): r-3`);
    expect([file(0), file(0, 'app-extra.conf')]).toEqual(['v2\n', 'extra v2\n']);
    expect([file(1), file(1, 'app-extra.conf')]).toEqual(['v1\n', 'extra v1\n']);
    expect([file(2), file(2, 'app-extra.conf')]).toEqual(['v1\n', 'extra v1\n']);
    expect([statSync(join(fleet.hosts[2].root, 'etc/app.conf')).mtimeMs, statSync(join(fleet.hosts[2].root, 'etc/app-extra.conf')).mtimeMs]).toEqual(untouched);

    // The run records its waves and where each host is; the revert is a run of its own, at c1.
    const runs = JSON.parse((await w.cli('history', '--format', 'json')).out).runs as {
      id: number;
      commit: string;
      trigger: string;
      outcome: string;
      rollout?: { stoppedAt?: number; revert?: { runId: number }; hosts: { host: string; commit: string; state: string }[] };
    }[];
    const stopped = runs.find((r) => r.commit === c2 && r.rollout?.stoppedAt === 1)!;
    expect(stopped.outcome).toBe('partial');
    expect(stopped.rollout!.hosts).toEqual([
      { host: 'r-1', commit: c2, state: 'applied' },
      { host: 'r-2', commit: c1, state: 'reverted' },
      { host: 'r-3', commit: c1, state: 'not reached' },
    ]);
    const revert = runs.find((r) => r.id === stopped.rollout!.revert!.runId)!;
    expect(revert.commit).toBe(c1);
    expect(revert.trigger).toContain(`revert of wave 2 of run ${stopped.id} (r-2)`);
    expect(revert.outcome).toBe('succeeded');

    // Once r-2 accepts the file again, the next apply takes r-2 and r-3 to c2.
    await fleet.hosts[1].sh('rm /etc/hold-app');
    const third = await w.cli('apply', '--auto-approve');
    expect(third.code, third.out + third.err).toBe(0);
    for (const i of [0, 1, 2]) expect(file(i)).toBe('v2\n');
    expect((await w.cli('plan', '--detailed-exitcode')).code).toBe(0);
  }, 400_000);
});
