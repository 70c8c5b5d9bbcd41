import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, log } from './util.js';
import type { ManifestSpec } from './generate.js';

export function ansiblePlaybookPath(): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, 'ansible-playbook');
    if (d && existsSync(p)) return p;
  }
  return null;
}

/**
 * Make sure Debian's `ansible` package is installed (apt-get; `apt-get update` and a retry when the
 * first install fails). Returns the ansible-playbook path, or why it is not available.
 */
export async function ensureAnsible(allowInstall: boolean): Promise<{ path?: string; why?: string }> {
  const found = ansiblePlaybookPath();
  if (found) return { path: found };
  if (!allowInstall) return { why: "ansible-playbook is not installed (--quick does not install it; a full run installs Debian's ansible package)" };
  if (process.getuid?.() !== 0) return { why: 'ansible-playbook is not installed and we are not root, so apt-get cannot install it (apt-get install ansible)' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log("ansible-playbook not found: installing Debian's ansible package with apt-get");
  let r = await run('apt-get', ['install', '-y', '-q', 'ansible'], { env });
  if (r.code !== 0) {
    log('apt-get install failed; running apt-get update and trying again');
    await run('apt-get', ['update', '-q'], { env });
    r = await run('apt-get', ['install', '-y', '-q', 'ansible'], { env });
  }
  const path = ansiblePlaybookPath();
  if (r.code !== 0 || !path) return { why: `could not install ansible with apt-get (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  return { path };
}

/** A playbook that converges the same resources with `file` (directories, links) and `copy` (files). */
export function writePlaybook(dir: string, root: string, resources: ManifestSpec[]): string {
  mkdirSync(dir, { recursive: true });
  const vars = {
    root,
    directories: resources.filter((r) => r.kind === 'Directory').map((r) => ({ path: r.path, mode: r.mode })),
    files: resources.filter((r) => r.kind === 'File').map((r) => ({ path: r.path, mode: r.mode, content: r.content })),
    links: resources.filter((r) => r.kind === 'Symlink').map((r) => ({ path: r.path, target: r.target })),
  };
  writeFileSync(join(dir, 'vars.json'), JSON.stringify(vars));
  const play = `- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [vars.json]
  tasks:
    - name: directories
      ansible.builtin.file: { path: "{{ root }}/{{ item.path }}", state: directory, mode: "{{ item.mode }}" }
      loop: "{{ directories }}"
      loop_control: { label: "{{ item.path }}" }
    - name: files
      ansible.builtin.copy: { dest: "{{ root }}/{{ item.path }}", content: "{{ item.content }}", mode: "{{ item.mode }}" }
      loop: "{{ files }}"
      loop_control: { label: "{{ item.path }}" }
    - name: symlinks
      ansible.builtin.file: { path: "{{ root }}/{{ item.path }}", src: "{{ item.target }}", state: link, force: true }
      loop: "{{ links }}"
      loop_control: { label: "{{ item.path }}" }
`;
  const file = join(dir, 'converge.yml');
  writeFileSync(file, play);
  return file;
}

/** Run the playbook on localhost; returns its time and the recap's changed count. */
export async function runPlaybook(bin: string, playbook: string): Promise<{ ms: number; changed: number; ok: number }> {
  const env = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
  };
  const r = await run(bin, ['-i', 'localhost,', playbook], { env, cwd: join(playbook, '..') });
  if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}:\n${(r.stdout + r.stderr).trim().slice(-3000)}`);
  // The recap counts tasks; a looped task prints one line per item: count changed items.
  const changed = (r.stdout.match(/^changed: \[localhost\] => \(item=/gm) ?? []).length;
  const ok = (r.stdout.match(/^ok: \[localhost\] => \(item=/gm) ?? []).length;
  return { ms: r.ms, ok, changed };
}
