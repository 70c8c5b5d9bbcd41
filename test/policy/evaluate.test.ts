import { describe, expect, it } from 'vitest';
import { loadPolicies, type PolicySource } from '../../src/policy/compile.js';
import { blockingReason, evaluatePolicies } from '../../src/policy/evaluate.js';
import { changeInput, NO_PR, prInput, type ChangeInput } from '../../src/policy/inputs.js';
import { formatDiagnostic } from '../../src/manifests/diagnostics.js';
import type { Step } from '../../src/plan/planner.js';
import type { DesiredResource } from '../../src/plan/desired.js';

const file = (name: string, source: string, oid = name): PolicySource => ({ path: `.driftless/policies/${name}.yaml`, oid, source });

const WORLD = `name: no-world-writable-files
description: files are not world-writable
level: hard-mandatory
match: { kinds: [fs.driftless.dev/v1/File] }
rule: "!(change.after.spec.mode.endsWith('6') || change.after.spec.mode.endsWith('7'))"
message: "files must not be world-writable: {{change.id}} has mode {{change.after.spec.mode}}"
`;

function fileChange(name: string, mode: string, action: ChangeInput['action'] = 'create'): ChangeInput {
  return {
    id: `File/${name}`,
    kind: 'fs.driftless.dev/v1/File',
    apiVersion: 'fs.driftless.dev/v1',
    name,
    action,
    before: {},
    after: { spec: { path: `${name}.txt`, content: 'x\n', mode } },
    diff: [],
  };
}

const opts = { stack: 'web', plan: {}, pr: prInput(NO_PR) };

