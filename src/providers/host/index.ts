/**
 * The `host` provider: configuration management over SSH (apiVersion host.driftless.dev/v1).
 * Packages, services, files, directories, users, groups, lines and commands on the hosts of a
 * target's inventory; each manifest selects hosts with `spec.hosts` and becomes one resource per host.
 */
import { readFileSync } from 'node:fs';
import type { ConnectOptions, Expansion, Provider, Session, Spec, SpecProblem, TargetConfig } from '../../sdk/provider.js';
import { ProviderError } from '../../sdk/provider.js';
import { reveal } from '../../sdk/secret-value.js';
import type { KnownHost } from './hostkey.js';
import { inventoryOf, selectHosts } from './inventory.js';
import type { HostKind } from './kinds/kind.js';
import { pkg } from './kinds/package.js';
import { service } from './kinds/service.js';
import { directory, file } from './kinds/file.js';
import { group, user } from './kinds/account.js';
import { line } from './kinds/line.js';
import { exec } from './kinds/exec.js';
import targetSchema from './schemas/target.schema.json' with { type: 'json' };

export const HOST_KINDS: Record<string, HostKind> = {
  Package: pkg,
  Service: service,
  File: file,
  Directory: directory,
  User: user,
  Group: group,
  Line: line,
  Exec: exec,
};

/** Each manifest's spec without `hosts`, one object per manifest spec (so unchanged manifests stay cached downstream). */
const stripped = new WeakMap<Spec, Spec>();
function withoutHosts(spec: Spec): Spec {
  let s = stripped.get(spec);
  if (!s) {
    const { hosts: _hosts, ...rest } = spec;
    s = rest;
    stripped.set(spec, s);
  }
  return s;
}

async function knownHostsOf(target: TargetConfig): Promise<KnownHost[]> {
  if (typeof target.knownHosts !== 'string') return [];
  const { parseKnownHosts } = await import('./hostkey.js');
  try {
    return parseKnownHosts(readFileSync(target.knownHosts, 'utf8'));
  } catch (err) {
    throw new ProviderError(`target ${target.name}: cannot read knownHosts ${target.knownHosts}: ${(err as Error).message}`);
  }
}

export const hostProvider: Provider = {
  name: 'host',
  group: 'host.driftless.dev',
  versions: ['v1'],
  kinds: Object.fromEntries(Object.entries(HOST_KINDS).map(([k, v]) => [k, v.info])),
  targetSchema,
  expand(spec: Spec, target: TargetConfig): Expansion | SpecProblem {
    const members = selectHosts(spec.hosts, inventoryOf(target));
    if (!Array.isArray(members)) return members;
    return { members, spec: withoutHosts(spec) };
  },
  async connect(target: TargetConfig, options: ConnectOptions = {}): Promise<Session> {
    // The session, SSH and known-hosts code load on the first connection: a command that only
    // validates or plans without a refresh never needs them.
    const { credentialsOf, HostSession } = await import('./session.js');
    const creds = credentialsOf(target, reveal, await knownHostsOf(target));
    const parallelism = typeof target.parallelism === 'number' ? target.parallelism : 16;
    return new HostSession(inventoryOf(target), creds, HOST_KINDS, parallelism, options.readOnly === true);
  },
};

export default hostProvider;
