import { describe, expect, it } from 'vitest';
import { exceedsBudget, failedHosts, failureBudget, hostOf, hostStandings, planWaves, rolloutLines, standingLines } from '../../src/plan/rollout.js';
import { parseRepoConfig } from '../../src/manifests/repo-config.js';
import { appliedBody, noteText } from '../../src/forge/messages.js';

/** Steps of resources spread over hosts: `Kind/name@host`. */
const ids = (hosts: string[], kinds = ['File/motd', 'Package/nginx']) => hosts.flatMap((h) => kinds.map((k) => ({ id: `${k}@${h}`, host: h })));
/** Steps of resources of no host (whatever their names hold). */
const hostless = (...list: string[]) => list.map((id) => ({ id, host: undefined }));

describe('rollout waves', () => {
  it('takes the host from a resource id, and none from an id of no host', () => {
    expect(hostOf('File/motd@web-1')).toBe('web-1');
    expect(hostOf('File/a@b@web-2')).toBe('web-2');
    expect(hostOf('File/motd')).toBeUndefined();
    expect(hostOf('Table/x@y/z')).toBeUndefined();
  });

  it('reaches hosts cumulatively: a count, then percentages rounded up', () => {
    const hosts = Array.from({ length: 10 }, (_, i) => `web-${String(i).padStart(2, '0')}`);
    const waves = planWaves(ids(hosts).reverse(), { waves: [1, '50%', '100%'] });
    expect(waves.map((w) => w.hosts)).toEqual([hosts.slice(0, 1), hosts.slice(1, 5), hosts.slice(5)]);
    expect(waves[0].ids.sort()).toEqual(['File/motd@web-00', 'Package/nginx@web-00']);
    expect(waves.map((w) => w.budget)).toEqual([0, 0, 0]);
    // 3 hosts: 50% rounds up to 2
    expect(planWaves(ids(['a', 'b', 'c']), { waves: [1, '50%'] }).map((w) => w.hosts)).toEqual([['a'], ['b'], ['c']]);
  });

  it('drops waves that reach no new host, and adds a last wave for hosts beyond the last reach', () => {
    expect(planWaves(ids(['a', 'b', 'c']), { waves: [2, '10%', 2] }).map((w) => w.hosts)).toEqual([['a', 'b'], ['c']]);
    expect(planWaves(ids(['a', 'b']), { waves: [5] }).map((w) => w.hosts)).toEqual([['a', 'b']]);
    expect(planWaves(ids(['a']), { waves: ['100%'] }).map((w) => w.hosts)).toEqual([['a']]);
  });

  it('puts steps of no host in the first wave', () => {
    const waves = planWaves([...hostless('File/x'), ...ids(['a', 'b'], ['File/y'])], { waves: [1] });
    expect(waves.map((w) => w.ids)).toEqual([['File/x', 'File/y@a'], ['File/y@b']]);
    expect(planWaves(hostless('File/x'), { waves: [1] })).toEqual([{ hosts: [], ids: ['File/x'], hostless: ['File/x'], budget: 0 }]);
    expect(planWaves([], { waves: [1] })).toEqual([]);
  });

  it('takes a resource of no host for one even when its name holds an @ (a file named cfg@prod is no host prod)', () => {
    const waves = planWaves([...hostless('File/cfg@prod', 'PostgresRole/app@b'), ...ids(['a', 'b'], ['File/y'])], { waves: [1], maxFailures: 0 });
    expect(waves.map((w) => w.hosts)).toEqual([['a'], ['b']]);
    expect(waves[0].ids).toEqual(['File/cfg@prod', 'PostgresRole/app@b', 'File/y@a']);
    expect(waves[1].ids).toEqual(['File/y@b']);
    // Its failure stops the rollout as a failed step of no host, and is not blamed on host b.
    expect(failedHosts(waves[0], new Set(['PostgresRole/app@b']))).toEqual([]);
    expect(exceedsBudget(waves[0], new Set(['PostgresRole/app@b']))).toBe(true);
  });

  it('budgets a count, or a percentage of the wave rounded down', () => {
    expect(failureBudget(0, 10)).toBe(0);
    expect(failureBudget(2, 10)).toBe(2);
    expect(failureBudget('10%', 10)).toBe(1);
    expect(failureBudget('10%', 9)).toBe(0);
    expect(failureBudget('50%', 5)).toBe(2);
    const waves = planWaves(ids(['a', 'b', 'c', 'd']), { waves: [2, '100%'], maxFailures: '50%' });
    expect(waves.map((w) => w.budget)).toEqual([1, 1]);
  });

  it('stops a wave with more failed hosts than its budget, or a failed step of no host', () => {
    const [wave] = planWaves([...hostless('File/x'), ...ids(['a', 'b', 'c'])], { waves: ['100%'], maxFailures: 1 });
    expect(failedHosts(wave, new Set(['File/motd@b']))).toEqual(['b']);
    expect(exceedsBudget(wave, new Set(['File/motd@b', 'Package/nginx@b']))).toBe(false);
    expect(exceedsBudget(wave, new Set(['File/motd@b', 'Package/nginx@c']))).toBe(true);
    expect(exceedsBudget(wave, new Set(['File/x']))).toBe(true);
    expect(exceedsBudget(wave, new Set())).toBe(false);
  });

  it('says which host is at which commit after a stopped rollout', () => {
    const waves = planWaves(ids(['a', 'b', 'c', 'd']), { waves: [1, 3, '100%'] });
    const report = {
      waves: [
        { hosts: ['a'], failed: [] },
        { hosts: ['b', 'c'], failed: ['c'] },
      ],
      stoppedAt: 1,
    };
    const hosts = hostStandings(report, waves, 'new'.padEnd(40, '0'), 'old'.padEnd(40, '0'), new Set(['b', 'c']));
    expect(hosts).toEqual([
      { host: 'a', commit: 'new'.padEnd(40, '0'), state: 'applied' },
      { host: 'b', commit: 'old'.padEnd(40, '0'), state: 'reverted' },
      { host: 'c', commit: 'old'.padEnd(40, '0'), state: 'reverted' },
      { host: 'd', commit: 'old'.padEnd(40, '0'), state: 'not reached' },
    ]);
    expect(standingLines(hosts)).toEqual([`at new000000000 (applied): a`, `at old000000000 (reverted): b, c`, `at old000000000 (not reached): d`]);
    const partly = hostStandings(report, waves, 'n', 'o', new Set(['b']));
    expect(partly.find((h) => h.host === 'c')).toEqual({ host: 'c', commit: 'n', state: 'revert failed' });
    const lines = rolloutLines({ ...report, revert: { runId: 7, commit: 'o'.repeat(40), outcome: 'succeeded' }, hosts });
    expect(lines.slice(0, 4)).toEqual([
      'wave 1: a',
      'wave 2: b, c (failed: c)',
      'stopped: wave 2 exceeded its failure budget; later hosts were not changed',
      `revert: run 7 put wave 2 back to ${'o'.repeat(12)}: succeeded`,
    ]);
  });
});

