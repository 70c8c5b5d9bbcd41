/**
 * The host provider end to end on three real Debian hosts (systemd-nspawn, each in a network
 * namespace of its own, reached over real SSH through a proxy command). One fleet for the file.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { hostManifest, hostWorld, inventory, TEST_CONNECT_TIMEOUT } from '../helpers/hosts.js';

const unavailable = hostsUnavailable();
if (unavailable) console.warn(`SKIPPING the host tests: ${unavailable}`);

const TOKEN = `tok-${Math.random().toString(36).slice(2)}`;

/** Every file under a directory, as text (to look for leaked secrets). */
function readAll(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out += readAll(p);
    else out += readFileSync(p).toString('latin1');
  }
  return out;
}

const NGINX_CONF = `user www-data;
worker_processes 1;
pid /run/nginx.pid;
events { worker_connections 64; }
http {
  server {
    listen 80;
    server_name {{host.name}};
    root {{vars.root}};
    {{vars.extra}}
  }
}
`;

function webStack(extra: string): string {
  return [
    hostManifest('Package', 'nginx', { hosts: 'web', name: 'nginx', version: '1.22.*' }),
    hostManifest('Group', 'deploy', { hosts: 'web', name: 'deploy' }),
    hostManifest('User', 'deploy', { hosts: 'web', name: 'deploy', groups: ['deploy'], shell: '/bin/bash' }),
    hostManifest('Directory', 'root', { hosts: 'web', path: '/srv/www', owner: 'deploy', group: 'deploy' }, { dependsOn: ['User/deploy'] }),
    hostManifest(
      'File',
      'index',
      { hosts: 'web', path: '/srv/www/index.html', template: '<h1>{{host.name}}</h1>\n', owner: 'deploy', group: 'deploy' },
      {
        dependsOn: ['Directory/root'],
      },
    ),
    hostManifest(
      'File',
      'conf',
      { hosts: 'web', path: '/etc/nginx/nginx.conf', template: NGINX_CONF, vars: { root: '/srv/www', extra }, validate: 'nginx -t -q -c %s' },
      { dependsOn: ['Package/nginx'] },
    ),
    hostManifest('Service', 'nginx', { hosts: 'web', name: 'nginx', running: true, enabled: true, reloadOn: ['File/conf'] }, { dependsOn: ['Package/nginx'] }),
    hostManifest('File', 'token', { hosts: 'web', path: '/etc/app.token', content: '!secret TOKEN', mode: '0600' }),
  ].join('---\n');
}

