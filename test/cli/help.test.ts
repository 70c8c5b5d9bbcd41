import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/args.js';
import { runCli } from '../helpers/cli.js';
import { runsOnce } from '../../src/cli/main.js';

/** Every command has its own --help: what it does and only the options it takes, each described. */
describe('driftless <command> --help', () => {
  it('prints the command, its options and the common ones; exit 0', async () => {
    for (const command of COMMANDS.filter((c) => c !== 'help')) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.out.startsWith(`driftless ${command}: `)).toBe(true);
      expect(r.out).toContain('--config FILE');
      // every option line has its description (none is a bare --name)
      for (const l of r.out.split('\n').filter((x) => x.startsWith('  --'))) expect(l.trim()).toMatch(/^--\S+( \S+)?\s{2,}\S/);
    }
    const plan = (await runCli(['plan', '--help'])).out;
    expect(plan).toContain('--detailed-exitcode');
    expect(plan).not.toContain('--remediate');
    expect((await runCli(['drift', '-h'])).out).toContain('--remediate');
  });

  it('without a command, --help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS.filter((x) => x !== 'help')) expect(r.out).toContain(`  ${c} `);
  });
});

/** The process entry sizes V8's heap for a command that runs once (bin/driftless.js); the service keeps V8's defaults. */
describe('which command lines run once', () => {
  it('every command but serve, and a command line in error', () => {
    expect(runsOnce(['serve'])).toBe(false);
    expect(runsOnce(['serve', '--demo'])).toBe(false);
    expect(runsOnce(['plan', '--stack', 'serve'])).toBe(true);
    expect(runsOnce(['plan', '--no-refresh'])).toBe(true);
    expect(runsOnce(['validate'])).toBe(true);
    expect(runsOnce(['serve', '--bogus'])).toBe(true);
    expect(runsOnce([])).toBe(true);
  });
});
