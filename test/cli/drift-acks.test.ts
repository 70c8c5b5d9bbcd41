import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownDatabase } from '../helpers/own-database.js';
import { runCli } from '../helpers/cli.js';
import { TestRepo, manifest, tempDir } from '../helpers/git.js';

const stateUrl = ownDatabase('driftless_acks');

/** A day relative to today (UTC), YYYY-MM-DD: the CLI judges acks by the system clock. */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('driftless drift with .driftless/acks.yaml', () => {
  it('shows acknowledged drift apart, exits 0 when all drift is acknowledged, and reports a lapsed ack', async () => {
    const until = day(30);
    const lapsedOn = day(-1);
    const repo = TestRepo.create({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: .\n    targets:\n      fs: files\n',
      'files.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a', mode: '0644' }),
      '.driftless/acks.yaml':
        `acks:\n  - resource: web:File/a\n    fields: [/spec/content]\n    reason: incident 231\n    owner: "@ada"\n    expires: ${until}\n` +
        `  - resource: web:File/a\n    fields: [/spec/mode]\n    reason: old one\n    owner: "@bob"\n    expires: ${lapsedOn}\n`,
    });
    const dir = tempDir('driftless-acks-');
    const root = join(dir, 'root');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo: { path: ${repo.dir}, name: drift-acks }\ntargets:\n  files: { provider: fs, root: ${root} }\nstate: { url: "${stateUrl()}" }\ndataDir: ${join(dir, 'data')}\n`,
    );
    const cli = (args: string[]) => runCli(['--config', config, ...args]);

    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    writeFileSync(join(root, 'a.txt'), 'hotfix');
    const acked = await cli(['drift']);
    expect([acked.code, acked.out]).toEqual([
      0,
      `web: no drift but acknowledged drift in 1 resource:\n  = File/a /spec/content: acknowledged by @ada until ${until} (incident 231)\n`,
    ]);
    expect(acked.err).toContain(`warning: .driftless/acks.yaml:11:14: acks.1: the acknowledgement of web:File/a expired on ${lapsedOn}; remove it or renew it`);

    chmodSync(join(root, 'a.txt'), 0o600);
    const outside = await cli(['drift']);
    expect(outside.code).toBe(2);
    expect(outside.out).toContain(
      ['web: drift in 1 resource:', `  ! acknowledgement by @bob (old one) lapsed on ${lapsedOn}: File/a /spec/mode alarms again`, '  ~ File/a'].join('\n'),
    );
    expect(outside.out).toContain(`  acknowledged (not remediated):\n  = File/a /spec/content: acknowledged by @ada until ${until} (incident 231)\n`);
    const json = JSON.parse((await cli(['drift', '--format', 'json'])).out) as {
      stacks: { drift: { id: string; diff: { path: string }[] }[]; acknowledged: { id: string; diff: { path: string }[] }[] }[];
    };
    expect(json.stacks[0].drift.map((d) => [d.id, d.diff.map((e) => e.path)])).toEqual([['File/a', ['/spec/mode']]]);
    expect(json.stacks[0].acknowledged.map((d) => [d.id, d.diff.map((e) => e.path)])).toEqual([['File/a', ['/spec/content']]]);

    // Remediation repairs nothing the acks cover: File/a has acknowledged drift, so it is left alone.
    const rem = await cli(['drift', '--remediate']);
    expect(rem.out).toContain('not remediated (they also have acknowledged drift): File/a');
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('hotfix');
  });
});

describe('driftless validate checks .driftless/acks.yaml', () => {
  it('reports an ack of a resource that does not exist, and one too far ahead, at their lines; plan is not blocked', async () => {
    const repo = TestRepo.create({
      'driftless.yaml': 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets:\n      fs: files\n',
      'stacks/web/files.yaml': manifest('File', 'a', { path: 'a.txt', content: 'a' }),
      '.driftless/acks.yaml':
        `acks:\n  - { resource: "web:File/a", reason: ok, owner: "@ada", expires: ${day(10)} }\n` +
        `  - { resource: "web:File/nope", reason: typo, owner: "@ada", expires: ${day(10)} }\n` +
        `  - { resource: "web:File/a", reason: long, owner: "@ada", expires: ${day(400)} }\n`,
    });
    const dir = tempDir('driftless-acks-validate-');
    const config = join(dir, 'driftless.config.yaml');
    writeFileSync(
      config,
      `repo: { path: ${repo.dir}, name: acks-validate }\ntargets:\n  files: { provider: fs, root: ${join(dir, 'root')} }\nstate: { url: "${stateUrl()}" }\ndataDir: ${join(dir, 'data')}\n`,
    );
    const cli = (args: string[]) => runCli(['--config', config, ...args]);
    const v = await cli(['validate']);
    expect(v.code).toBe(1);
    expect(v.err).toContain('error: .driftless/acks.yaml:3:5: web:File/nope: stack web declares no resource File/nope\n');
    expect(v.err).toContain(
      `error: .driftless/acks.yaml:4:69: acks.2.expires: ${day(400)} is 400 days ahead; at most 90 are allowed (server config acks.maxDays)\n`,
    );
    expect(v.err).toContain('2 errors.');
    // The server config may allow more days.
    writeFileSync(config, `${readFileSync(config, 'utf8')}acks: { maxDays: 400 }\n`);
    expect((await cli(['validate'])).err).not.toContain('days ahead');
    expect((await cli(['plan'])).code).toBe(0);
  });
});
