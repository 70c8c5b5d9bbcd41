import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { decodeUtf8, firstInvalidByte, utf8Error } from '../../src/manifests/utf8.js';
import { FS_REPO_CONFIG, TestRepo, manifest, tempDir } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('manifest blobs are UTF-8, or an error at the first bad byte', () => {
  it('says which byte, at which line and column (columns in UTF-16 units, as YAML positions)', () => {
    expect(utf8Error('a.yaml', bytes('a: caf', [0xff], '\n'))).toEqual({ file: 'a.yaml', line: 1, col: 7, message: 'invalid UTF-8 byte 0xFF' });
    expect(utf8Error('a.yaml', bytes('x: é\ny: 日本🙂', [0xfe]))).toMatchObject({ line: 2, col: 8, message: 'invalid UTF-8 byte 0xFE' });
    expect(utf8Error('a.yaml', bytes([0x80], 'x'))).toMatchObject({ line: 1, col: 1, message: 'invalid UTF-8 byte 0x80' });
  });

  it('points at the start of an ill-formed sequence: truncated, overlong, surrogate, past U+10FFFF', () => {
    const at = (b: number[]) => utf8Error('f', bytes('k: ', b, 'z\n'));
    expect(at([0xe2, 0x82])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xE2' });
    expect(at([0xc0, 0x80])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xC0' });
    expect(at([0xe0, 0x80, 0x80])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xE0' });
    expect(at([0xed, 0xa0, 0x80])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xED' });
    expect(at([0xf4, 0x90, 0x80, 0x80])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xF4' });
    expect(at([0xf5, 0x80, 0x80, 0x80])).toMatchObject({ col: 4, message: 'invalid UTF-8 byte 0xF5' });
    expect(at([0x61, 0xbf])).toMatchObject({ col: 5, message: 'invalid UTF-8 byte 0xBF' });
  });

  it('accepts valid text, a U+FFFD written on purpose included', () => {
    expect(utf8Error('f', bytes('a: \ufffd é 日本 🙂 \u{10ffff}\n'))).toBeNull();
    expect(decodeUtf8('f', bytes('a: \ufffd\n'))).toEqual({ text: 'a: \ufffd\n' });
    expect(decodeUtf8('f', bytes('a: ', [0xff]))).toEqual({ error: { file: 'f', line: 1, col: 4, message: 'invalid UTF-8 byte 0xFF' } });
  });

  it('finds the byte where a lenient decoder puts its first U+FFFD (property, against Node)', () => {
    const piece = fc.oneof(
      fc.constantFrom(...['a', '\n', 'é', '日', '🙂', ': '].map((s) => [...Buffer.from(s)])),
      fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 1, maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (ps) => {
        const b = Buffer.from(ps.flat());
        const at = firstInvalidByte(b);
        expect(at === b.length).toBe(isUtf8(b));
        const prefix = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, at)); // throws if the prefix is not valid
        if (at < b.length && !prefix.includes('\ufffd')) expect(b.toString('utf8').indexOf('\ufffd')).toBe(prefix.length);
      }),
      { numRuns: 5000 },
    );
  });

  it('driftless validate reports a 0xFF byte in a value at its line:col, and plan plans nothing', async () => {
    const good = manifest('File', 'ok', { path: 'ok.txt', content: 'fine \ufffd\n' });
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/ok.yaml': good });
    writeFileSync(join(repo.dir, 'stacks/web/bad.yaml'), bytes(manifest('File', 'bad', { path: 'bad.txt' }), '  content: caf', [0xff], ' au lait\n'));
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'a non-UTF-8 byte');
    const dir = tempDir('driftless-utf8-');
    const root = join(dir, 'root');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(config, `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${root} }\ndataDir: ${join(dir, 'data')}\n`);
    const cli = (...args: string[]) => runCli(['--config', config, ...args]);
    try {
      const v = await cli('validate');
      expect(v.code).toBe(1);
      expect(v.err).toContain('error: stacks/web/bad.yaml:7:15: invalid UTF-8 byte 0xFF\n');
      expect(v.err).toContain('1 error.');
      const json = JSON.parse((await cli('validate', '--format', 'json')).out);
      expect(json.diagnostics).toEqual([{ file: 'stacks/web/bad.yaml', line: 7, col: 15, message: 'invalid UTF-8 byte 0xFF' }]);

      const p = await cli('plan');
      expect(p.code).toBe(1);
      expect(p.err).toContain('stacks/web/bad.yaml:7:15: invalid UTF-8 byte 0xFF');
      expect(p.out).not.toMatch(/to create/);

      // The same file with the byte fixed is valid; a U+FFFD written as UTF-8 was never the problem.
      repo.commit({ 'stacks/web/bad.yaml': manifest('File', 'bad', { path: 'bad.txt', content: 'café au lait\n' }) }, 'fixed');
      expect((await cli('validate')).code).toBe(0);
    } finally {
      repo.remove();
    }
  });

  it('holds driftless.yaml and repository schemas to the same rule', async () => {
    const repo = TestRepo.create({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a' }) });
    writeFileSync(join(repo.dir, 'driftless.yaml'), bytes(FS_REPO_CONFIG, '# caf', [0xe9], '\n'));
    mkdirSync(join(repo.dir, '.driftless/schemas'), { recursive: true });
    writeFileSync(join(repo.dir, '.driftless/schemas/x.yaml'), bytes('title: ', [0xc3, 0x28], '\n'));
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'latin-1 files');
    const dir = tempDir('driftless-utf8-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\ndataDir: ${join(dir, 'data')}\n`,
    );
    try {
      const v = await runCli(['--config', config, 'validate']);
      expect(v.code).toBe(1);
      expect(v.err).toContain('error: driftless.yaml:7:6: invalid UTF-8 byte 0xE9\n');
      expect(v.err).toContain('error: .driftless/schemas/x.yaml:1:8: invalid UTF-8 byte 0xC3\n');
    } finally {
      repo.remove();
    }
  });
});
