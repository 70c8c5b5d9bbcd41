/**
 * Host key pinning: the fingerprints a host may present, from its `hostKey` or a known_hosts file,
 * and the check of the key it does present. No trust on first use unless asked for. Pure.
 */
import { createHash, createHmac } from 'node:crypto';

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface KnownHost {
  /** Plain patterns (`web-1`, `[10.0.0.5]:2222`) or one hashed entry (`|1|salt|hash`). */
  names: string[];
  fingerprint: string;
}

/** The entries of a known_hosts file (markers such as @revoked and comments skipped). */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [names, , key] = line.split(/\s+/);
    if (!names || !key) continue;
    out.push({ names: names.split(','), fingerprint: fingerprintOf(Buffer.from(key, 'base64')) });
  }
  return out;
}

/** How known_hosts names a host: `addr`, or `[addr]:port` off port 22. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}

/** The fingerprints known_hosts lists for any of `names`. */
export function knownFingerprints(entries: KnownHost[], names: string[]): string[] {
  const out = new Set<string>();
  for (const e of entries) if (e.names.some((p) => names.some((n) => matches(p, n)))) out.add(e.fingerprint);
  return [...out];
}

export type KeyVerdict = { ok: true } | { ok: false; message: string };

/**
 * Whether the key a host presents is one it is pinned to. `pinned` empty: unknown host, refused
 * unless `acceptNew` (trust on first use, configured explicitly).
 */
export function checkHostKey(host: string, presented: string, pinned: string[], acceptNew: boolean): KeyVerdict {
  if (pinned.includes(presented)) return { ok: true };
  if (!pinned.length) {
    if (acceptNew) return { ok: true };
    return {
      ok: false,
      message: `host ${host}: its host key ${presented} is not pinned (no hostKey, and no knownHosts entry); refused. Pin it with hostKey: "${presented}" once you have checked it out of band`,
    };
  }
  return {
    ok: false,
    message: `host ${host}: host key changed: it presented ${presented}, but it is pinned to ${pinned.join(' or ')}; refused (a reinstalled host, or someone in between)`,
  };
}
