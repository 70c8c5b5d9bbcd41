/** A host target's inventory: hosts, their groups and vars, and which hosts a manifest's `spec.hosts` selects. Pure. */
import type { Json, SpecProblem, TargetConfig } from '../../sdk/provider.js';

export interface HostEntry {
  name: string;
  address: string;
  port: number;
  hostKey?: string;
  groups: string[];
  proxyCommand?: string;
  jump?: string;
  vars: Record<string, Json>;
}

export interface Inventory {
  hosts: Map<string, HostEntry>;
  /** Group name -> host names, in inventory order. */
  groups: Map<string, string[]>;
}

const cache = new WeakMap<object, Inventory>();

/** The inventory of a target (checked against the target schema already); cached per target object. */
export function inventoryOf(target: TargetConfig): Inventory {
  let inv = cache.get(target);
  if (inv) return inv;
  const hosts = new Map<string, HostEntry>();
  const groups = new Map<string, string[]>();
  const raw = (target.hosts ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, h] of Object.entries(raw)) {
    const entry: HostEntry = {
      name,
      address: typeof h.address === 'string' ? h.address : name,
      port: typeof h.port === 'number' ? h.port : 22,
      hostKey: typeof h.hostKey === 'string' ? h.hostKey : undefined,
      groups: Array.isArray(h.groups) ? (h.groups as string[]) : [],
      proxyCommand: typeof h.proxyCommand === 'string' ? h.proxyCommand : undefined,
      jump: typeof h.jump === 'string' ? h.jump : undefined,
      vars: (h.vars && typeof h.vars === 'object' ? h.vars : {}) as Record<string, Json>,
    };
    hosts.set(name, entry);
    for (const g of entry.groups) {
      const list = groups.get(g) ?? [];
      list.push(name);
      groups.set(g, list);
    }
  }
  inv = { hosts, groups };
  cache.set(target, inv);
  return inv;
}

/**
 * The hosts `spec.hosts` selects: `all`, a group name, a host name, or a list of host and group
 * names. An empty selection or an unknown name is a problem at `/hosts`.
 */
export function selectHosts(selector: Json | undefined, inv: Inventory): string[] | SpecProblem {
  if (selector === undefined) return { path: '/hosts', message: 'missing: name the hosts (a group, a list of host names, or all)' };
  const names = Array.isArray(selector) ? selector : [selector];
  const out = new Set<string>();
  for (const [i, n] of names.entries()) {
    const at = Array.isArray(selector) ? `/hosts/${i}` : '/hosts';
    if (typeof n !== 'string') return { path: at, message: 'a host or group name must be a string' };
    if (n === 'all') for (const h of inv.hosts.keys()) out.add(h);
    else if (inv.groups.has(n)) for (const h of inv.groups.get(n)!) out.add(h);
    else if (inv.hosts.has(n)) out.add(n);
    else {
      const known = [...inv.groups.keys(), ...inv.hosts.keys()];
      return { path: at, message: `no host or group named ${JSON.stringify(n)} in the target's inventory (known: all, ${known.join(', ')})` };
    }
  }
  if (!out.size) return { path: '/hosts', message: 'selects no host' };
  // Inventory order, so that plans list hosts the way the inventory does.
  return [...inv.hosts.keys()].filter((h) => out.has(h));
}
