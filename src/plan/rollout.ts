/** Rollout waves of a stack's hosts: which hosts a wave reaches and how many of them may fail. Pure. */

/** A stack's `rollout` in driftless.yaml. */
export interface RolloutConfig {
  /** Cumulative reach after each wave: a number of hosts or a percentage of the hosts with changes ("50%"). */
  waves: (number | string)[];
  /** Failed hosts a wave tolerates: a number, or a percentage of that wave's hosts ("10%"). Default 0. */
  maxFailures?: number | string;
}

export interface Wave {
  /** The hosts this wave changes, in name order. */
  hosts: string[];
  /** The plan's step ids this wave carries out: those of its hosts (and, in the first wave, those of no host). */
  ids: string[];
  /** The ids among `ids` of no host (only in the first wave). */
  hostless: string[];
  /** How many of its hosts may fail before the apply stops. */
  budget: number;
}

/** A step of the plan, with the host it belongs to (undefined: a resource of no host). */
export interface HostedStep {
  id: string;
  host: string | undefined;
}

/**
 * The host of a resource id (`File/motd@web-1` -> `web-1`), or undefined for an id with no `@host`
 * suffix. Only for ids of resources a provider spread over hosts: an `@` in any other name means
 * nothing (the engine decides which resources are spread, from their provider).
 */
export function hostOf(id: string): string | undefined {
  const at = id.lastIndexOf('@');
  const host = at < 0 ? '' : id.slice(at + 1);
  return host && !host.includes('/') ? host : undefined;
}

/** A count (`3`) or a percentage (`"50%"`) of `total`, rounded up for reach and down for budgets. */
function amount(v: number | string, total: number, round: (n: number) => number): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.slice(0, -1));
  return round((pct * total) / 100);
}

/**
 * Split the plan's steps into waves. The hosts with changes, in name order, are reached
 * cumulatively: after wave i, `waves[i]` of them (a count, or a percentage rounded up; at least one
 * host more than the wave before, or the wave is dropped). Hosts beyond the last wave's reach make
 * one more wave. Steps of no host go in the first wave.
 */
export function planWaves(steps: readonly HostedStep[], cfg: RolloutConfig): Wave[] {
  const byHost = new Map<string, string[]>();
  const hostless: string[] = [];
  for (const { id, host } of steps) {
    if (host === undefined) hostless.push(id);
    else {
      let list = byHost.get(host);
      if (!list) byHost.set(host, (list = []));
      list.push(id);
    }
  }
  const hosts = [...byHost.keys()].sort();
  const reaches: number[] = [];
  for (const w of cfg.waves) {
    const reach = Math.min(hosts.length, amount(w, hosts.length, Math.ceil));
    if (reach > (reaches.at(-1) ?? 0)) reaches.push(reach);
  }
  if ((reaches.at(-1) ?? 0) < hosts.length) reaches.push(hosts.length);
  const waves: Wave[] = [];
  let from = 0;
  for (const reach of reaches) {
    const part = hosts.slice(from, reach);
    from = reach;
    waves.push({ hosts: part, ids: part.flatMap((h) => byHost.get(h)!), hostless: [], budget: failureBudget(cfg.maxFailures ?? 0, part.length) });
  }
  if (hostless.length) {
    if (waves.length) {
      waves[0].ids.unshift(...hostless);
      waves[0].hostless = hostless;
    } else waves.push({ hosts: [], ids: hostless, hostless, budget: 0 });
  }
  return waves;
}

/** Failed hosts a wave of `size` hosts tolerates: a count, or a percentage of the wave rounded down. */
export function failureBudget(maxFailures: number | string, size: number): number {
  return Math.max(0, amount(maxFailures, size, Math.floor));
}

/** The hosts of a wave that failed: those with a step that did not succeed. */
export function failedHosts(wave: Wave, notOk: ReadonlySet<string>): string[] {
  const failed = new Set<string>();
  const hostless = new Set(wave.hostless);
  for (const id of wave.ids) {
    const h = hostless.has(id) ? undefined : hostOf(id);
    if (h !== undefined && notOk.has(id)) failed.add(h);
  }
  return wave.hosts.filter((h) => failed.has(h));
}

