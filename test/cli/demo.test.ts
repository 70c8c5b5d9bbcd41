import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { tempDir } from '../helpers/git.js';

/** `driftless demo` on one terminal (stdout and stderr together): each stack's plan comes before its apply. */
describe('driftless demo', () => {
  it('prints the plan of each stack before applying it', async () => {
    const terminal = new PassThrough();
    let screen = '';
    terminal.on('data', (c) => (screen += c));
    const io: Io = { out: terminal, err: terminal, stdinIsTTY: false, env: { ...process.env, NO_COLOR: '1' }, ask: async () => '' };
    const code = await main(['demo', '--data-dir', tempDir('driftless-demo-')], io);
    expect(code, screen).toBe(0);
    for (const stack of ['ops', 'web']) {
      const plan = screen.indexOf(`Stack ${stack} at`);
      expect(plan).toBeGreaterThanOrEqual(0);
      const summary = screen.indexOf('Plan:', plan);
      const firstStep = screen.indexOf(': create ...', plan);
      expect(firstStep).toBeGreaterThan(summary);
      expect(screen.indexOf('Applied: succeeded', plan)).toBeGreaterThan(firstStep);
    }
    expect(screen).toContain('History:');
  });
});
