/** The "Try it" commands of fixtures/postgres/README.md, run as written against the suite's PostgreSQL. */
import { execFile } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { tempDir } from '../helpers/git.js';

const run = promisify(execFile);
const README = resolve('fixtures/postgres/README.md');
const ENTRY = resolve('test/helpers/cli-entry.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The shell block under "## Try it", and the output each command's trailing `# comment` promises. */
function tryIt(): { script: string; promised: string[] } {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Try it'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!text.includes('## Try it') || !m) throw new Error(`${README}: no "## Try it" section with a sh code block`);
  const promised = m[1]
    .split('\n')
    .filter((l) => l.startsWith('driftless '))
    .map((l) => /#\s*(.+)$/.exec(l)?.[1].trim())
    .filter((c): c is string => !!c);
  return { script: m[1], promised };
}

describe('fixtures/postgres/README.md', () => {
  it('"Try it" runs as written: the example plans 17 creations', async () => {
    const { script, promised } = tryIt();
    expect(promised.length).toBeGreaterThan(0);
    // `driftless` on PATH runs this checkout's CLI from source; the block's `mktemp` lands in a dir of ours.
    const bin = tempDir('driftless-bin-');
    writeFileSync(join(bin, 'driftless'), `#!/bin/sh\nTMPDIR='${tmpdir()}' exec '${process.execPath}' --import '${TSX}' '${ENTRY}' "$@"\n`);
    chmodSync(join(bin, 'driftless'), 0o755);
    const scratch = tempDir('driftless-tryit-');
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      TMPDIR: scratch,
      DRIFTLESS_PG_URL: inject('pgUrl'),
      NO_COLOR: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@driftless.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@driftless.invalid',
    };
    const r = await run('sh', ['-e', '-c', script], { cwd: resolve('.'), env }).catch((err: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`the README's commands failed (exit ${err.code}):\n${err.stdout}\n${err.stderr}`);
    });
    for (const p of promised) expect(r.stdout).toContain(p);
    // The example became a repository of its own beside its config; nothing else was made.
    const [example] = readdirSync(scratch);
    expect(readdirSync(join(scratch, example)).sort()).toEqual(['.driftless', 'driftless.config.yaml', 'repo']);
  });
});
