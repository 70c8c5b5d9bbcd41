import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_EDIT } from '../../src/cli/commands/serve.js';
import { ensureDemoRepo } from '../../src/cli/demo-setup.js';
import { tempDir } from '../helpers/git.js';

/** The edit printed by `npm start` must work on every start, not only the first. */
describe('the demo banner', () => {
  it('suggests an edit that commits a change every time it is run', async () => {
    const { path } = await ensureDemoRepo(tempDir('driftless-demo-'));
    const env = { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
    const heads: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const c of DEMO_EDIT) execFileSync('bash', ['-c', c], { cwd: path, env });
      heads.push(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path, encoding: 'utf8' }).trim());
    }
    expect(new Set(heads).size).toBe(3);
    expect(readFileSync(join(path, 'stacks/web/site.yaml'), 'utf8')).toMatch(/<h1>Hello from driftless, \d\d:\d\d:\d\d\.\d+\.<\/h1>/);
  });
});
