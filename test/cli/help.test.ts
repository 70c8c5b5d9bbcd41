import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/args.js';
import { runCli } from '../helpers/cli.js';
import { heapFlags } from '../../src/cli/heap.js';

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

/** The process entry sizes V8's heap for a command that only reads (bin/driftless.js); the others keep V8's defaults. */
describe("V8's heap flags for a command line", () => {
  it('a small young generation and old space growth by half for a command that only reads; none for one that writes, or the service', () => {
    const small = ['--semi-space-growth-factor=1', '--heap-growing-percent=50'];
    for (const c of [
      ['plan', '--stack', 'serve'],
      ['plan', '--no-refresh'],
      ['validate'],
      ['drift'],
      ['graph'],
      ['history'],
      ['policy', 'test'],
      ['--help'],
      [],
    ])
      expect(heapFlags(c), c.join(' ')).toEqual(small);
    for (const c of [['serve'], ['serve', '--demo'], ['apply', '--auto-approve'], ['adopt'], ['rollback'], ['demo'], ['drift', '--remediate']])
      expect(heapFlags(c), c.join(' ')).toEqual([]);
    expect(heapFlags(['serve', '--bogus'])).toEqual(small); // a usage error
  });
});
