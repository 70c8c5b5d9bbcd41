import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownDatabase } from '../helpers/own-database.js';
import { runCli } from '../helpers/cli.js';
import { TestRepo, manifest, tempDir } from '../helpers/git.js';

const stateUrl = ownDatabase('driftless_policy_cli');

const POLICY = `name: no-world-writable-files
level: hard-mandatory
match: { kinds: [fs.driftless.dev/v1/File] }
rule: "!(change.after.spec.mode.endsWith('6') || change.after.spec.mode.endsWith('7'))"
message: "files must not be world-writable: {{change.id}}"
`;
const test = (expect: string, mode: string) => `policy: no-world-writable-files
change:
  id: File/wide
  kind: fs.driftless.dev/v1/File
  action: create
  after: { spec: { path: wide.txt, content: "open\\n", mode: "${mode}" } }
expect: ${expect}
`;

describe('driftless policy test', () => {
  it('passes when every expectation holds; exits 1 naming the test file whose expectation is wrong', async () => {
    const dir = tempDir('driftless-policy-test-');
    const repo = TestRepo.create({
      '.driftless/policies/files.yaml': POLICY,
      '.driftless/policies/tests/wide-fails.yaml': test('fail', '0666'),
      '.driftless/policies/tests/narrow-passes.yaml': test('pass', '0644'),
    });
    const ok = await runCli(['policy', 'test', '--repo', repo.dir]);
    expect(ok.out).toContain('ok   .driftless/policies/tests/wide-fails.yaml (no-world-writable-files: fail)');
    expect(ok.out).toContain('2 passed, 0 failed.');
    expect(ok.code).toBe(0);

    writeFileSync(join(repo.dir, '.driftless/policies/tests/wrong.yaml'), test('pass', '0777'));
    const bad = await runCli(['policy', 'test', '--repo', repo.dir]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(
      'FAIL .driftless/policies/tests/wrong.yaml (no-world-writable-files): expected pass, got fail: files must not be world-writable: File/wide',
    );
    expect(bad.out).toContain('2 passed, 1 failed.');

    writeFileSync(join(repo.dir, '.driftless/policies/tests/unknown.yaml'), 'policy: nope\nexpect: pass\n');
    const unknown = await runCli(['policy', 'test', '--repo', repo.dir]);
    expect(unknown.out).toContain('FAIL .driftless/policies/tests/unknown.yaml (nope): no policy is named nope (known: no-world-writable-files)');
    expect((await runCli(['policy', '--repo', dir])).err).toContain('driftless policy takes a subcommand: test');
  });
});

describe('driftless validate checks the policies', () => {
  it('reports a CEL syntax error and an unknown input field at the policy file line', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: files\n',
      'stacks/web/files.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }),
      '.driftless/policies/syntax.yaml': 'name: syntax\nlevel: advisory\nrule: "change.id == "\n',
      '.driftless/policies/field.yaml':
        'name: field\nlevel: advisory\nrule: |\n  change.id != "" &&\n    change.after.spec.mode == "0644" && pr.autor == "x"\n',
    });
    const dir = tempDir('driftless-policy-validate-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo: { path: ${repo.dir}, name: policy-validate }\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\nstate: { url: "${stateUrl()}" }\ndataDir: ${join(dir, 'data')}\n`,
    );
    const v = await runCli(['--config', config, 'validate']);
    expect(v.code).toBe(1);
    expect(v.err).toContain('error: .driftless/policies/field.yaml:5:44: field: rule: No such key: autor\n');
    expect(v.err).toMatch(/error: \.driftless\/policies\/syntax\.yaml:3:\d+: syntax: rule: Unexpected token: EOF/);
  });
});
