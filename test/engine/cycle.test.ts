import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, tempDir, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

const SECRET = 's3cr3t-value-' + Math.random().toString(36).slice(2);

function setup(files: Record<string, string>) {
  const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, ...files });
  const dir = tempDir('driftless-cycle-');
  const root = join(dir, 'root');
  const config = join(dir, 'driftless.config.yaml');
  writeFileSync(
    config,
    `repo:\n  path: ${repo.dir}\n  name: infra\ntargets:\n  files: { provider: fs, root: ${root} }\nsecrets:\n  API_KEY: { fromEnv: TEST_API_KEY }\ndataDir: ${join(dir, 'data')}\n`,
  );
  const cli = (...args: string[]) => runCli(['--config', config, ...args], { env: { TEST_API_KEY: SECRET } });
  return { repo, dir, root, config, cli };
}

/** Every file under a directory, as text (to look for leaked secrets). */
function readAll(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out += readAll(p);
    else if (st.size < 50 * 1024 * 1024) out += readFileSync(p).toString('latin1');
  }
  return out;
}

describe('the whole cycle through the CLI: validate, plan, apply, drift, history', () => {
  it('plans, applies, gives an empty second plan, sees drift, repairs it, updates, replaces, deletes', async () => {
    const { repo, root, cli, dir } = setup({
      'stacks/web/site.yaml': [
        manifest('Directory', 'www', { path: 'www' }),
        manifest('File', 'index', { path: 'www/index.html', content: 'hello\n' }),
        manifest('File', 'sum', { path: 'www/index.sha256', content: '!ref File/index.outputs.sha256' }),
        manifest('File', 'key', { path: 'www/key', content: '!secret API_KEY', mode: '0600' }),
        manifest('Symlink', 'home', { path: 'www/home.html', target: 'index.html' }),
      ].join('---\n'),
    });

    expect((await cli('validate')).code).toBe(0);
    const v = await cli('validate', '--format', 'json');
    expect(JSON.parse(v.out)).toMatchObject({ valid: true, diagnostics: [] });

    const p1 = await cli('plan', '--detailed-exitcode');
    expect(p1.code).toBe(2);
    expect(p1.out).toContain('Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.');
    expect(p1.out).toContain('+ /spec/content = (known after apply)');
    expect(p1.out).toContain('+ /spec/content = (sensitive value)');

    const noTty = await cli('apply');
    expect(noTty.code).toBe(1);
    expect(noTty.err).toMatch(/needs confirmation/);

    const a1 = await cli('apply', '--auto-approve');
    expect(a1.code, a1.err).toBe(0);
    expect(a1.out).toMatch(/Apply succeeded for stack web \(run \d+\): 5 done, 0 failed, 0 skipped/);
    expect(readFileSync(join(root, 'www/index.html'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(root, 'www/index.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(root, 'www/key'), 'utf8')).toBe(SECRET);
    expect(statSync(join(root, 'www/key')).mode & 0o777).toBe(0o600);

    const p2 = await cli('plan', '--detailed-exitcode');
    expect(p2.code, p2.out).toBe(0);
    expect(p2.out).toContain('Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.');

    // Drift: edited content, changed mode, deleted symlink.
    writeFileSync(join(root, 'www/index.html'), 'tampered\n');
    chmodSync(join(root, 'www/key'), 0o644);
    rmSync(join(root, 'www/home.html'));
    const d = await cli('drift');
    expect(d.code).toBe(2);
    expect(d.out).toContain('~ File/index');
    expect(d.out).toContain('/spec/content: "hello\\n" -> "tampered\\n"');
    expect(d.out).toContain('/spec/mode: "0600" -> "0644"');
    expect(d.out).toContain('Symlink/home (deleted outside driftless)');
    const dj = JSON.parse((await cli('drift', '--format', 'json')).out);
    expect(dj.stacks[0].drift.map((x: { id: string }) => x.id)).toEqual(['File/index', 'File/key', 'Symlink/home']);

    const repair = await cli('apply', '--auto-approve');
    expect(repair.code, repair.err).toBe(0);
    expect(readFileSync(join(root, 'www/index.html'), 'utf8')).toBe('hello\n');
    expect((await cli('drift')).code).toBe(0);

    // Update in place, replace (path change), delete (manifest removed).
    repo.commit({
      'stacks/web/site.yaml': [
        manifest('Directory', 'www', { path: 'www' }),
        manifest('File', 'index', { path: 'www/index.html', content: 'hello again\n' }),
        manifest('File', 'sum', { path: 'www/index.sha256', content: '!ref File/index.outputs.sha256' }),
        manifest('File', 'key', { path: 'www/secret.key', content: '!secret API_KEY', mode: '0600' }),
      ].join('---\n'),
    });
    const p3 = await cli('plan');
    expect(p3.out).toContain('Plan: 0 to create, 2 to update, 1 to replace, 1 to delete.');
    expect(p3.out).toContain('-/+ File/key (replace: /spec/path cannot change in place)');
    expect(p3.out).toMatch(/~ \/spec\/content: "[0-9a-f]{64}" -> \(known after apply\)/);
    const a3 = await cli('apply', '--auto-approve');
    expect(a3.code, a3.err).toBe(0);
    expect(existsSync(join(root, 'www/key'))).toBe(false);
    expect(readFileSync(join(root, 'www/secret.key'), 'utf8')).toBe(SECRET);
    expect(existsSync(join(root, 'www/home.html'))).toBe(false);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);

    const h = await cli('history');
    expect(h.out).toMatch(/#\d+ .* web {2}apply {2}succeeded {2}commit [0-9a-f]{12} {2}trigger: cli/);
    expect(h.out).toContain('Plan: 0 to create, 2 to update, 1 to replace, 1 to delete.');
    expect(h.out).toContain('drifted');
    const hj = JSON.parse((await cli('history', '--format', 'json')).out);
    expect(hj.runs.length).toBeGreaterThanOrEqual(4);

    // The secret is nowhere: not in any output, plan JSON, or the state on disk.
    const outputs = [p1, a1, p2, d, repair, p3, a3, h].map((r) => r.out + r.err).join('\n');
    expect(outputs).not.toContain(SECRET);
    expect((await cli('plan', '--format', 'json')).out).not.toContain(SECRET);
    expect(readAll(join(dir, 'data'))).not.toContain(SECRET);
  });

  it('refuses to delete a protected resource, or every resource of a stack', async () => {
    const { repo, cli, root } = setup({
      'stacks/web/a.yaml':
        manifest('File', 'keep', { path: 'keep.txt', content: 'k' }, { protect: true }) +
        '---\n' +
        manifest('File', 'other', { path: 'other.txt', content: 'o' }),
    });
    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    repo.commit({ 'stacks/web/a.yaml': manifest('File', 'other', { path: 'other.txt', content: 'o' }) });
    const r = await cli('apply', '--auto-approve');
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('File/keep is protected and would be deleted; set metadata.protect: false in a commit before removing it');
    expect(existsSync(join(root, 'keep.txt'))).toBe(true);

    repo.commit({
      'stacks/web/a.yaml':
        manifest('File', 'keep', { path: 'keep.txt', content: 'k' }) + '---\n' + manifest('File', 'other', { path: 'other.txt', content: 'o' }),
    });
    expect((await cli('apply', '--auto-approve')).code).toBe(0); // protect now recorded false
    repo.commit({ 'stacks/web/a.yaml': null, 'stacks/web/README.md': 'empty' });
    const all = await cli('apply', '--auto-approve');
    expect(all.code).toBe(1);
    expect(all.out + all.err).toContain('this plan would delete every resource of stack web (2); refused. If that is intended, apply with --allow-delete-all');
    expect(existsSync(join(root, 'other.txt'))).toBe(true);
    const forced = await cli('apply', '--auto-approve', '--allow-delete-all');
    expect(forced.code, forced.err).toBe(0);
    expect(existsSync(join(root, 'other.txt'))).toBe(false);
  });

  it('applies a saved plan only while it still matches; asks on a TTY', async () => {
    const { repo, cli, dir, root } = setup({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'one' }) });
    const planFile = join(dir, 'plan.json');
    const p = await cli('plan', '--out', planFile);
    expect(p.code).toBe(0);
    const saved = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(saved).toMatchObject({ formatVersion: 1, repo: 'infra', stack: 'web', stateSerial: 0, summary: { create: 1 } });
    expect(saved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Same inputs, same bytes.
    await cli('plan', '--out', planFile + '.2');
    expect(readFileSync(planFile + '.2', 'utf8')).toBe(readFileSync(planFile, 'utf8'));

    expect((await cli('apply', '--plan', planFile)).code).toBe(0);
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('one');
    const stale = await cli('apply', '--plan', planFile);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/differs from the reviewed plan|state serial/);

    repo.commit({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'two' }) });
    const no = await runCli(['--config', join(dir, 'driftless.config.yaml'), 'apply'], { tty: true, answer: 'no', env: { TEST_API_KEY: SECRET } });
    expect(no.code).toBe(1);
    expect(no.err).toContain('not applied: cancelled');
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('one');
    const yes = await runCli(['--config', join(dir, 'driftless.config.yaml'), 'apply'], { tty: true, answer: 'yes', env: { TEST_API_KEY: SECRET } });
    expect(yes.code, yes.err).toBe(0);
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('two');
  });

  it('plans at any ref and with --no-refresh; markdown and json renderings', async () => {
    const { repo, cli } = setup({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'one' }) });
    const first = repo.head();
    repo.commit({ 'stacks/web/b.yaml': manifest('File', 'b', { path: 'b.txt', content: 'two' }) });
    expect((await cli('plan', '--ref', first)).out).toContain('Plan: 1 to create');
    expect((await cli('plan')).out).toContain('Plan: 2 to create');
    const md = await cli('plan', '--format', 'markdown', '--no-refresh');
    expect(md.out).toContain('### 📝 Stack `web`');
    expect(md.out).toContain('```diff');
    const js = JSON.parse((await cli('plan', '--format', 'json', '--stack', 'web')).out);
    expect(js.changes.map((c: { id: string }) => c.id)).toEqual(['File/a', 'File/b']);
    const unknown = await cli('plan', '--stack', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no stack named nope in driftless.yaml (stacks: web)');
  });

  it('reports a missing secret as a plan error instead of applying', async () => {
    const { cli } = setup({ 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: '!secret NOT_LISTED' }) });
    const r = await cli('apply', '--auto-approve');
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('secret NOT_LISTED is not available: list it under "secrets" in the server config');
  });
});
