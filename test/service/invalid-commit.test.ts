import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { World, REPO_CONFIG, webFile, until, OWNER, REPO } from './harness.js';
import { pushPayload } from '../../testkit/webhooks.js';
import { tempDir } from '../helpers/git.js';

/** A commit refused as invalid is visible: a run with outcome `invalid` and its errors, in the API and a git note. */
describe('serve: a commit refused as invalid', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') });
    await w.start();
  });
  afterAll(async () => {
    await w.close();
  });

  it('is recorded as a run (API, stacks) with the errors at file:line:col, and a git note says why', async () => {
    const push = w.pushMain({ 'stacks/web/bad.yaml': 'apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: bad }\nspec: { path: 7 }\n' }, 'broken');
    await w.hook('push', pushPayload({ owner: OWNER, repo: REPO }, push));
    await until('an invalid run', async () => (await w.svc!.ctx.store.runs({ stack: 'web' })).find((r) => r.outcome === 'invalid'));
    await w.idle();
    const runs = (await (await fetch(`${w.url()}/api/runs?stack=web`)).json()) as { runs: { id: number; outcome: string; commit: string; error: string }[] };
    const run = runs.runs.find((r) => r.outcome === 'invalid')!;
    expect(run.commit).toBe(push.after);
    expect(run.error).toMatch(/stacks\/web\/bad\.yaml:4:\d+: File\/bad: .*path/);
    const stacks = (await (await fetch(`${w.url()}/api/stacks`)).json()) as { stacks: { name: string; lastRun: { outcome: string } | null }[] };
    expect(stacks.stacks.find((s) => s.name === 'web')!.lastRun?.outcome).toBe('invalid');
    await until('the note pushed', () => {
      try {
        return execFileSync('git', ['--git-dir', w.bare, 'notes', '--ref=driftless', 'show', push.after], { encoding: 'utf8' });
      } catch {
        return null;
      }
    });
    const clone = tempDir('driftless-clone-');
    execFileSync('git', ['clone', '-q', w.bare, clone]);
    execFileSync('git', ['fetch', '-q', 'origin', 'refs/notes/driftless:refs/notes/driftless'], { cwd: clone });
    const log = execFileSync('git', ['log', '--notes=driftless', '-1', push.after], { cwd: clone, encoding: 'utf8' });
    expect(log).toMatch(/driftless: stack web, run \d+, invalid/);
    expect(log).toContain('stacks/web/bad.yaml:4');
  });
});