describe('policy files', () => {
  it('a schema problem, a CEL syntax error and an unknown input field are reported at their lines', () => {
    const { policies, diagnostics } = loadPolicies([
      file('a', 'name: a\nlevel: sometimes\nrule: "true"\n'),
      file('b', 'name: b\nlevel: advisory\nrule: "change.id == "\n'),
      file('c', 'name: c\nlevel: advisory\nrule: |\n  change.id != "" &&\n    change.aftr.spec.mode == "0644"\n'),
      file('d', 'name: d\nlevel: advisory\nrule: "true"\nmessage: "see {{change.idd}}"\n'),
      file('e', WORLD),
    ]);
    const text = diagnostics.map(formatDiagnostic);
    expect(text[0]).toMatch(/^\.driftless\/policies\/a\.yaml:2:8: level: must be one of/);
    expect(text[1]).toMatch(/^\.driftless\/policies\/b\.yaml:3:\d+: b: rule: /);
    expect(text[2]).toBe('.driftless/policies/c.yaml:5:12: c: rule: No such key: aftr');
    expect(text[3]).toMatch(/^\.driftless\/policies\/d\.yaml:4:\d+: d: message: No such key: idd/);
    expect(policies.map((p) => p.policy.name)).toEqual(['no-world-writable-files']);
  });

  it('two policies with one name: the second is reported and left out', () => {
    const { policies, diagnostics } = loadPolicies([
      file('x1', 'name: x\nlevel: advisory\nrule: "true"\n'),
      file('x2', 'name: x\nlevel: advisory\nrule: "false"\n'),
    ]);
    expect(policies).toHaveLength(1);
    expect(formatDiagnostic(diagnostics[0])).toBe('.driftless/policies/x2.yaml:1:7: x: another policy has this name (.driftless/policies/x1.yaml:1:7)');
  });

  it('compiles a file once per blob id', () => {
    const cache = new Map();
    const a = loadPolicies([file('e', WORLD, 'oid1')], cache).policies[0];
    const b = loadPolicies([file('e', WORLD, 'oid1')], cache).policies[0];
    const c = loadPolicies([file('e', WORLD, 'oid2')], cache).policies[0];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('levels and results', () => {
  const levels = (level: string) => loadPolicies([file('l', WORLD.replace('level: hard-mandatory', `level: ${level}`))]).policies;

  it.each([
    ['advisory', 'warned', false],
    ['soft-mandatory', 'failed', true],
    ['hard-mandatory', 'failed', true],
  ])('%s: a failing change is %s (blocks: %s), with its message', async (level, outcome, blocks) => {
    const results = await evaluatePolicies(levels(level), [fileChange('ok', '0644'), fileChange('wide', '0666')], opts);
    expect(results[0]).toMatchObject({
      outcome,
      checked: 2,
      failures: [{ change: 'File/wide', message: 'files must not be world-writable: File/wide has mode 0666' }],
    });
    const reason = blockingReason({ stack: 'web', digest: 'sha256:1', results }, []);
    expect(reason !== null).toBe(blocks);
  });

  it('an override lifts a soft-mandatory failure for its plan digest only; a hard-mandatory one never', async () => {
    const soft = await evaluatePolicies(levels('soft-mandatory'), [fileChange('wide', '0666')], opts);
    const o = { policy: 'no-world-writable-files', digest: 'sha256:1', by: 'ada', reason: 'demo', at: '2026-01-01T00:00:00Z' };
    expect(blockingReason({ stack: 'web', digest: 'sha256:1', results: soft }, [o])).toBeNull();
    expect(blockingReason({ stack: 'web', digest: 'sha256:2', results: soft }, [o])).toContain('/driftless override no-world-writable-files');
    const hard = await evaluatePolicies(levels('hard-mandatory'), [fileChange('wide', '0666')], opts);
    expect(blockingReason({ stack: 'web', digest: 'sha256:1', results: hard }, [o])).toContain('hard-mandatory policy `no-world-writable-files` failed');
  });

  it('match: kinds (full or short), actions and stack globs choose the changes judged', async () => {
    const [p] = loadPolicies([
      file('m', 'name: m\nlevel: advisory\nmatch: { stacks: ["prod-*"], kinds: [File], actions: [update] }\nrule: "change.action != \'update\'"\n'),
    ]).policies;
    const changes = [fileChange('a', '0644', 'update'), fileChange('b', '0644', 'create')];
    expect((await evaluatePolicies([p], changes, { ...opts, stack: 'prod-eu' }))[0]).toMatchObject({ checked: 1, outcome: 'warned' });
    expect((await evaluatePolicies([p], changes, { ...opts, stack: 'web' }))[0]).toMatchObject({ checked: 0, outcome: 'skipped' });
  });

  it('a rule that reads only the plan runs once per plan; one that errors fails with the error', async () => {
    const { policies } = loadPolicies([
      file('p', 'name: small-plans\nlevel: soft-mandatory\nrule: "plan.summary.delete < 2"\nmessage: "{{plan.summary.delete}} deletions"\n'),
      file('q', 'name: needs-spec\nlevel: advisory\nrule: "change.after.spec.owner == \'root\'"\n'),
    ]);
    const plan = { stack: 'web', digest: 'd', summary: { create: 0n, update: 0n, replace: 0n, delete: 3n, noop: 0n }, changes: [] };
    const [small, spec] = await evaluatePolicies(policies, [fileChange('a', '0644')], { ...opts, plan });
    expect(small).toMatchObject({ checked: 1, outcome: 'failed', failures: [{ change: null, message: '3 deletions' }] });
    expect(spec.failures[0]).toMatchObject({ change: 'File/a', error: 'No such key: owner' });
  });

  it('pr inputs: author and labels', async () => {
    const [p] = loadPolicies([file('r', "name: r\nlevel: advisory\nrule: \"'reviewed' in pr.labels && pr.author != 'bot'\"\n")]).policies;
    const pr = prInput({ number: 4, author: 'ada', labels: ['reviewed'], base: 'main', head: 'x' });
    expect((await evaluatePolicies([p], [fileChange('a', '0644')], { ...opts, pr }))[0].outcome).toBe('passed');
  });
});

describe('sensitive values', () => {
  it('a rule sees "(sensitive)" and whether the field changed, never the value', async () => {
    const desired = {
      id: 'PostgresRole/app',
      apiVersion: 'postgres.driftless.dev/v1',
      kind: 'PostgresRole',
      name: 'app',
      spec: { login: true, password: 'hunter2-secret', connectionLimit: 5 },
      sensitive: ['/spec/password'],
      secretPaths: ['/spec/password'],
    } as unknown as DesiredResource;
    const step = {
      id: 'PostgresRole/app',
      action: 'update',
      dependsOn: [],
      reason: '',
      diff: [{ path: '/spec/password', sensitive: true }],
      desired,
      recorded: {
        id: 'PostgresRole/app',
        apiVersion: 'postgres.driftless.dev/v1',
        kind: 'PostgresRole',
        name: 'app',
        spec: { login: true, password: '(sensitive:sha256:ab:cd)' },
        outputs: {},
        deps: [],
        protect: false,
      },
    } as unknown as Step;
    const c = changeInput(step);
    expect(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).not.toContain('hunter2');
    expect(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).not.toContain('sha256');
    const [p] = loadPolicies([
      file(
        's',
        'name: s\nlevel: advisory\nrule: "change.after.spec.password == \'(sensitive)\' && change.diff.exists(d, d.path == \'/spec/password\' && d.changed) && change.after.spec.connectionLimit < 10"\nmessage: "{{change.after.spec.password}}"\n',
      ),
    ]).policies;
    expect((await evaluatePolicies([p], [c], opts))[0].outcome).toBe('passed');
  });
});

describe('hostile rules stay bounded', () => {
  it('a deeply nested expression is refused when compiled', () => {
    const deep = `${'('.repeat(200)}true${')'.repeat(200)}`;
    const { diagnostics } = loadPolicies([file('deep', `name: deep\nlevel: advisory\nrule: "${deep}"\n`)]);
    expect(formatDiagnostic(diagnostics[0])).toMatch(/deep\.yaml:3:\d+: deep: rule: Exceeded maxDepth/);
  });

  it('a catastrophic regular expression runs on RE2, in linear time', async () => {
    const [p] = loadPolicies([file('re', `name: re\nlevel: hard-mandatory\nrule: "!change.after.spec.content.matches('^(a+)+$')"\n`)]).policies;
    const c = fileChange('a', '0644');
    (c.after.spec as Record<string, unknown>).content = `${'a'.repeat(50_000)}!`;
    const t = Date.now();
    const [r] = await evaluatePolicies([p], [c], opts);
    expect(r.outcome).toBe('passed');
    expect(Date.now() - t).toBeLessThan(5_000); // backtracking would take longer than the age of the universe
  });

  it('nested loops over a huge list fail on the cost limit, with the error shown; other policies still run', async () => {
    const { policies } = loadPolicies([
      file('huge', 'name: huge\nlevel: hard-mandatory\nrule: "change.after.spec.items.all(a, change.after.spec.items.all(b, a + b >= 0))"\n'),
      file('fine', 'name: fine\nlevel: advisory\nrule: "true"\n'),
    ]);
    const c = fileChange('a', '0644');
    (c.after.spec as Record<string, unknown>).items = Array.from({ length: 20_000 }, (_, i) => BigInt(i));
    const results = await evaluatePolicies(policies, [c, c, c], { ...opts, policyBudgetMs: 2_000 });
    const huge = results.find((r) => r.name === 'huge')!;
    const fine = results.find((r) => r.name === 'fine')!;
    expect(huge.outcome).toBe('failed');
    expect(huge.failures[0].error).toMatch(/exceeded the (cost limit|time budget)/);
    expect(fine.outcome).toBe('passed');
  });

  it('a slow policy yields to the event loop while it runs', async () => {
    const [p] = loadPolicies([
      file('slow', 'name: slow\nlevel: advisory\nrule: "change.after.spec.items.all(a, change.after.spec.items.all(b, a + b >= 0))"\n'),
    ]).policies;
    const c = fileChange('a', '0644');
    (c.after.spec as Record<string, unknown>).items = Array.from({ length: 60 }, (_, i) => BigInt(i));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const [r] = await evaluatePolicies(
      [p],
      Array.from({ length: 200 }, () => c),
      { ...opts, sliceMs: 5, budget: { steps: 1_000_000, ms: 20_000 }, policyBudgetMs: 60_000 },
    );
    clearInterval(timer);
    expect(r.outcome).toBe('passed');
    expect(ticks).toBeGreaterThan(0);
  });
});
