/**
 * Fleet scale: light Debian hosts (testkit/hosts, sshd only, each in a network namespace of its own),
 * each with 100 managed files, at 3, 10 and 30 hosts. driftless's no-op `plan` is timed as a user
 * runs it (the whole CLI process, reading every file of every host); Ansible's no-op run of the same
 * 100 files (a `copy` task over a loop, pipelining on, forks = the number of hosts) on the same hosts,
 * in a directory of its own, over the same ProxyCommand.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { Unavailable } from '../types.js';
import { ensureAnsible } from '../ansible.js';
import { fmtMs, gitSync, log, median, run, WORK_DIR } from '../util.js';
import { loadMark, type ProcessSample, timeProcess } from '../whole-process.js';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { PACKAGE_ROOT } from '../../src/sdk/package-root.js';

const FILES = 100;
const SIZES = [3, 10, 30];
/** Ansible runs at this size only: its no-op run of 100 files on 3 hosts alone took 330 s here (load 9). */
const ANSIBLE_SIZES = [3];
const CLI = join(PACKAGE_ROOT, 'bin', 'driftless.js');

/** The content of file `i`: a few lines of configuration, about 200 bytes. */
function content(i: number): string {
  return `# managed: setting ${i}\nname = "service-${i}"\nport = ${8000 + i}\nworkers = ${1 + (i % 8)}\nlog_level = "${['info', 'warn', 'debug'][i % 3]}"\n`;
}

/** A repository of one stack, `fleet`: 100 host Files on every host, under /srv/driftless. */
function fleetRepo(dir: string): void {
  mkdirSync(join(dir, 'stacks', 'fleet'), { recursive: true });
  writeFileSync(join(dir, 'driftless.yaml'), 'version: 1\nstacks:\n  fleet: { path: stacks/fleet, targets: { host: fleet } }\n');
  const docs = ['apiVersion: host.driftless.dev/v1\nkind: Directory\nmetadata: { name: root }\nspec: { hosts: all, path: /srv/driftless, mode: "0755" }\n'];
  for (let i = 0; i < FILES; i++) {
    const body = content(i)
      .split('\n')
      .map((l) => (l ? `    ${l}` : l))
      .join('\n');
    docs.push(
      `apiVersion: host.driftless.dev/v1\nkind: File\nmetadata: { name: f${i}, dependsOn: [Directory/root] }\nspec:\n  hosts: all\n  path: /srv/driftless/f${i}.conf\n  mode: "0644"\n  content: |\n${body}`,
    );
  }
  writeFileSync(join(dir, 'stacks', 'fleet', 'files.yaml'), docs.join('---\n'));
  gitSync(dir, 'init', '-q', '-b', 'main');
  gitSync(dir, 'add', '.');
  gitSync(dir, '-c', 'user.email=bench@driftless.invalid', '-c', 'user.name=bench', 'commit', '-qm', 'fleet');
}

function driftlessConfig(fleet: TestFleet, dir: string, repo: string): string {
  const hosts: Record<string, unknown> = {};
  for (const h of fleet.hosts) hosts[h.name] = { address: '127.0.0.1', proxyCommand: h.proxyCommand, hostKey: h.hostKey };
  const file = join(dir, 'driftless.config.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      repo: { path: repo, name: 'fleet' },
      targets: { fleet: { provider: 'host', user: 'root', privateKey: { fromFile: fleet.privateKeyFile }, parallelism: fleet.hosts.length, hosts } },
      dataDir: join(dir, 'data'),
    }),
  );
  return file;
}

function ansibleWorld(fleet: TestFleet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const items = Array.from({ length: FILES }, (_, i) => `      - { n: ${i}, content: ${JSON.stringify(content(i))} }`).join('\n');
  writeFileSync(
    join(dir, 'site.yml'),
    `- hosts: fleet\n  gather_facts: false\n  tasks:\n    - ansible.builtin.file: { path: /srv/ansible, state: directory, mode: "0755" }\n` +
      `    - ansible.builtin.copy: { dest: "/srv/ansible/f{{ item.n }}.conf", content: "{{ item.content }}", mode: "0644" }\n      loop:\n${items}\n`,
  );
  const lines = ['[fleet]'];
  for (const h of fleet.hosts)
    lines.push(
      `${h.name} ansible_host=${h.name} ansible_user=root ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file=${fleet.privateKeyFile} ` +
        `ansible_ssh_common_args='-o ProxyCommand="${h.proxyCommand}" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'`,
    );
  writeFileSync(join(dir, 'inventory.ini'), `${lines.join('\n')}\n`);
}