describe('rollout in driftless.yaml', () => {
  const cfg = (rollout: string) => `version: 1\nstacks:\n  web:\n    path: web\n    targets: { host: fleet }\n    rollout: ${rollout}\n`;

  it('takes waves and a failure budget', () => {
    const r = parseRepoConfig(cfg('{ waves: [1, "50%", "100%"], maxFailures: "10%" }'));
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.stacks.web.rollout).toEqual({ waves: [1, '50%', '100%'], maxFailures: '10%' });
  });

  it.each([
    ['{ waves: [0] }', 'rollout.waves.0'],
    ['{ waves: ["150%"] }', 'rollout.waves.0'],
    ['{ waves: [] }', 'rollout.waves'],
    ['{ waves: [1], maxFailures: -1 }', 'rollout.maxFailures'],
    ['{ waves: [1], maxFailures: "ten" }', 'rollout.maxFailures'],
    ['{ waves: [1], budget: 2 }', 'rollout.budget: unknown property'],
    ['{ maxFailures: 1 }', 'rollout'],
  ])('refuses %s at its line and column', (rollout, field) => {
    const r = parseRepoConfig(cfg(rollout));
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0];
    expect(d.file).toBe('driftless.yaml');
    expect(d.line).toBe(6);
    expect(d.col).toBeGreaterThan(4);
    expect(d.message).toContain(`stacks.web.${field}`);
  });
});

describe('rollout in the result comment and the git note', () => {
  it('says which host is at which commit', () => {
    const c1 = 'a'.repeat(40);
    const c2 = 'b'.repeat(40);
    const rollout = {
      waves: [
        { hosts: ['web-1'], failed: [] },
        { hosts: ['web-2'], failed: ['web-2'] },
      ],
      stoppedAt: 1,
      revert: { runId: 8, commit: c1, outcome: 'succeeded' },
      hosts: [
        { host: 'web-1', commit: c2, state: 'applied' as const },
        { host: 'web-2', commit: c1, state: 'reverted' as const },
        { host: 'web-3', commit: c1, state: 'not reached' as const },
      ],
    };
    const summary = { create: 0, update: 2, replace: 0, delete: 0, noop: 0 };
    const info = {
      stack: 'web',
      commit: c2,
      pr: 4,
      actor: null,
      author: 'ann',
      time: '2026-01-01T00:00:00Z',
      result: {
        runId: 7,
        outcome: 'partial',
        summary,
        results: [{ id: 'File/app@web-2', action: 'update', outcome: 'failed', error: 'validate refused' }],
        rollout,
      },
    };
    const note = noteText(info);
    expect(note).toContain('rollout:\n  wave 1: web-1\n  wave 2: web-2 (failed: web-2)');
    expect(note).toContain(`  revert: run 8 put wave 2 back to ${c1.slice(0, 12)}: succeeded`);
    expect(note).toContain(
      `  hosts:\n    at ${c2.slice(0, 12)} (applied): web-1\n    at ${c1.slice(0, 12)} (reverted): web-2\n    at ${c1.slice(0, 12)} (not reached): web-3`,
    );
    const body = appliedBody(info);
    expect(body).toContain('**Rollout**');
    expect(body).toContain(`at ${c1.slice(0, 12)} (not reached): web-3`);
    expect(noteText({ ...info, result: { ...info.result, rollout: undefined } })).not.toContain('rollout:');
  });
});
