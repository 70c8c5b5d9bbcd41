/**
 * The host provider end to end on three real Debian hosts (systemd-nspawn, each in a network
 * namespace of its own, reached over real SSH through a proxy command). One fleet for the file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { hostManifest, hostWorld, inventory } from '../helpers/hosts.js';

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
});
