import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig, ConfigError } from '../../src/config/server-config.js';
import { checkTargets, targetProblems } from '../../src/config/targets.js';
import { loadProviders } from '../../src/providers/registry.js';
import { SecretValue } from '../../src/sdk/secret-value.js';
import type { Provider } from '../../src/sdk/provider.js';
import { TestRepo, tempDir, manifest, FS_REPO_CONFIG } from '../helpers/git.js';
import { runCli } from '../helpers/cli.js';

/** Write a server config into a fresh directory; returns its path. */
function configFile(body: string): string {
  const dir = tempDir('driftless-config-');
  const file = join(dir, 'driftless.config.yaml');
  writeFileSync(file, body);
  return file;
}

/** Load a config file and check its targets against the built-in providers; the ConfigError's message, or the targets. */
async function check(body: string, env: NodeJS.ProcessEnv = {}) {
  const file = configFile(body);
  const config = loadServerConfig(file, { env });
  try {
    return { file, targets: checkTargets(config, await loadProviders()) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { file, error: err.message };
  }
}

describe('server config: targets are checked against their provider when the providers are known', () => {
  it('reports a misspelt setting at its key and the missing one at the target', async () => {
    const { file, error } = await check('dataDir: data\ntargets:\n  web: { provider: fs, rot: /srv }\n');
    expect(error).toBe([`${file}:3:8: targets.web.root: is required`, `${file}:3:24: targets.web.rot: unknown property`].join('\n'));
  });

  it('reports every bad target, block style too, sorted by position', async () => {
    const { file, error } = await check(
      'targets:\n  db:\n    provider: postgres\n    url: 5432\n    pool: 4\n  files:\n    provider: fs\n    root: /srv\n    mode: "0755"\n',
    );
    expect(error).toBe(
      [
        `${file}:4:10: targets.db.url: must be string`,
        `${file}:5:5: targets.db.pool: unknown property`,
        `${file}:9:5: targets.files.mode: unknown property`,
      ].join('\n'),
    );
  });

  it('reports an unknown provider at its provider: value, listing the known ones', async () => {
    const { file, error } = await check('targets:\n  web:\n    provider: fss\n    root: /srv\n');
    expect(error).toBe(`${file}:3:15: targets.web.provider: unknown provider "fss" (known: fs, postgres, host)`);
  });

  it('checks a { fromEnv } setting as the text it reads, never printing it', async () => {
    const ok = await check('targets:\n  db: { provider: postgres, url: { fromEnv: PG_URL } }\n', { PG_URL: 'postgres://u:pw@db/x' });
    expect(ok.targets!.db!.url).toBeInstanceOf(SecretValue);
    const empty = await check('targets:\n  db: { provider: postgres, url: { fromEnv: PG_URL } }\n', { PG_URL: '' });
    expect(empty.error).toBe(`${empty.file}:2:34: targets.db.url: must NOT have fewer than 1 characters`);
  });

  it('resolves the settings a provider declares as paths against the config file, and only those', async () => {
    const { file, targets } = await check('targets:\n  web: { provider: fs, root: srv/web }\n  abs: { provider: fs, root: /srv/abs }\n');
    const dir = join(file, '..');
    expect(targets!.web).toEqual({ name: 'web', provider: 'fs', root: join(dir, 'srv/web') });
    expect(targets!.abs!.root).toBe('/srv/abs');
    const loaded = loadServerConfig(file);
    expect(loaded.targets.web!.root).toBe('srv/web'); // the config loader names no provider's settings
  });

  it('accepts any settings of a provider without a targetSchema, unchanged', async () => {
    const thirdParty: Provider = { name: 'acme', group: 'acme.dev', versions: ['v1'], kinds: {}, connect: async () => Promise.reject(new Error('unused')) };
    const targets = { w: { name: 'w', provider: 'acme', root: 'rel', anything: { nested: true } } };
    expect(targetProblems(targets, [thirdParty])).toEqual([]);
    expect(checkTargets({ ...loadServerConfig(configFile('{}\n')), targets }, [thirdParty])).toEqual(targets);
  });

  it('says "server config" when the config was built in code', () => {
    const config = { ...loadServerConfig(configFile('{}\n')), file: null, targets: { w: { name: 'w', provider: 'fs' } } };
    expect(() => checkTargets(config, [{ name: 'fs', targetSchema: { type: 'object', required: ['root'] } }])).toThrow(
      'server config: targets.w.root: is required',
    );
  });

  it('driftless validate stops at a target typo in the server config, at its line:col; fixed, a relative root is under the config file', async () => {
    const repo = TestRepo.create({ 'driftless.yaml': FS_REPO_CONFIG, 'stacks/web/a.yaml': manifest('File', 'a', { path: 'a.txt', content: 'x' }) });
    const dir = tempDir('driftless-config-');
    mkdirSync(join(dir, 'root'));
    const file = join(dir, 'driftless.config.yaml');
    writeFileSync(file, `repo: { path: ${repo.dir} }\ntargets:\n  files:\n    provider: fs\n    rot: root\ndataDir: data\n`);
    const r = await runCli(['--config', file, 'validate']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:5:5: targets.files.rot: unknown property`);
    writeFileSync(file, `repo: { path: ${repo.dir} }\ntargets:\n  files:\n    provider: fs\n    root: root\ndataDir: data\n`);
    const ok = await runCli(['--config', file, 'validate']);
    expect(ok.code, ok.err).toBe(0);
    const applied = await runCli(['--config', file, 'apply', '--auto-approve']);
    expect(applied.code, applied.err).toBe(0);
    expect(readFileSync(join(dir, 'root', 'a.txt'), 'utf8')).toBe('x'); // root: relative to the config file, not the cwd
    repo.remove();
  });
});
