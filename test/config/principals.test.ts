import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { parsePrincipal, principalLabel } from '../../src/reconcile/owners.js';
import { tempDir } from '../helpers/git.js';

function load(body: string): { file: string; error?: string; owners?: string[] } {
  const file = join(tempDir('driftless-config-'), 'driftless.config.yaml');
  writeFileSync(file, body);
  try {
    return { file, owners: loadServerConfig(file, { env: {} }).policy?.owners };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { file, error: err.message };
  }
}

describe('policy owners and approvers: users and teams', () => {
  it('reads @login and @org/team, case-insensitively', () => {
    expect(parsePrincipal('@Ada')).toEqual({ kind: 'user', login: 'ada' });
    expect(parsePrincipal('@Acme/SRE-team')).toEqual({ kind: 'team', org: 'acme', team: 'sre-team' });
    expect(principalLabel(parsePrincipal('@acme/security')!)).toBe('@acme/security');
    for (const bad of ['ada', '@', '@-ada', '@acme/', '@acme/sre/x', '@ac me', 'acme/sre']) expect(parsePrincipal(bad)).toBeNull();
  });

  it('a config with teams loads', () => {
    const r = load('policy:\n  owners: ["@acme/security", "@sec"]\nrequirements:\n  - stacks: ["prod-*"]\n    approvals: { count: 2, from: ["@acme/sre"] }\n');
    expect(r.error).toBeUndefined();
    expect(r.owners).toEqual(['@acme/security', '@sec']);
  });

  it('a malformed owner or approver is refused at its place in the server config', () => {
    const r = load(
      [
        'policy:',
        '  owners:',
        '    - "@acme/security"',
        '    - acme/sre',
        'requirements:',
        '  - stacks: ["prod-*"]',
        '    approvals: { count: 1, from: ["@ada", "@acme//sre"] }',
        '',
      ].join('\n'),
    );
    expect(r.error).toBe(
      [
        `${r.file}:4:7: policy.owners.1: must be a GitHub user (@login) or team (@org/team-slug)`,
        `${r.file}:7:43: requirements.0.approvals.from.1: must be a GitHub user (@login) or team (@org/team-slug)`,
      ].join('\n'),
    );
  });
});
