import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60000,
    hookTimeout: 120000,
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine. The files are
    // independent (each world has its own repositories, ports, data dirs and databases), so use both:
    // the whole suite went from 368 s to 264 s on an idle 2-core machine.
    maxWorkers: 2,
  },
});
