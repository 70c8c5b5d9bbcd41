/**
 * On three real Debian hosts: rollout waves (a wave over its failure budget stops the apply, its
 * hosts are put back to the last applied commit, later hosts are not touched), `become: sudo` with
 * a password, and Exec guards read at refresh.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { HOSTS_REPO_CONFIG, hostManifest, hostWorld, inventory } from '../helpers/hosts.js';

/** Every file under a directory, as text (to look for leaked secrets). */
function readAll(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? readAll(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

const unavailable = hostsUnavailable();
if (unavailable) console.warn(`SKIPPING the host rollout, sudo and Exec tests: ${unavailable}`);

function appStack(version: string): string {
  return [
    // Refused on a host that holds /etc/hold-app: the failure of one host, made by hand on it.
    hostManifest('File', 'app', { hosts: 'all', path: '/etc/app.conf', content: `${version}\n`, validate: 'test ! -e /etc/hold-app && test -s %s' }),
    hostManifest('File', 'extra', { hosts: 'all', path: '/etc/app-extra.conf', content: `extra ${version}\n` }),
  ].join('---\n');
}

describe.skipIf(!!unavailable)('rollout waves, sudo with a password and Exec guards on real Debian hosts', () => {
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

  it('becomes root through sudo with a password given on stdin, never on a command line, in no output and not in the data dir', async () => {
    const h = fleet.hosts[0];
    const password = `Pw '"$(touch /tmp/pwned) ${Math.random().toString(36).slice(2)}`;
    // A user whose sudo asks for a password, set up as root.
    writeFileSync(join(h.root, 'root/ops-password'), `ops:${password}\n`, { mode: 0o600 });
    await h.sh(
      [
        'useradd -m -s /bin/bash ops',
        'chpasswd < /root/ops-password && rm /root/ops-password',
        "echo 'ops ALL=(ALL:ALL) ALL' > /etc/sudoers.d/ops && chmod 0440 /etc/sudoers.d/ops",
        'install -d -o ops -g ops -m 0700 /home/ops/.ssh && install -o ops -g ops -m 0600 /root/.ssh/authorized_keys /home/ops/.ssh/',
      ].join(' && '),
    );
    expect(await h.sh("su ops -c 'sudo -n true' 2>&1 || echo refused")).toContain('refused');
    const files = {
      'stacks/web/root.yaml': hostManifest('File', 'owned', { hosts: ['r-1'], path: '/etc/owned-by-root', content: 'made through sudo\n', mode: '0600' }),
    };
    const hosts = inventory(fleet, {});
    const target = { user: 'ops', become: 'sudo', becomePassword: { fromEnv: 'OPS_SUDO' } };
    const w = hostWorld(fleet, files, hosts, target, {}, { OPS_SUDO: password });
    const outputs: string[] = [];
    const cli = async (...args: string[]) => {
      const r = await w.cli(...args);
      outputs.push(r.out, r.err);
      return r;
    };
    const a = await cli('apply', '--auto-approve');
    expect(a.code, a.out + a.err).toBe(0);
    expect(readFileSync(join(h.root, 'etc/owned-by-root'), 'utf8')).toBe('made through sudo\n');
    expect((await h.sh('stat -c %U:%a /etc/owned-by-root')).trim()).toBe('root:600');
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);

    // A wrong password fails the host's resources with a clear message, and changes nothing.
    const bad = hostWorld(fleet, files, hosts, target, {}, { OPS_SUDO: `${password}-wrong` });
    await h.sh('rm /etc/owned-by-root');
    const b = await bad.cli('apply', '--auto-approve');
    outputs.push(b.out, b.err);
    expect(b.code).not.toBe(0);
    expect(b.out + b.err).toContain('host r-1: sudo refused the becomePassword of user "ops"');
    expect(await h.sh('test -e /etc/owned-by-root && echo there || echo absent')).toBe('absent\n');

    // The password is in no output, nowhere in the data dirs, not in the host's journal (sudo logs
    // command lines there), and nothing it holds ran.
    const journal = await h.sh('journalctl --no-pager -o cat');
    expect(journal).toContain('COMMAND=');
    for (const text of [outputs.join('\n'), readAll(join(w.dir, 'data')), readAll(join(bad.dir, 'data')), journal]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(password.slice(-11));
    }
    expect(await h.sh('test -e /tmp/pwned && echo pwned || echo clean')).toBe('clean\n');
  }, 300_000);

  it('plans an Exec before its first run as "will run" only when its guard says so, read on the host during refresh', async () => {
    const h = fleet.hosts[2];
    await h.sh('rm -f /var/tmp/exec-* && touch /var/tmp/exec-done');
    const exec = (name: string, guard: Record<string, string>) =>
      hostManifest('Exec', name, { hosts: ['r-3'], command: `touch /var/tmp/exec-${name}-ran; echo x >> /var/tmp/exec-count`, ...guard });
    const w = hostWorld(
      fleet,
      {
        'stacks/web/exec.yaml': [
          exec('creates', { creates: '/var/tmp/exec-done' }),
          exec('unless', { unless: 'test -e /var/tmp/exec-done' }),
          exec('onlyif', { onlyIf: 'test -e /var/tmp/exec-go' }),
          exec('pending', { unless: "test -e '/var/tmp/exec-pending-ran'" }),
        ].join('---\n'),
      },
      inventory(fleet, {}),
    );
    const p = await w.cli('plan');
    expect(p.code, p.err).toBe(0);
    expect(p.out).toContain('+ Exec/pending@r-3 (create: will run: its guard says so)');
    expect(p.out).toContain('Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.');
    expect(p.out).not.toContain('Exec/creates@r-3');
    const a = await w.cli('apply', '--auto-approve');
    expect(a.code, a.out + a.err).toBe(0);
    expect(await h.sh('ls /var/tmp | grep ran; cat /var/tmp/exec-count')).toBe('exec-pending-ran\nx\n');
    expect((await w.cli('plan', '--detailed-exitcode')).code).toBe(0);

    // The guards flip on the host: the commands are planned to run, and run once.
    await h.sh('rm /var/tmp/exec-done && touch /var/tmp/exec-go');
    const again = await w.cli('plan');
    for (const name of ['creates', 'unless', 'onlyif']) expect(again.out).toContain(`+ Exec/${name}@r-3 (create: will run: its guard says so)`);
    expect((await w.cli('apply', '--auto-approve')).code).toBe(0);
    expect(await h.sh('cat /var/tmp/exec-count')).toBe('x\nx\nx\nx\n');
  }, 300_000);
});
