import { describe, expect, it } from 'vitest';
import { validateFiles } from '../helpers/engine.js';
import { parseManifestFile } from '../../src/manifests/yaml.js';

const F = 'stacks/web/a.yaml';
const file = (body: string): Record<string, string> => ({ [F]: body });
const good = (name: string, path: string, extra = ''): string =>
  `apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: ${name}\n${extra}spec:\n  path: ${path}\n  content: hi\n`;

describe('validation: every error says where and what', () => {
  it('accepts a valid stack', async () => {
    expect(await validateFiles(file(good('a', 'a.txt') + '---\n' + good('b', 'b.txt')))).toEqual([]);
  });

  it('skips empty documents (a trailing ---, a document of only comments)', async () => {
    expect(await validateFiles(file(good('a', 'a') + '---\n# nothing here\n---\n' + good('b', 'b') + '---\n'))).toEqual([]);
  });

  it('reports YAML syntax errors at their line and column', async () => {
    const errs = await validateFiles(file('apiVersion: fs.driftless.dev/v1\nkind: [File\n'));
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]).toMatch(/^stacks\/web\/a\.yaml:\d+:\d+: /);
  });

  it('rejects duplicate keys', async () => {
    const errs = await validateFiles(file('apiVersion: fs.driftless.dev/v1\nkind: File\nkind: File\nmetadata: {name: a}\nspec: {path: a}\n'));
    expect(errs[0]).toMatch(/^stacks\/web\/a\.yaml:3:1: .*[Uu]nique/);
  });

  it('stops alias bombs', async () => {
    let y = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 12; i++)
      y += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const errs = await validateFiles(file(y));
    expect(errs[0]).toMatch(/stacks\/web\/a\.yaml:1:1: cannot expand document: .*alias/i);
  });

  it('limits nesting depth and file size', () => {
    const deep = 'a: ' + '['.repeat(80) + ']'.repeat(80) + '\n';
    expect(parseManifestFile('d.yaml', deep).diagnostics[0].message).toMatch(/nests deeper than 64/);
    const big = 'a: "' + 'x'.repeat(1024 * 1024 + 10) + '"\n';
    expect(parseManifestFile('b.yaml', big).diagnostics[0].message).toMatch(/larger than 1048576 bytes/);
  });

  it('names the known kinds for an unknown kind, at the kind field', async () => {
    const errs = await validateFiles(file('apiVersion: fs.driftless.dev/v1\nkind: Fiel\nmetadata:\n  name: a\nspec:\n  path: a\n'));
    expect(errs).toEqual([
      'stacks/web/a.yaml:2:7: Fiel/a: unknown kind "Fiel" in apiVersion "fs.driftless.dev/v1"; known kinds: fs.driftless.dev/v1 Directory, fs.driftless.dev/v1 File, fs.driftless.dev/v1 Symlink',
    ]);
  });

  it('reports every schema error, each at its field (key for unknown properties, parent for missing ones)', async () => {
    const body =
      'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: a\nspec:\n  path: a\n  mode: rwx\n  colour: red\n' +
      '---\napiVersion: fs.driftless.dev/v1\nkind: Directory\nmetadata:\n  name: d\nspec:\n  mode: "0755"\n';
    const errs = await validateFiles(file(body));
    expect(errs).toEqual([
      'stacks/web/a.yaml:7:9: File/a: spec.mode: must match pattern "^0?[0-7]{3}$"',
      'stacks/web/a.yaml:8:3: File/a: spec.colour: unknown property (not in the schema)',
      'stacks/web/a.yaml:15:3: Directory/d: spec.path: is required',
    ]);
  });

  it('reports errors from several files, sorted, not only the first', async () => {
    const errs = await validateFiles({ 'stacks/web/b.yaml': 'kind: File\n', 'stacks/web/a.yaml': 'apiVersion: x\n' });
    expect(errs).toContain('stacks/web/a.yaml:1:1: kind: is required');
    expect(errs).toContain('stacks/web/a.yaml:1:13: apiVersion: must match pattern "^[a-z0-9.-]+/v[0-9]+[a-z0-9]*$"');
    expect(errs).toContain('stacks/web/b.yaml:1:1: apiVersion: is required');
    expect(errs.findIndex((e) => e.startsWith('stacks/web/b'))).toBeGreaterThan(errs.findLastIndex((e) => e.startsWith('stacks/web/a')));
  });

  it('names both locations of a duplicate id', async () => {
    const errs = await validateFiles({ 'stacks/web/a.yaml': good('same', 'a'), 'stacks/web/sub/b.yaml': '# x\n' + good('same', 'b') });
    expect(errs).toEqual(['stacks/web/sub/b.yaml:5:9: File/same: duplicate id File/same: also declared at stacks/web/a.yaml:1:1']);
  });

  it('refuses two resources managing one object', async () => {
    const errs = await validateFiles(file(good('a', 'x.txt') + '---\n' + good('b', './x.txt')));
    expect(errs[0]).toMatch(/File\/b: File\/b and File\/a \(stacks\/web\/a\.yaml:1:1\) manage the same object "x.txt"/);
  });

  it('reports a dependsOn to a missing resource at the entry', async () => {
    const errs = await validateFiles(file(good('a', 'a', '  dependsOn: [Directory/nope]\n')));
    expect(errs).toEqual(['stacks/web/a.yaml:5:15: File/a: dependsOn names Directory/nope, which is not declared in this stack']);
  });

  it('reports a !ref to a missing resource, and a malformed !ref, at the value', async () => {
    const body = 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: a\nspec:\n  path: a\n  content: !ref File/zz.outputs.sha256\n';
    expect(await validateFiles(file(body))).toEqual([
      'stacks/web/a.yaml:7:17: File/a: !ref File/zz.outputs.sha256 names File/zz, which is not declared in this stack',
    ]);
    const bad = body.replace('File/zz.outputs.sha256', 'nonsense');
    expect((await validateFiles(file(bad)))[0]).toMatch(/^stacks\/web\/a\.yaml:7:12: !ref must look like Kind\/name\.outputs\.field/);
  });

  it('names a dependency cycle in order', async () => {
    const body =
      good('a', 'a', '  dependsOn: [File/b]\n') + '---\n' + good('b', 'b', '  dependsOn: [File/c]\n') + '---\n' + good('c', 'c', '  dependsOn: [File/a]\n');
    expect(await validateFiles(file(body))).toEqual(['stacks/web/a.yaml:1:1: File/a: dependency cycle: File/a -> File/b -> File/c -> File/a']);
  });

  it('validates driftless.yaml itself with positions', async () => {
    const errs = await validateFiles({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets: {fs: files}\n    apply: sometimes\n',
      [F]: good('a', 'a'),
    });
    expect(errs).toEqual(['driftless.yaml:6:12: stacks.web.apply: must be one of ["auto","manual"]']);
  });

  it('reports an unknown target at driftless.yaml', async () => {
    const errs = await validateFiles({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: elsewhere\n',
      [F]: good('a', 'a'),
    });
    expect(errs).toEqual(['driftless.yaml:6:11: unknown target elsewhere: the server config defines files']);
  });

  it('applies repository schemas from .driftless/schemas as policy on built-in kinds and for custom kinds', async () => {
    const policy = JSON.stringify({
      'x-driftless-kind': { apiVersion: 'fs.driftless.dev/v1', kind: 'File' },
      type: 'object',
      properties: { mode: { enum: ['0644'] } },
    });
    const errs = await validateFiles({
      '.driftless/schemas/file-policy.json': policy,
      [F]: good('a', 'a').replace('content: hi', 'content: hi\n  mode: "0777"'),
    });
    expect(errs).toEqual(['stacks/web/a.yaml:8:9: File/a: spec.mode: must be one of ["0644"]']);
    const custom = JSON.stringify({ 'x-driftless-kind': { apiVersion: 'acme.dev/v1', kind: 'Widget' }, type: 'object', required: ['size'] });
    const errs2 = await validateFiles({
      '.driftless/schemas/widget.json': custom,
      [F]: 'apiVersion: acme.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  colour: red\n',
    });
    expect(errs2[0]).toBe('stacks/web/a.yaml:6:3: Widget/w: spec.size: is required');
  });

  it('refuses a literal value in a sensitive (writeOnly) field', async () => {
    const role = 'apiVersion: postgres.driftless.dev/v1\nkind: PostgresRole\nmetadata:\n  name: app\nspec:\n  login: true\n  password: hunter2\n';
    const errs = await validateFiles({ 'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets: {postgres: db}\n', [F]: role });
    expect(errs[0]).toBe('stacks/web/a.yaml:7:13: PostgresRole/app: spec.password: is sensitive: give it with !secret NAME, never as a value in git');
    expect(errs.join('\n')).not.toContain('hunter2');
  });

  it('rejects a !secret with a bad name', async () => {
    const errs = await validateFiles(file(good('a', 'a').replace('content: hi', 'content: !secret "not ok"')));
    expect(errs[0]).toMatch(/^stacks\/web\/a\.yaml:7:12: !secret takes a name/);
  });
});

describe('a stack at the repository root', () => {
  it('reads its manifests, not driftless.yaml, .driftless/ files or .github workflows', async () => {
    const errors = await validateFiles({
      'driftless.yaml': 'version: 1\nstacks:\n  root:\n    path: .\n    targets:\n      fs: files\n',
      'a.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: a }\nspec: { path: a.txt, content: x }\n',
      '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
      '.driftless/acks.yaml': 'acks: []\n',
    });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
