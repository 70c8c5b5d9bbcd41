import cron from 'node-cron';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../src/manifests/repo-config.js';
import type { ServiceContext } from '../../src/reconcile/context.js';
import { Scheduler } from '../../src/reconcile/scheduler.js';

const source = 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets: { fs: files }\n    drift:\n      schedule: "0 3 * * *"\n';
const driftTasks = () => [...cron.getTasks().values()].filter((t) => t.name === 'driftless-drift-web');

describe('scheduler', () => {
  it('follows drift schedules until stopped, and schedules nothing after (a job finishing during shutdown)', async () => {
    const { config } = parseRepoConfig(source);
    const s = new Scheduler({ log: pino({ level: 'silent' }) } as unknown as ServiceContext, 'off');
    s.updateDrift(config!, source);
    expect(driftTasks()).toHaveLength(1);
    await s.stop();
    expect(driftTasks()).toHaveLength(0);
    s.updateDrift(config!, source);
    expect(driftTasks()).toHaveLength(0);
  });
});
