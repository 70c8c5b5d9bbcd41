/**
 * fixtures/webservers on three real Debian hosts (testkit/hosts), driftless vs Ansible (Debian's
 * package, pipelining on, the same ProxyCommand): converge from scratch, the no-op re-run, and the
 * repair after 5 hand edits. Each tool gets three fresh hosts of its own, booted together, so both
 * start from the same root filesystem.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { Unavailable } from '../types.js';
import { ensureAnsible } from '../ansible.js';
import { applyOnce } from '../engine.js';
import { fmtMs, gitSync, log, run, WORK_DIR } from '../util.js';
import { bootHosts, hostsUnavailable, type TestFleet, type TestHost } from '../../testkit/hosts.js';
import { PACKAGE_ROOT } from '../../src/sdk/package-root.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { loadServerConfig } from '../../src/config/server-config.js';

const NGINX_J2 = `# Managed by ansible
user www-data;
worker_processes {{ workers }};
pid /run/nginx.pid;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log /var/log/nginx/access.log;
  server {
    listen 80 default_server;
    server_name {{ inventory_hostname }};
    root /srv/www;
    add_header X-Served-By {{ inventory_hostname }};
  }
}
`;

const PLAYBOOK = `- hosts: web
  gather_facts: false
  vars: { workers: 2 }
  tasks:
    - ansible.builtin.apt: { name: "nginx=1.22.*", state: present }
    - ansible.builtin.template: { src: nginx.conf.j2, dest: /etc/nginx/nginx.conf, validate: "nginx -t -q -c %s" }
      notify: reload nginx
    - ansible.builtin.service: { name: nginx, state: started, enabled: true }
    - ansible.builtin.group: { name: deploy }
    - ansible.builtin.user: { name: deploy, group: deploy, groups: [deploy], shell: /bin/bash }
    - ansible.builtin.file: { path: /srv/www, state: directory, owner: deploy, group: deploy, mode: "0755" }
    - ansible.builtin.copy: { dest: /srv/www/index.html, content: "<h1>{{ inventory_hostname }}</h1>\\n<p>{{ tagline }}</p>\\n", owner: deploy, group: deploy, mode: "0644" }
  handlers:
    - name: reload nginx
      ansible.builtin.service: { name: nginx, state: reloaded }
`;

/** Five hand edits across the three hosts: a stopped service, edited files, a changed mode and shell. */
async function handEdits(hosts: TestHost[]): Promise<void> {
  await hosts[0].sh('systemctl stop nginx');
  await hosts[0].sh("echo '# edited' >> /etc/nginx/nginx.conf");
  await hosts[1].sh('echo tampered > /srv/www/index.html');
  await hosts[1].sh('chmod 0700 /srv/www');
  await hosts[2].sh('usermod -s /bin/sh deploy');
}

const driftlessApply = (config: ServerConfig) => applyOnce(config, { stack: 'web', refresh: true });

/** A git repository of fixtures/webservers and a server config whose `webservers` target is the fleet; returns the config. */
function driftlessWorld(fleet: TestFleet, dir: string): ServerConfig {
  const repo = join(dir, 'repo');
  cpSync(join(PACKAGE_ROOT, 'fixtures', 'webservers'), repo, { recursive: true });
  gitSync(repo, 'init', '-q', '-b', 'main');
  gitSync(repo, 'add', '.');
  gitSync(repo, '-c', 'user.email=bench@driftless.invalid', '-c', 'user.name=bench', 'commit', '-qm', 'webservers');
  const hosts: Record<string, unknown> = {};
  for (const h of fleet.hosts)
    hosts[h.name] = { address: '127.0.0.1', proxyCommand: h.proxyCommand, hostKey: h.hostKey, groups: ['web'], vars: { tagline: 'bench' } };
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      repo: { path: repo, name: 'webservers' },
      targets: { webservers: { provider: 'host', user: 'root', privateKey: { fromFile: fleet.privateKeyFile }, hosts } },
      dataDir: join(dir, 'data'),
    }),
  );
  return loadServerConfig(config);
}

