import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestFleet } from '../../testkit/hosts.js';
import { runCli } from './cli.js';
import { TestRepo, tempDir } from './git.js';

export const HOSTS_REPO_CONFIG = `version: 1
stacks:
  web:
    path: stacks/web
    targets:
      host: fleet
`;

/** A host manifest as YAML text (`spec` written as JSON, which YAML reads). */
export function hostManifest(kind: string, name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): string {
  const lines = ['apiVersion: host.driftless.dev/v1', `kind: ${kind}`, 'metadata:', `  name: ${JSON.stringify(name)}`];
  for (const [k, v] of Object.entries(meta)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  lines.push('spec:');
  for (const [k, v] of Object.entries(spec)) lines.push(`  ${k}: ${typeof v === 'string' && v.startsWith('!') ? v : JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}

/** The inventory entry of each booted host (reached through its proxy command, its key pinned), plus extra entries. */
export function inventory(fleet: TestFleet, groups: Record<string, string[]>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const h of fleet.hosts) out[h.name] = { address: '127.0.0.1', proxyCommand: h.proxyCommand, hostKey: h.hostKey, groups: groups[h.name] ?? [] };
  return { ...out, ...extra };
}

/** Seconds the tests' host targets wait for a handshake: far from what a loaded machine needs. */
export const TEST_CONNECT_TIMEOUT = 180;

/** A repository, a server config with a `fleet` host target, and a CLI bound to them. */
export function hostWorld(
  fleet: TestFleet,
  files: Record<string, string>,
  hosts: Record<string, unknown>,
  target: Record<string, unknown> = {},
  secrets: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
) {
  const repo = TestRepo.create({ 'driftless.yaml': HOSTS_REPO_CONFIG, ...files });
  const dir = tempDir('driftless-hosts-');
  const config = join(dir, 'driftless.config.yaml');
  // A connect timeout far above any handshake delay a loaded CI machine causes (20 s was once hit).
  const fleetTarget = {
    provider: 'host',
    user: 'root',
    privateKey: { fromFile: fleet.privateKeyFile },
    connectTimeout: TEST_CONNECT_TIMEOUT,
    hosts,
    ...target,
  };
  writeFileSync(
    config,
    JSON.stringify({ repo: { path: repo.dir, name: 'infra' }, targets: { fleet: fleetTarget }, secrets, dataDir: join(dir, 'data') }, null, 2),
  );
  const cli = (...args: string[]) => runCli(['--config', config, ...args], { env });
  return { repo, dir, config, cli };
}
