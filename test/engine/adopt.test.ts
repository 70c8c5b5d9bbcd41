import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, tempDir, FS_REPO_CONFIG } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

const SITE = `# The web site, served by nginx.
apiVersion: fs.driftless.dev/v1
kind: Directory
metadata:
  name: www
spec: { path: www, mode: "0755" }   # world-readable
---
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: index          # the home page
  dependsOn: [Directory/www]
spec:
  path: www/index.html
  # what visitors see first
  content: |
    hello
  mode: '0644'         # read by the nginx user
---
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: key
spec:
  path: www/key
  content: !secret API_KEY
  mode: "0600"
`;

function setup() {
  const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/site.yaml': SITE, 'README.md': 'infra\n' });
  const dir = tempDir('driftless-adopt-');
  const root = join(dir, 'root');
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(
    config,
    `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${root} }\nsecrets:\n  API_KEY: { fromEnv: TEST_API_KEY }\ndataDir: ${join(dir, 'data')}\n`,
  );
  const cli = (...args: string[]) => runCli(['--config', config, ...args], { env: { TEST_API_KEY: 'k3y' } });
  return { repo, root, cli };
}

describe('driftless adopt', () => {
  it('commits the live values on a new branch, touching only the drifted values; after the merge the plan is empty and there is no drift', async () => {
    const { repo, root, cli } = setup();
    expect((await cli('adopt', '--stack', 'web')).out).toContain('web: nothing to adopt: web was never applied');
    const a = await cli('apply', '--auto-approve');
    expect(a.code, a.err).toBe(0);
    expect((await cli('adopt', '--stack', 'web')).out).toContain('web: nothing to adopt: no drift in stack web.');

    // Drift: content and mode of a file, the mode of the directory, and the secret's content.
    writeFileSync(join(root, 'www/index.html'), 'hello, world\n');
    chmodSync(join(root, 'www/index.html'), 0o640);
    chmodSync(join(root, 'www'), 0o750);
    writeFileSync(join(root, 'www/key'), 'changed by hand');
    const statusBefore = repo.git('status', '--porcelain');
    const headBefore = repo.head();

    const r = await cli('adopt', '--stack', 'web');
    expect(r.code, r.err).toBe(0);
    const branch = `driftless/adopt-web-${headBefore.slice(0, 7)}`;
    expect(r.out).toContain(`web: adopted drift on branch ${branch}`);
    expect(r.out).toContain('changed: stacks/web/site.yaml');
    expect(r.out).toContain('~ File/index /spec/content = "hello, world\\n" (stacks/web/site.yaml:16)');
    expect(r.out).toContain('~ File/index /spec/mode = "0640" (stacks/web/site.yaml:18)');
    expect(r.out).toContain('~ Directory/www /spec/mode = "0750" (stacks/web/site.yaml:6)');
    expect(r.out).toContain('! File/key /spec/content (stacks/web/site.yaml): sensitive: its value is never shown or written');
    expect(r.out).not.toContain('changed by hand');

    // The checkout is untouched: same HEAD, same status, same file.
    expect(repo.head()).toBe(headBefore);
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);
    expect(readFileSync(join(repo.dir, 'stacks/web/site.yaml'), 'utf8')).toBe(SITE);

    // The branch's diff touches only the drifted values; comments and quoting stay.
    expect(repo.git('diff', '--name-only', `main..${branch}`)).toBe('stacks/web/site.yaml');
    const diff = repo
      .git('diff', '-U0', `main..${branch}`)
      .split('\n')
      .filter((l) => /^[-+](?![-+])/.test(l));
    expect(diff).toEqual([
      '-spec: { path: www, mode: "0755" }   # world-readable',
      '+spec: { path: www, mode: "0750" }   # world-readable',
      '-    hello',
      "-  mode: '0644'         # read by the nginx user",
      '+    hello, world',
      "+  mode: '0640'         # read by the nginx user",
    ]);
    const message = repo.git('log', '-1', '--format=%B', branch);
    expect(message).toContain('Adopt drift of stack web');
    expect(message).toContain('- File/key /spec/content (stacks/web/site.yaml): sensitive: its value is never shown or written');
    expect(message).not.toContain('changed by hand');

    // The same branch again is refused; another name works.
    const again = await cli('adopt', '--stack', 'web');
    expect(again.code).toBe(1);
    expect(again.err).toContain(`branch ${branch} already exists`);

    // Merge, then: an empty plan, an apply that records it, and no drift but the secret's.
    repo.git('merge', '-q', '--no-edit', branch);
    const p = await cli('plan', '--detailed-exitcode', '--stack', 'web');
    expect(p.out).toContain('~ File/key');
    // The secret is still drifted (it was not written back); restore it to see the rest is empty.
    writeFileSync(join(root, 'www/key'), 'k3y');
    const p2 = await cli('plan', '--detailed-exitcode');
    expect(p2.code, p2.out).toBe(0);
    expect(p2.out).toContain('Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.');
    const a2 = await cli('apply', '--auto-approve');
    expect(a2.code, a2.err).toBe(0);
    const d = await cli('drift');
    expect(d.code, d.out).toBe(0);
    expect(d.out).toContain('web: no drift (3 resources match what was applied).');
    expect(readFileSync(join(root, 'www/index.html'), 'utf8')).toBe('hello, world\n');
  });

  it('adopts one resource with --resource onto a named branch, and refuses an unknown stack', async () => {
    const { repo, root, cli } = setup();
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    chmodSync(join(root, 'www/index.html'), 0o600);
    chmodSync(join(root, 'www'), 0o700);
    const r = await cli('adopt', '--stack', 'web', '--resource', 'Directory/www', '--branch', 'adopt-www');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('~ Directory/www /spec/mode = "0700"');
    expect(r.out).not.toContain('File/index');
    expect(repo.git('show', 'adopt-www:stacks/web/site.yaml')).toBe(SITE.replace('mode: "0755" }', 'mode: "0700" }').trimEnd()); // git show's output, trimmed
    expect((await cli('adopt', '--stack', 'web', '--resource', 'File/nope')).out).toContain('nothing to adopt: no drift in File/nope');
    const bad = await cli('adopt', '--stack', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('no stack named nope in driftless.yaml (stacks: web)');
    const badName = await cli('adopt', '--stack', 'web', '--branch', 'bad..name');
    expect(badName.code).toBe(1);
    expect(badName.err).toContain('"bad..name" is not a valid branch name');
  });
});
