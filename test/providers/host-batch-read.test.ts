import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchScript, parseBatch, splitBatchOutput } from '../../src/providers/host/batch-read.js';
import { statSnippet, parseStat } from '../../src/providers/host/kinds/file.js';
import { parseReadOutput, readScript } from '../../src/providers/host/session.js';

const NONCE = '0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'driftless-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a read script with this machine's sh, find and base64 (the hosts' are Debian's too). */
const sh = (script: string) => execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });

describe('host reads batched by path', () => {
  const names = ['plain.conf', 'empty', 'with space', "it's", 'new\nline', 'pipe|and;$(x)', 'ünï©ødé', '@@stat-0123456789abcdef', 'dir', 'link', 'missing'];
  mkdirSync(join(dir, 'dir'));
  for (const n of names.slice(0, 8)) writeFileSync(join(dir, n), n === 'empty' ? '' : `content of ${n}\n\u0000binary\u00ff\n`);
  symlinkSync(join(dir, 'plain.conf'), join(dir, 'link'));
  execFileSync('chmod', ['0640', join(dir, 'plain.conf')]);
  const paths = names.map((n) => join(dir, n));

  it('gives each path the fields its own snippet gives, in one find and one cat', () => {
    const reads = paths.map((path, i) => ({ path, content: i % 3 !== 2 }));
    const out = sh(readScript([]) + batchScript(reads, NONCE));
    const { snippets, batch } = splitBatchOutput(out, NONCE);
    expect(snippets.trim()).toBe('');
    const parsed = parseBatch(batch!, NONCE);
    expect(parsed.consistent).toBe(true);
    const each = parseReadOutput(sh(readScript(reads.map((r) => statSnippet(r.path, r.content)))), reads.length);
    reads.forEach((r, i) => {
      const got = parsed.fields.get(r.path) ?? new Map();
      expect(parseStat(got), r.path).toEqual(parseStat(each[i]));
      expect(got.get('content'), r.path).toBe(each[i].get('content'));
    });
    expect(parsed.fields.get(join(dir, 'missing'))).toBeUndefined();
    expect(parseStat(parsed.fields.get(join(dir, 'empty'))!)?.type).toBe('regular file');
    expect(parsed.fields.get(join(dir, 'empty'))!.get('content')).toBe('');
    expect(parseStat(parsed.fields.get(join(dir, 'link'))!)?.type).toBe('symbolic link');
    expect(parsed.fields.get(join(dir, 'link'))!.has('content')).toBe(false);
    expect(parseStat(parsed.fields.get(join(dir, 'plain.conf'))!)?.mode).toBe('0640');
  });

  it("keeps the snippets' output apart, and says when sizes do not add up (a file changed while read)", () => {
    const out = sh(readScript(["printf 'x 1\\n'", "printf 'y 2\\n'"]) + batchScript([{ path: paths[0], content: true }], NONCE));
    const { snippets, batch } = splitBatchOutput(out, NONCE);
    expect(parseReadOutput(snippets, 2).map((f) => Object.fromEntries(f))).toEqual([{ x: '1' }, { y: '2' }]);
    expect(parseBatch(batch!, NONCE).consistent).toBe(true);
    // The same output with the file grown between find and cat.
    const grown = batch!.replace(
      /@@data-0123456789abcdef\n([^\n]*)\n/,
      (_m, b64: string) => `@@data-0123456789abcdef\n${Buffer.concat([Buffer.from(b64, 'base64'), Buffer.from('more')]).toString('base64')}\n`,
    );
    expect(parseBatch(grown, NONCE).consistent).toBe(false);
  });

  it('refuses a nonce that is not one', () => {
    expect(() => batchScript([{ path: '/etc/x', content: true }], 'x')).toThrow(/nonce/);
  });
});
