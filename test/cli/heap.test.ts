/**
 * The heap a command line's process starts with (src/cli/heap.ts, called first by bin/driftless.js),
 * observed in a real Node process: the young generation's size while the heap grows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Keeps 250 MB of small objects alive, and reports the largest new space seen below 100 MB in use and above 200 MB. */
const CHILD = `
import { getHeapSpaceStatistics } from 'node:v8';
import { sizeHeap } from './heap.js';
sizeHeap(process.argv.slice(2));
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];
let small = 0, large = 0;
for (let i = 0; i < 3_000_000; i++) {
  keep.push({ i, s: 'v' + i });
  if (i % 10000 === 0) {
    const used = process.memoryUsage().heapUsed;
    if (used < 100 * 2 ** 20) small = Math.max(small, newSpace());
    else if (used > 200 * 2 ** 20) large = Math.max(large, newSpace());
  }
  if (i % 100000 === 0) await new Promise((r) => setImmediate(r));
}
process.stdout.write(JSON.stringify({ small: small / 2 ** 20, large: large / 2 ** 20, kept: keep.length }));
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftless-heap-'));
  for (const m of ['heap', 'args']) {
    const out = ts.transpileModule(readFileSync(`src/cli/${m}.ts`, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, `${m}.js`), out.outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'child.js'), CHILD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]): { small: number; large: number; kept: number } =>
  JSON.parse(execFileSync(process.execPath, [join(dir, 'child.js'), ...argv], { encoding: 'utf8', timeout: 120_000 }));

describe("a command's heap", () => {
  it('a command that only reads: the young generation at its first size while the heap is small, growing once it is large, to 16 MB', () => {
    const r = run('plan', '--no-refresh');
    expect(r.kept).toBe(3_000_000);
    expect(r.small).toBeLessThanOrEqual(2);
    expect(r.large).toBeGreaterThan(4);
    expect(r.large).toBeLessThanOrEqual(16);
  }, 150_000);

  it("a command that writes keeps V8's young generation, which grows while the heap is small, and past 16 MB", () => {
    const r = run('apply', '--auto-approve');
    expect(r.small).toBeGreaterThan(4);
    expect(r.large).toBeGreaterThan(16);
  }, 150_000);
});