/** Whether a wave stops the rollout: more failed hosts than its budget, or a failed step of no host. */
export function exceedsBudget(wave: Wave, notOk: ReadonlySet<string>): boolean {
  if (wave.hostless.some((id) => notOk.has(id))) return true;
  return failedHosts(wave, notOk).length > wave.budget;
}

/** Where each host stands after a rollout: the commit it is at, and how it got there. */
export type HostStanding = { host: string; commit: string | null; state: 'applied' | 'failed' | 'reverted' | 'revert failed' | 'not reached' };

/** One line per standing, grouped by state and commit (comments and notes). */
export function standingLines(hosts: readonly HostStanding[]): string[] {
  const groups = new Map<string, string[]>();
  for (const h of hosts) {
    const key = `${h.state}\u0000${h.commit ?? ''}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(h.host);
  }
  return [...groups].map(([key, list]) => {
    const [state, commit] = key.split('\u0000');
    return `${commit ? `at ${commit.slice(0, 12)}` : 'at no applied commit'} (${state}): ${list.join(', ')}`;
  });
}

/**
 * Where each host of a rollout stands: hosts of the waves before the stopped one at `commit`
 * (applied, or failed within the budget), the stopped wave's hosts back at `previous` when the
 * revert put them back (`reverted` says which), later hosts not reached (still at `previous`).
 */
export function hostStandings(
  report: { waves: { hosts: string[]; failed: string[] }[]; stoppedAt?: number },
  rest: readonly Wave[],
  commit: string,
  previous: string | null,
  reverted: ReadonlySet<string> | undefined,
): HostStanding[] {
  const out: HostStanding[] = [];
  for (const [i, w] of report.waves.entries()) {
    const failed = new Set(w.failed);
    for (const host of w.hosts) {
      if (i === report.stoppedAt) {
        out.push(reverted?.has(host) ? { host, commit: previous, state: 'reverted' } : { host, commit, state: 'revert failed' });
      } else out.push({ host, commit, state: failed.has(host) ? 'failed' : 'applied' });
    }
  }
  for (const w of rest.slice(report.waves.length)) for (const host of w.hosts) out.push({ host, commit: previous, state: 'not reached' });
  return out;
}

/** How a run's rollout went (kept on the run, shown in the result comment and the git note). */
export interface RolloutReport {
  /** Per wave: the hosts it reached and those that failed. */
  waves: { hosts: string[]; failed: string[] }[];
  /** Index of the wave that exceeded its failure budget; the apply stopped there. */
  stoppedAt?: number;
  /** The run that put the stopped wave's hosts back, or why none did. */
  revert?: { runId: number; commit: string; outcome: string } | { skipped: string };
  /** Which host is at which commit after the run. */
  hosts: HostStanding[];
}

/** The rollout lines of a result: waves, the stop and its revert, and which host is at which commit. */
export function rolloutLines(r: RolloutReport): string[] {
  const waves = r.waves.map((w, i) => `wave ${i + 1}: ${w.hosts.join(', ') || '(no host)'}${w.failed.length ? ` (failed: ${w.failed.join(', ')})` : ''}`);
  const stop =
    r.stoppedAt === undefined
      ? []
      : [
          `stopped: wave ${r.stoppedAt + 1} exceeded its failure budget; later hosts were not changed`,
          r.revert && 'runId' in r.revert
            ? `revert: run ${r.revert.runId} put wave ${r.stoppedAt + 1} back to ${r.revert.commit.slice(0, 12)}: ${r.revert.outcome}`
            : `revert: none (${r.revert && 'skipped' in r.revert ? r.revert.skipped : 'not attempted'})`,
        ];
  return [...waves, ...stop, 'hosts:', ...standingLines(r.hosts).map((l) => `  ${l}`)];
}
