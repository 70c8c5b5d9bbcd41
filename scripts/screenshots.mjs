#!/usr/bin/env node
// The README's screenshots of the dashboard (docs/overview.png, docs/run-live.png, docs/drift.png):
// the browser test (test/browser/dashboard.test.ts) saves its pages while it runs, in Debian's
// Chromium, against a real service with a run blocked on a real PostgreSQL lock.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(root, 'docs');
mkdirSync(docs, { recursive: true });
const r = spawnSync('npx', ['vitest', 'run', 'test/browser/dashboard.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DRIFTLESS_SCREENSHOTS: docs },
});
process.exit(r.status ?? 1);
