/**
 * A host target's session: one connection per host, opened on first use and reused for every read
 * and write on it; every managed resource of a host read by one script in one round trip; hosts
 * handled in parallel up to `parallelism`. An unreachable host fails its own resources only.
 */
import { randomBytes } from 'node:crypto';
import type { Desired, Observed, Outputs, Recorded, ResourceBase, Session, TargetConfig } from '../../sdk/provider.js';
import { memberOf, ProviderError, ReadOnlySessionError } from '../../sdk/provider.js';
import { KeyedMutex, mapLimit } from '../../sdk/concurrency.js';
import { connectHost, type Credentials, type HostConnection } from './connection.js';
import { batchScript, parseBatch, splitBatchOutput } from './batch-read.js';
import type { HostEntry, Inventory } from './inventory.js';
import type { Fields, HostKind, HostOps } from './kinds/kind.js';

/** How long a failed connection counts as failed: one attempt per host per run, retried on the next. */
const FAILURE_MEMORY_MS = 60_000;

const PRELUDE = 'export LC_ALL=C\n';

/**
 * The one read script of a host: each resource's snippet after an `@ INDEX` line. A snippet that
 * finds nothing (a missing file) fails; the script does not, so it ends with `:`. Pure.
 */
export function readScript(snippets: string[]): string {
  return `${PRELUDE + snippets.map((s, i) => `echo '@ ${i}'\n{ ${s}\n} 2>/dev/null\n`).join('')}:\n`;
}

/** The fields each resource's snippet printed, by index. Pure. */
export function parseReadOutput(out: string, count: number): Fields[] {
  const fields: Fields[] = Array.from({ length: count }, () => new Map());
  let cur: Fields | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('@ ')) {
      cur = fields[Number(line.slice(2))];
      continue;
    }
    if (!cur || !line) continue;
    const sp = line.indexOf(' ');
    if (sp < 0) cur.set(line, '');
    else cur.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return fields;
}

export class HostSession implements Session {
  private readonly conns = new Map<string, Promise<HostConnection>>();
  private readonly failed = new Map<string, { at: number; error: Error }>();
  private readonly serials = new KeyedMutex();
  /** Read scripts sent (one per host per refresh), for tests and the benchmark. */
  readScripts = 0;

  constructor(
    private readonly inventory: Inventory,
    private readonly creds: Credentials,
    private readonly kinds: Record<string, HostKind>,
    private readonly parallelism: number,
    private readonly readOnly: boolean,
  ) {}

  private hostOf(r: { id: string; name: string }): HostEntry {
    const name = memberOf(r.name);
    const host = name ? this.inventory.hosts.get(name) : undefined;
    if (!host) throw new ProviderError(`${r.id}: names no host of the target's inventory (${name ?? 'none'})`, r.id);
    return host;
  }

  private kindOf(r: { id: string; kind: string }): HostKind {
    const k = this.kinds[r.kind];
    if (!k) throw new ProviderError(`the host provider has no kind ${JSON.stringify(r.kind)} (known: ${Object.keys(this.kinds).join(', ')})`, r.id);
    return k;
  }

  /** The host's connection: reused while open; a failure is remembered briefly, so a run tries a host once. */
  connection(name: string): Promise<HostConnection> {
    const f = this.failed.get(name);
    if (f && Date.now() - f.at < FAILURE_MEMORY_MS) return Promise.reject(f.error);
    const open = this.conns.get(name);
    if (open) {
      return open.then((c) => {
        if (!c.closed) return c;
        this.conns.delete(name);
        return this.connection(name);
      });
    }
    const host = this.inventory.hosts.get(name);
    if (!host) return Promise.reject(new ProviderError(`no host ${name} in the target's inventory`));
    const p = connectHost(host, this.creds, (jump) => this.connection(jump));
    this.conns.set(name, p);
    p.catch((error: Error) => {
      this.conns.delete(name);
      this.failed.set(name, { at: Date.now(), error });
    });
    return p;
  }

  /** Connect to the hosts of these resources now (up to `parallelism` at once), not waiting: reads and writes find them open. */
  prepare(rs: ResourceBase[]): void {
    const names = new Set<string>();
    for (const r of rs) {
      const m = memberOf(r.name);
      if (m && this.inventory.hosts.has(m) && !this.conns.has(m)) names.add(m);
    }
    if (!names.size) return;
    mapLimit([...names], this.parallelism, (name) => this.connection(name).catch(() => undefined)).catch(() => undefined);
  }

  private ops(host: HostEntry, conn: HostConnection): HostOps {
    return { host, conn, serial: (key, fn) => this.serials.run(`${host.name}\u0000${key}`, fn) };
  }