async function ansibleRun(bin: string, dir: string, forks: number): Promise<{ ms: number; changed: number }> {
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'false' };
  const r = await run(bin, ['-i', 'inventory.ini', '-f', String(forks), 'site.yml'], { env, cwd: dir });
  if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}:\n${(r.stdout + r.stderr).trim().slice(-3000)}`);
  return { ms: r.ms, changed: [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0) };
}

export const fleetScenario: Scenario = {
  name: 'fleet',
  title: `Fleet scale: ${FILES} files on each of 3, 10 and 30 light hosts, no-op plan vs Ansible's no-op run`,
  async run(ctx): Promise<ScenarioResult> {
    if (ctx.quick) throw new Unavailable('the fleet scenario boots up to 30 hosts: full runs only');
    const why = hostsUnavailable();
    if (why) throw new Unavailable(why);
    const ansible = await ensureAnsible(true);
    const base = join(WORK_DIR, 'runs', 'fleet');
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    const repo = join(base, 'repo');
    fleetRepo(repo);
    const rows: Row[] = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    for (const n of SIZES) {
      log(`booting ${n} light hosts`);
      const fleet = await bootHosts(n, { prefix: 'node-', light: true });
      try {
        const dir = join(base, `n${n}`);
        mkdirSync(dir, { recursive: true });
        const config = driftlessConfig(fleet, dir, repo);
        const apply = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!/Apply succeeded/.test(apply.stdout)) throw new Error(`apply on ${n} hosts: ${apply.stdout.slice(-500)}`);
        const samples: ProcessSample[] = [];
        for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
          const p = await timeProcess(process.execPath, [CLI, 'plan', '--config', config]);
          if (!/No changes/.test(p.stdout)) throw new Error(`the no-op plan on ${n} hosts planned changes: ${p.stdout.slice(-500)}`);
          if (i >= ctx.warmup) samples.push(p);
        }
        const wall = median(samples.map((s) => s.wallMs));
        const cpu = median(samples.map((s) => s.cpuMs));
        log(`${n} hosts: apply from scratch ${fmtMs(apply.wallMs)}, no-op plan ${fmtMs(wall)} wall, ${fmtMs(cpu)} CPU${loadMark(samples)}`);
        let peer: number | null = null;
        if (ansible.path && ANSIBLE_SIZES.includes(n)) {
          const adir = join(dir, 'ansible');
          ansibleWorld(fleet, adir);
          await ansibleRun(ansible.path, adir, n); // from scratch
          const noop = await ansibleRun(ansible.path, adir, n);
          if (noop.changed) throw new Error(`Ansible's no-op run changed ${noop.changed}`);
          peer = noop.ms;
          log(`${n} hosts: Ansible no-op ${fmtMs(peer)}`);
        }
        rows.push({
          scenario: 'fleet',
          metric: `${n} hosts × ${FILES} files, no-op plan (CLI, wall)${loadMark(samples)}`,
          unit: 'ms',
          driftless: wall,
          peer,
          peerName: 'ansible-playbook no-op, pipelining, forks = hosts',
          ratio: peer ? wall / peer : null,
          target: n === 30 ? '< 2 s' : 'reported',
          pass: n === 30 ? wall < 2000 : null,
          samples: { driftless: samples.map((s) => s.wallMs), peer: peer ? [peer] : [] },
        });
        details[`n${n}`] = { applyMs: apply.wallMs, planWall: samples.map((s) => s.wallMs), planCpu: samples.map((s) => s.cpuMs), ansibleNoop: peer };
      } finally {
        await fleet.stop();
      }
    }
    const w = (n: number) => (details[`n${n}`] as { planWall: number[] }).planWall;
    notes.push(
      `No-op plan wall, median: ${SIZES.map((n) => `${n} hosts ${fmtMs(median(w(n)))}`).join(', ')}.` +
        ` Light hosts run sshd alone (no systemd); every plan refreshes every file of every host through one read script per host.`,
    );
    if (!ansible.path) notes.push(`Ansible not measured: ${ansible.why}`);
    else notes.push(`Ansible ran at ${ANSIBLE_SIZES.join(' and ')} hosts only (a \`copy\` task looping over the 100 files; its no-op run takes minutes).`);
    return { name: 'fleet', title: this.title, rows, notes, details };
  },
};