async function ansibleRun(bin: string, dir: string): Promise<{ ms: number; changed: number }> {
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'false' };
  const r = await run(bin, ['-i', 'inventory.ini', 'site.yml'], { env, cwd: dir });
  if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}:\n${(r.stdout + r.stderr).trim().slice(-3000)}`);
  const changed = [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { ms: r.ms, changed };
}

function ansibleWorld(fleet: TestFleet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  writeFileSync(join(dir, 'nginx.conf.j2'), NGINX_J2);
  // ansible_host is the host's own name (the ProxyCommand ignores it): with 127.0.0.1 for all three,
  // Ansible's ControlPath (host, port, user) would be one, and every task would run on one host.
  const lines = ['[web]'];
  for (const h of fleet.hosts) {
    lines.push(
      `${h.name} ansible_host=${h.name} ansible_user=root ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file=${fleet.privateKeyFile} ` +
        `ansible_ssh_common_args='-o ProxyCommand="${h.proxyCommand}" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' tagline=bench`,
    );
  }
  writeFileSync(join(dir, 'inventory.ini'), `${lines.join('\n')}\n`);
}

const ratioRow = (metric: string, d: number, a: number, target: string, judge: (r: number) => boolean | null): Row => ({
  scenario: 'hosts',
  metric,
  unit: 'ms',
  driftless: d,
  peer: a,
  peerName: 'ansible-playbook, pipelining',
  ratio: d / a,
  target,
  pass: judge(d / a),
});

export const hostsScenario: Scenario = {
  name: 'hosts',
  title: 'fixtures/webservers on 3 real Debian hosts vs Ansible over the same ProxyCommand',
  async run(ctx): Promise<ScenarioResult> {
    if (ctx.quick) throw new Unavailable('the host scenario boots six Debian hosts: full runs only');
    const why = hostsUnavailable();
    if (why) throw new Unavailable(why);
    const ansible = await ensureAnsible(true);
    if (!ansible.path) throw new Unavailable(ansible.why ?? 'no ansible-playbook');
    const base = join(WORK_DIR, 'runs', 'hosts');
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    log('booting 3 + 3 hosts');
    const [ours, theirs] = await Promise.all([bootHosts(3, { prefix: 'web-' }), bootHosts(3, { prefix: 'web-' })]);
    try {
      const config = driftlessWorld(ours, join(base, 'driftless'));
      ansibleWorld(theirs, join(base, 'ansible'));
      const d1 = await driftlessApply(config);
      log(`driftless from scratch: ${fmtMs(d1.ms)} (${d1.changes} changes)`);
      const a1 = await ansibleRun(ansible.path, join(base, 'ansible'));
      log(`ansible from scratch: ${fmtMs(a1.ms)} (${a1.changed} changed)`);
      const d2: number[] = [];
      const a2: number[] = [];
      const d3: number[] = [];
      const a3: number[] = [];
      for (let i = 0; i < ctx.iterations; i++) {
        const n = await driftlessApply(config);
        if (n.changes) throw new Error(`the no-op re-run planned ${n.changes} changes`);
        d2.push(n.ms);
        a2.push((await ansibleRun(ansible.path, join(base, 'ansible'))).ms);
        await handEdits(ours.hosts);
        await handEdits(theirs.hosts);
        const r = await driftlessApply(config);
        if (r.changes < 5) throw new Error(`the repair planned ${r.changes} changes, fewer than the 5 edits`);
        d3.push(r.ms);
        a3.push((await ansibleRun(ansible.path, join(base, 'ansible'))).ms);
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const rows: Row[] = [
        ratioRow('3 hosts from scratch', d1.ms, a1.ms, 'within Ansible', (r) => r <= 1),
        ratioRow('3 hosts no-op re-run', med(d2), med(a2), '≥ 10× faster', (r) => r <= 0.1),
        ratioRow('3 hosts repair 5 hand edits', med(d3), med(a3), '≥ 10× faster', (r) => r <= 0.1),
      ];
      return {
        name: 'hosts',
        title: this.title,
        rows,
        notes: [
          'Six fresh hosts (systemd-nspawn, one network namespace each), three per tool; apt installs nginx from a local flat repository.',
          `driftless no-op samples ${d2.map(fmtMs).join(', ')}; Ansible ${a2.map(fmtMs).join(', ')}.`,
        ],
        details: { noop: { driftless: d2, ansible: a2 }, repair: { driftless: d3, ansible: a3 }, fromScratch: { driftless: d1.ms, ansible: a1.ms } },
      };
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  },
};
