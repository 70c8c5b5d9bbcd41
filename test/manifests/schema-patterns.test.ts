import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';
import { FS_REPO_CONFIG, TestRepo, manifest, tempDir } from '../helpers/git.js';

const FILE_KIND = { apiVersion: 'fs.driftless.dev/v1', kind: 'File' };
const schemaFile = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ 'x-driftless-kind': FILE_KIND, type: 'object', properties, ...extra }, null, 2);
const file = (spec: Record<string, unknown>): string => manifest('File', 'a', { path: 'a.txt', ...spec });

/** Issue 15: a regular expression in a repository schema runs in linear time, or is refused where it is written. */
describe('schema patterns cannot stall validation', () => {
  it('driftless validate answers the catastrophic case (^(a+)+$ against 40 a and a !) with the mismatch at its line:col', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': FS_REPO_CONFIG,
      '.driftless/schemas/x.json': schemaFile({ content: { type: 'string', pattern: '^(a+)+$' } }),
      'stacks/web/a.yaml': file({ content: `${'a'.repeat(40)}!` }),
    });
    const dir = tempDir('driftless-redos-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\ndataDir: ${join(dir, 'data')}\n`,
    );
    try {
      const v = await runCli(['--config', config, 'validate']);
      expect(v.code).toBe(1);
      expect(v.err).toContain('error: stacks/web/a.yaml:7:12: File/a: spec.content: must match pattern "^(a+)+$"\n');
      expect(v.err).toContain('1 error.');
      // The same pattern accepts what it describes.
      repo.commit({ 'stacks/web/a.yaml': file({ content: 'a'.repeat(40) }) }, 'only a');
      const ok = await runCli(['--config', config, 'validate']);
      expect(ok.code, ok.err).toBe(0);
    } finally {
      repo.remove();
    }
  });

  it('each pattern of a schema keeps its own meaning (pattern, patternProperties, propertyNames)', async () => {
    const widget = JSON.stringify({
      'x-driftless-kind': { apiVersion: 'acme.dev/v1', kind: 'Widget' },
      type: 'object',
      properties: {
        size: { type: 'string', pattern: '^\\d+$' },
        colour: { type: 'string', pattern: '^\\u0072[a-z]+$' },
        labels: { type: 'object', patternProperties: { '^x-': { type: 'integer' } }, propertyNames: { pattern: '^(x-|id$)' } },
      },
    });
    const errs = await validateFiles({
      '.driftless/schemas/widget.json': widget,
      'stacks/web/w.yaml':
        'apiVersion: acme.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n  colour: red\n  labels: { x-n: one, id: 1, other: 2 }\n',
    });
    // colour: red matches ^\u0072[a-z]+$ (an ECMAScript escape); id matches ^(x-|id$) and no ^x- rule.
    expect(errs).toEqual([
      'stacks/web/w.yaml:6:9: Widget/w: spec.size: must match pattern "^\\d+$"',
      'stacks/web/w.yaml:8:11: Widget/w: spec.labels: must match pattern "^(x-|id$)"',
      'stacks/web/w.yaml:8:11: Widget/w: spec.labels: property name must be valid',
      'stacks/web/w.yaml:8:18: Widget/w: spec.labels.x-n: must be integer',
    ]);
  });

  it('a repository schema may $ref a built-in schema by its $id (compiled with the same linear engine)', async () => {
    const widget = JSON.stringify({
      'x-driftless-kind': { apiVersion: 'acme.dev/v1', kind: 'Widget' },
      type: 'object',
      properties: { file: { $ref: 'https://driftless.dev/schemas/fs/File.json' } },
    });
    const errs = await validateFiles({
      '.driftless/schemas/widget.json': widget,
      'stacks/web/w.yaml': 'apiVersion: acme.dev/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  file: { path: a.txt, mode: "999" }\n',
    });
    expect(errs).toEqual(['stacks/web/w.yaml:6:30: Widget/w: spec.file.mode: must match pattern "^0?[0-7]{3}$"']);
  });

  it('refuses a backreference at the pattern in the schema file, and validates nothing against that schema', async () => {
    const errs = await validateFiles({
      '.driftless/schemas/x.json': schemaFile({ content: { type: 'string', pattern: '^(a)\\1$' } }),
      'stacks/web/a.yaml': file({ content: 'aa' }),
    });
    expect(errs).toEqual([
      '.driftless/schemas/x.json:10:18: /properties/content/pattern: "^(a)\\\\1$" uses a backreference (\\1), which cannot run in linear time; ' +
        'patterns run on RE2 (no backreferences or lookaround)',
    ]);
  });

  it('refuses lookaround in a patternProperties key at that key, and other syntax RE2 lacks with its reason', async () => {
    const errs = await validateFiles({
      '.driftless/schemas/look.yaml': [
        'x-driftless-kind: { apiVersion: fs.driftless.dev/v1, kind: File }',
        'type: object',
        'properties:',
        '  owner:',
        '    patternProperties:',
        '      "^(?!x-)": { type: string }',
        '',
      ].join('\n'),
      '.driftless/schemas/repeat.yaml': [
        'x-driftless-kind: { apiVersion: fs.driftless.dev/v1, kind: File }',
        'properties:',
        '  content: { pattern: "^a{2000}$" }',
        '',
      ].join('\n'),
      'stacks/web/a.yaml': file({ content: 'x' }),
    });
    expect(errs).toEqual([
      '.driftless/schemas/look.yaml:6:7: /properties/owner/patternProperties/^(?!x-): "^(?!x-)" uses lookahead ((?!), which cannot run in linear time; ' +
        'patterns run on RE2 (no backreferences or lookaround)',
      '.driftless/schemas/repeat.yaml:3:23: /properties/content/pattern: "^a{2000}$" cannot run on RE2, the linear-time engine: invalid repeat count `{2000}`',
    ]);
  });

  it('a built-in pattern cannot stall either: apiVersion (quadratic under backtracking) on a 900 kB value', async () => {
    const apiVersion = `a/v${'1'.repeat(900_000)}!`;
    const errs = await validateFiles({ 'stacks/web/a.yaml': `apiVersion: "${apiVersion}"\nkind: File\nmetadata:\n  name: a\nspec:\n  path: a.txt\n` });
    expect(errs).toEqual(['stacks/web/a.yaml:1:13: File/a: apiVersion: must match pattern "^[a-z0-9.-]+/v[0-9]+[a-z0-9]*$"']);
  });

  it('format "url" (polynomial in ajv-formats) stays bounded: a URL longer than 2,048 characters is refused', async () => {
    const long = `ftp://172.30.3.56${'4.1.6.7:155'.repeat(80_000)}\u0000`;
    const errs = await validateFiles({
      '.driftless/schemas/x.json': schemaFile({ content: { type: 'string', format: 'url' } }),
      'stacks/web/a.yaml': file({ content: long }),
      'stacks/web/b.yaml': manifest('File', 'b', { path: 'b.txt', content: `https://example.com/${'p'.repeat(1900)}` }),
    });
    expect(errs).toEqual(['stacks/web/a.yaml:7:12: File/a: spec.content: must match format "url"']);
  });
});
