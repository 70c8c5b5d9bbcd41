import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig } from '../../src/config/server-config.js';
import { tempDir } from '../helpers/git.js';

function load(body: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(tempDir('driftless-config-'), 'driftless.config.yaml');
  writeFileSync(file, body);
  return { file, config: () => loadServerConfig(file, { env }) };
}

const GITHUB = 'github: { owner: acme, repo: infra, token: { fromEnv: T } }\n';
const KEY = 'a-session-key-of-at-least-32-characters';

describe('server config: dashboard', () => {
  it('defaults to no login, and reads GitHub login with its secrets as secrets', () => {
    expect(load('poll: off\n').config().dashboard).toMatchObject({ auth: 'none', sessionHours: 8, permissionCacheSeconds: 60 });
    const { config } = load(
      `${GITHUB}dashboard:\n  auth: github\n  url: https://dash.example.com/\n  oauth: { clientId: Ov23li1, clientSecret: { fromEnv: CS } }\n  sessionSecret: { fromEnv: SK }\n`,
      { T: 't', CS: 'client-secret', SK: KEY },
    );
    const d = config().dashboard!;
    expect(d.url).toBe('https://dash.example.com');
    expect(d.oauth!.webUrl).toBe('https://github.com');
    expect(d.oauth!.clientSecret.reveal()).toBe('client-secret');
    expect(JSON.stringify(d)).not.toContain('client-secret');
    expect(JSON.stringify(d)).not.toContain(KEY);
  });

  it('says where GitHub login lacks what it needs', () => {
    const missing = load('dashboard:\n  auth: github\n');
    expect(missing.config).toThrow(`${missing.file}:2:3: dashboard.oauth: is required`);
    const noGithub = load(`dashboard:\n  auth: github\n  oauth: { clientId: x, clientSecret: y }\n  sessionSecret: ${KEY}\n`);
    expect(noGithub.config).toThrow(`${noGithub.file}:2:9: dashboard.auth: GitHub login needs the github section`);
    const short = load(`${GITHUB}dashboard:\n  auth: github\n  oauth: { clientId: x, clientSecret: y }\n  sessionSecret: short\n`, { T: 't' });
    expect(short.config).toThrow(`${short.file}:5:18: dashboard.sessionSecret: the session secret must be at least 32 characters`);
  });
});