describe.skipIf(!!unavailable)('the host provider on real Debian hosts', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await bootHosts(3, { prefix: 'web-' });
  }, 400_000);
  afterAll(async () => {
    await fleet?.stop();
  }, 120_000);

  const reloads = async (i: number) => Number((await fleet.hosts[i].sh("journalctl -u nginx --no-pager -o cat | grep -c '^Reloaded' || true")).trim());

  it('plans, applies, plans nothing, shows hand edits as drift and repairs them; reloads only when the config changed; validate keeps a broken config out; no secret anywhere', async () => {
    const hosts = inventory(fleet, { 'web-1': ['web', 'canary'], 'web-2': ['web'], 'web-3': ['web'] });
    const w = hostWorld(fleet, { 'stacks/web/site.yaml': webStack('# one') }, hosts, {}, { TOKEN: { fromEnv: 'TEST_HOST_TOKEN' } }, { TEST_HOST_TOKEN: TOKEN });
    const outputs: string[] = [];
    const cli = async (...args: string[]) => {
      const r = await w.cli(...args);
      outputs.push(r.out, r.err);
      return r;
    };

    const p1 = await cli('plan', '--detailed-exitcode');
    expect(p1.code, p1.err).toBe(2);
    expect(p1.out).toContain('Plan: 24 to create, 0 to update, 0 to replace, 0 to delete.');
    expect(p1.out).toContain('+ Package/nginx@web-2 (create: new)');
    expect(p1.out).toContain('+ /spec/content = (sensitive value)');

    const a1 = await cli('apply', '--auto-approve');
    expect(a1.code, a1.out + a1.err).toBe(0);
    expect(a1.out).toMatch(/24 done, 0 failed, 0 skipped/);
    for (const h of fleet.hosts) {
      expect((await h.sh('systemctl is-active nginx')).trim()).toBe('active');
      expect(readFileSync(join(h.root, 'srv/www/index.html'), 'utf8')).toBe(`<h1>${h.name}</h1>\n`);
      expect(readFileSync(join(h.root, 'etc/nginx/nginx.conf'), 'utf8')).toContain(`server_name ${h.name};`);
      expect((await h.sh('stat -c %U:%G /srv/www/index.html; id -nG deploy')).trim()).toBe('deploy:deploy\ndeploy');
      expect(readFileSync(join(h.root, 'etc/app.token'), 'utf8')).toBe(TOKEN);
    }
    const base = await Promise.all([0, 1, 2].map(reloads));

    // Nothing changed: an empty plan, and an apply that reloads nothing.
    const p2 = await cli('plan', '--detailed-exitcode');
    expect(p2.code, p2.out).toBe(0);
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    expect(await Promise.all([0, 1, 2].map(reloads))).toEqual(base);

    // Hand edits on each host show as drift, and apply repairs them.
    await fleet.hosts[0].sh('systemctl stop nginx');
    await fleet.hosts[1].sh('echo tampered > /srv/www/index.html');
    await fleet.hosts[2].sh('chmod 0644 /etc/app.token && usermod -s /bin/sh deploy');
    const d = await cli('drift');
    expect(d.code, d.out + d.err).toBe(2);
    expect(d.out).toContain('~ Service/nginx@web-1');
    expect(d.out).toContain('/spec/running: true -> false');
    expect(d.out).toContain('~ File/index@web-2');
    expect(d.out).toContain('/spec/template: "<h1>{{host.name}}</h1>\\n" -> "(edited on the host');
    expect(d.out).toContain('~ File/token@web-3');
    expect(d.out).toContain('/spec/mode: "0600" -> "0644"');
    expect(d.out).toContain('/spec/shell: "/bin/bash" -> "/bin/sh"');
    const repair = await cli('apply', '--auto-approve');
    expect(repair.code, repair.out + repair.err).toBe(0);
    expect(repair.out).toMatch(/4 done, 0 failed, 0 skipped/);
    expect((await cli('drift')).code).toBe(0);
    expect((await fleet.hosts[0].sh('systemctl is-active nginx')).trim()).toBe('active');
    expect(readFileSync(join(fleet.hosts[1].root, 'srv/www/index.html'), 'utf8')).toBe('<h1>web-2</h1>\n');

    // The config changes: nginx is reloaded exactly once on each host, after the file.
    w.repo.commit({ 'stacks/web/site.yaml': webStack('# two') });
    const p3 = await cli('plan');
    expect(p3.out).toContain('~ Service/nginx@web-2 (update: triggered by File/conf@web-2)');
    expect(p3.out).toContain('Plan: 0 to create, 6 to update, 0 to replace, 0 to delete.');
    const before = await Promise.all([0, 1, 2].map(reloads));
    const a3 = await cli('apply', '--auto-approve');
    expect(a3.code, a3.out + a3.err).toBe(0);
    expect(await Promise.all([0, 1, 2].map(reloads))).toEqual(before.map((n) => n + 1));

    // A broken config never replaces the good one: validate refuses it, and nginx is not reloaded.
    w.repo.commit({ 'stacks/web/site.yaml': webStack('no_such_directive on;') });
    const good = readFileSync(join(fleet.hosts[0].root, 'etc/nginx/nginx.conf'), 'utf8');
    const a4 = await cli('apply', '--auto-approve');
    expect(a4.code).not.toBe(0);
    expect(a4.out + a4.err).toContain('validate refused the new content');
    expect(a4.out + a4.err).toMatch(/Service\/nginx@web-1.*skipped/);
    expect(readFileSync(join(fleet.hosts[0].root, 'etc/nginx/nginx.conf'), 'utf8')).toBe(good);
    expect(readdirSync(join(fleet.hosts[0].root, 'etc/nginx')).filter((f) => f.startsWith('.driftless-'))).toEqual([]);
    expect(await Promise.all([0, 1, 2].map(reloads))).toEqual(before.map((n) => n + 1));
    expect((await fleet.hosts[0].sh('systemctl is-active nginx')).trim()).toBe('active');

    // The secrets (the token, the private key) are in no output and nowhere in the data dir.
    const keyBody = fleet.privateKey.split('\n')[2];
    const all = outputs.join('\n') + (await cli('plan', '--format', 'json')).out;
    for (const secret of [TOKEN, keyBody]) {
      expect(all).not.toContain(secret);
      expect(readAll(join(w.dir, 'data'))).not.toContain(secret);
    }
  }, 600_000);

  it('quotes hostile paths and contents (quotes, spaces, ;, $(), newlines, unicode) and refuses hostile names at their field', async () => {
    const hosts = inventory(fleet, { 'web-1': ['web'] });
    const hostile = `/var/tmp/it's a "test"; $(touch pwned) \`touch pwned5\` \n né😀.txt`;
    const content = `'; touch /var/tmp/pwned2; echo '\n$(reboot)\n`;
    const w = hostWorld(
      fleet,
      {
        'stacks/web/odd.yaml': [
          hostManifest('Directory', 'odd', { hosts: ['web-1'], path: '/var/tmp/dir with spaces; $(touch /var/tmp/pwned3)' }),
          hostManifest('File', 'odd', { hosts: ['web-1'], path: hostile, content }),
          hostManifest(
            'Line',
            'odd',
            { hosts: ['web-1'], path: '/var/tmp/dir with spaces; $(touch /var/tmp/pwned3)/l', line: "x='$(touch /var/tmp/pwned4)'" },
            { dependsOn: ['Directory/odd'] },
          ),
          hostManifest('Exec', 'odd', { hosts: ['web-1'], command: 'touch /var/tmp/exec-ran', creates: '/var/tmp/exec-ran' }),
        ].join('---\n'),
      },
      hosts,
    );
    const a = await w.cli('apply', '--auto-approve');
    expect(a.code, a.out + a.err).toBe(0);
    const root = fleet.hosts[0].root;
    expect(readFileSync(join(root, hostile), 'utf8')).toBe(content);
    expect(readFileSync(join(root, 'var/tmp/dir with spaces; $(touch /var/tmp/pwned3)/l'), 'utf8')).toBe("x='$(touch /var/tmp/pwned4)'\n");
    expect(existsSync(join(root, 'var/tmp/exec-ran'))).toBe(true);
    for (const f of ['var/tmp/pwned', 'var/tmp/pwned2', 'var/tmp/pwned3', 'var/tmp/pwned4', 'pwned', 'root/pwned', 'pwned5', 'root/pwned5'])
      expect(existsSync(join(root, f)), f).toBe(false);
    const again = await w.cli('plan', '--detailed-exitcode');
    expect(again.code, again.out).toBe(0);

    // Names that are not names are refused at plan time, at their field.
    w.repo.commit({
      'stacks/web/bad.yaml': [
        hostManifest('Package', 'bad', { hosts: ['web-1'], name: 'hello; touch /var/tmp/pwned' }),
        hostManifest('User', 'bad', { hosts: ['web-1'], name: '$(touch /var/tmp/pwned)' }),
        hostManifest('Service', 'bad', { hosts: ['web-1'], name: '-bad\nunit' }),
        hostManifest('File', 'rel', { hosts: ['nope'], path: 'relative/path' }),
      ].join('---\n'),
    });
    const bad = await w.cli('plan');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('stacks/web/bad.yaml:7:9: Package/bad@web-1: spec.name: "hello; touch /var/tmp/pwned" is not a Debian package name');
    expect(bad.err).toMatch(/stacks\/web\/bad\.yaml:15:9: User\/bad@web-1: spec\.name: "\$\(touch \/var\/tmp\/pwned\)" is not a user or group name/);
    expect(bad.err).toContain('is not a systemd unit name');
    expect(bad.err).toMatch(
      /stacks\/web\/bad\.yaml:30:11: File\/rel: spec\.hosts\.0: no host or group named "nope" in the target's inventory \(known: all, web, web-1/,
    );
    expect(existsSync(join(root, 'var/tmp/pwned'))).toBe(false);
  }, 300_000);

  it('an unreachable host fails its own resources only and is tried again on the next run; a changed host key is refused naming both fingerprints', async () => {
    const [h1, h2] = fleet.hosts;
    const hosts = inventory(
      fleet,
      { 'web-1': ['web'], 'web-2': ['web'] },
      {
        'web-9': { address: '127.0.0.1', proxyCommand: 'ip netns exec dlh-no-such-host nc 127.0.0.1 22', hostKey: h1.hostKey, groups: ['web'] },
      },
    );
    delete hosts['web-3'];
    // web-2 is pinned to web-1's key: it presents another one.
    (hosts['web-2'] as { hostKey: string }).hostKey = h1.hostKey;
    const w = hostWorld(fleet, { 'stacks/web/m.yaml': hostManifest('File', 'mark', { hosts: 'web', path: '/var/tmp/mark', content: 'x' }) }, hosts);
    const a = await w.cli('apply', '--auto-approve');
    expect(a.code).not.toBe(0);
    expect(a.out).toMatch(/1 done, 2 failed, 0 skipped/);
    expect(a.out).toContain('! File/mark@web-9: host web-9 is unreachable');
    expect(a.out).toContain(`host web-2: host key changed: it presented ${h2.hostKey}, but it is pinned to ${h1.hostKey}; refused`);
    expect(existsSync(join(h1.root, 'var/tmp/mark'))).toBe(true);
    expect(existsSync(join(h2.root, 'var/tmp/mark'))).toBe(false);
    // The next run tries them again (and plans web-1 as done).
    const p = await w.cli('plan');
    expect(p.out).toContain('Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.');
  }, 300_000);

  it('a read-only session sends one read script per host and refuses every write', async () => {
    const { hostProvider } = await import('../../src/providers/host/index.js');
    const hosts = inventory(fleet, {});
    const target = { name: 'fleet', provider: 'host', user: 'root', privateKey: fleet.privateKey, connectTimeout: TEST_CONNECT_TIMEOUT, hosts };
    const session = (await hostProvider.connect(target, { readOnly: true })) as import('../../src/providers/host/session.js').HostSession;
    try {
      const recs = fleet.hosts.flatMap((h) =>
        ['/etc/hostname', '/etc/passwd', '/etc/group'].map((path, i) => ({
          id: `File/f${i}@${h.name}`,
          apiVersion: 'host.driftless.dev/v1',
          kind: 'File',
          name: `f${i}@${h.name}`,
          spec: { path, content: '', mode: '0644', owner: 'root', group: 'root' },
          outputs: {},
        })),
      );
      const live = await session.readMany(recs);
      expect(live.map((o) => o?.spec.path)).toEqual(recs.map((r) => r.spec.path));
      expect(live[0]?.spec.content).toBe('web-1\n');
      expect(session.readScripts).toBe(3);
      expect(await session.commands()).toBe(3);
      await expect(session.create({ ...recs[0] })).rejects.toThrow(/read-only session/);
      expect(await session.commands()).toBe(3);
    } finally {
      await session.close();
    }
  }, 120_000);

  it('opens a channel the host refused again: commands beyond sshd MaxSessions wait their turn instead of failing', async () => {
    const h = fleet.hosts[2];
    // restart, not reload: ssh.service is Type=notify, so systemctl returns once the new sshd
    // listens (a reload returns when SIGHUP is sent, and sshd re-executes after that).
    await h.sh("echo 'MaxSessions 1' > /etc/ssh/sshd_config.d/max-sessions.conf && systemctl restart ssh");
    const { hostProvider } = await import('../../src/providers/host/index.js');
    const target = {
      name: 'fleet',
      provider: 'host',
      user: 'root',
      privateKey: fleet.privateKey,
      connectTimeout: TEST_CONNECT_TIMEOUT,
      hosts: inventory(fleet, {}),
    };
    const session = (await hostProvider.connect(target)) as import('../../src/providers/host/session.js').HostSession;
    try {
      const conn = await session.connection(h.name);
      // Six channels at once on a connection whose sshd allows one session: five are refused at first.
      const out = await Promise.all(Array.from({ length: 6 }, (_, i) => conn.exec(`sleep 0.1; echo ${i}`)));
      expect(out.map((r) => [r.code, r.stdout])).toEqual(Array.from({ length: 6 }, (_, i) => [0, `${i}\n`]));
    } finally {
      await session.close();
      await h.sh('rm /etc/ssh/sshd_config.d/max-sessions.conf && systemctl restart ssh');
    }
  }, 120_000);

  it("converges fixtures/webservers: nginx serving each host's page, an empty second plan, a reload only after a config change", async () => {
    const dir = join(import.meta.dirname, '../../fixtures/webservers');
    const files: Record<string, string> = {};
    for (const f of ['driftless.yaml', 'stacks/web/nginx.yaml', 'stacks/web/site.yaml']) files[f] = readFileSync(join(dir, f), 'utf8');
    const hosts = inventory(fleet, { 'web-1': ['web'], 'web-2': ['web'], 'web-3': ['web'] });
    for (const h of Object.values(hosts) as { vars?: unknown }[]) h.vars = { tagline: 'served by driftless' };
    const w = hostWorld(fleet, files, hosts);
    // The fixture names its target `webservers`.
    const config = readFileSync(w.config, 'utf8').replace('"fleet"', '"webservers"');
    writeFileSync(w.config, config);
    const a = await w.cli('apply', '--auto-approve');
    expect(a.code, a.out + a.err).toBe(0);
    const page = await fleet.hosts[1].sh(
      `python3 -c "import urllib.request as u; r = u.urlopen('http://127.0.0.1/'); print(r.headers['X-Served-By']); print(r.read().decode())"`,
    );
    expect(page).toContain('web-2\n<h1>web-2</h1>\n<p>served by driftless</p>');
    expect((await w.cli('plan', '--detailed-exitcode')).code).toBe(0);
    const before = await reloads(0);
    w.repo.commit({ 'stacks/web/nginx.yaml': files['stacks/web/nginx.yaml'].replace('workers: 2', 'workers: 3') });
    const b = await w.cli('apply', '--auto-approve');
    expect(b.code, b.out + b.err).toBe(0);
    expect(b.out).toMatch(/6 done, 0 failed, 0 skipped/);
    expect(await reloads(0)).toBe(before + 1);
    expect(readFileSync(join(fleet.hosts[0].root, 'etc/nginx/nginx.conf'), 'utf8')).toContain('worker_processes 3;');
  }, 400_000);
});