  async read(r: Recorded): Promise<Observed | null> {
    const [o] = await this.readMany([r]);
    if (o === undefined) await this.connection(this.hostOf(r).name); // throws why
    return o ?? null;
  }

  /** One script per host, hosts in parallel; an unreachable host's resources come back undefined. */
  async readMany(rs: Recorded[]): Promise<(Observed | null | undefined)[]> {
    const byHost = new Map<string, number[]>();
    rs.forEach((r, i) => {
      const h = this.hostOf(r).name;
      this.kindOf(r);
      const list = byHost.get(h);
      if (list) list.push(i);
      else byHost.set(h, [i]);
    });
    const out = new Array<Observed | null | undefined>(rs.length);
    await mapLimit([...byHost], this.parallelism, async ([name, idx]) => {
      let conn: HostConnection;
      try {
        conn = await this.connection(name);
      } catch {
        return; // unreachable: planned from the record this time
      }
      const host = this.inventory.hosts.get(name)!;
      const batched = idx.filter((i) => this.kindOf(rs[i]).readPath);
      const snipped = idx.filter((i) => !this.kindOf(rs[i]).readPath);
      const nonce = randomBytes(8).toString('hex');
      const reads = batched.map((i) => this.kindOf(rs[i]).readPath!(rs[i].spec));
      const output = await this.runRead(name, conn, readScript(snipped.map((i) => this.kindOf(rs[i]).readSnippet(rs[i].spec))) + batchScript(reads, nonce));
      const { snippets, batch } = splitBatchOutput(output, nonce);
      const fields = parseReadOutput(snippets, snipped.length);
      snipped.forEach((i, j) => {
        out[i] = this.kindOf(rs[i]).observe(rs[i], fields[j], host);
      });
      if (!batched.length) return;
      const parsed = batch === undefined ? undefined : parseBatch(batch, nonce);
      if (parsed?.consistent) {
        batched.forEach((i, j) => {
          out[i] = this.kindOf(rs[i]).observe(rs[i], parsed.fields.get(reads[j].path) ?? new Map(), host);
        });
        return;
      }
      // Files changed while they were read (sizes that do not add up): read them again, one snippet each.
      const each = parseReadOutput(await this.runRead(name, conn, readScript(batched.map((i) => this.kindOf(rs[i]).readSnippet(rs[i].spec)))), batched.length);
      batched.forEach((i, j) => {
        out[i] = this.kindOf(rs[i]).observe(rs[i], each[j], host);
      });
    });
    return out;
  }

  /** Send a read script to a host; its output, or a ProviderError when it fails. */
  private async runRead(name: string, conn: HostConnection, script: string): Promise<string> {
    this.readScripts++;
    const res = await conn.exec('sh -s', script);
    if (res.code !== 0) throw new ProviderError(`host ${name}: the read script failed (exit ${res.code}): ${res.stderr.trim().slice(-500)}`);
    return res.stdout;
  }

  private async write<T>(method: string, r: { id: string; name: string; kind: string }, fn: (k: HostKind, h: HostOps) => Promise<T>): Promise<T> {
    if (this.readOnly) throw new ReadOnlySessionError(method, r.id);
    const host = this.hostOf(r);
    const kind = this.kindOf(r);
    const conn = await this.connection(host.name);
    return fn(kind, this.ops(host, conn));
  }

  create(r: Desired): Promise<Outputs> {
    return this.write('create', r, (k, h) => k.create(h, r));
  }

  update(r: Desired, prior: Recorded, changed: string[]): Promise<Outputs> {
    return this.write('update', r, (k, h) => k.update(h, r, prior, changed));
  }

  delete(prior: Recorded): Promise<void> {
    return this.write('delete', prior, (k, h) => k.delete(h, prior));
  }

  /** Commands run so far on every connection (for tests and the benchmark). */
  async commands(): Promise<number> {
    let n = 0;
    for (const c of this.conns.values()) n += (await c.catch(() => undefined))?.commands ?? 0;
    return n;
  }

  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    for (const c of all) (await c.catch(() => undefined))?.close();
  }
}

export function credentialsOf(target: TargetConfig, reveal: (v: unknown) => string | undefined, knownHosts: Credentials['knownHosts']): Credentials {
  const privateKey = reveal(target.privateKey);
  if (!privateKey) throw new ProviderError(`target ${target.name}: privateKey is missing`);
  return {
    user: String(target.user),
    privateKey,
    passphrase: reveal(target.passphrase),
    become: target.become === 'sudo' ? 'sudo' : undefined,
    becomePassword: reveal(target.becomePassword),
    knownHosts,
    acceptNewHostKeys: target.acceptNewHostKeys === true,
    connectTimeout: typeof target.connectTimeout === 'number' ? target.connectTimeout : 20,
  };
}
