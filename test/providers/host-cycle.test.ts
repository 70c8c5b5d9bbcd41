import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootHosts, hostsUnavailable, type TestFleet } from '../../testkit/hosts.js';
import { hostManifest, hostWorld, inventory } from '../helpers/hosts.js';

const unavailable = hostsUnavailable();
if (unavailable) console.warn(`SKIPPING the host tests: ${unavailable}`);

describe.skipIf(!!unavailable)('the host provider on real Debian hosts', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await bootHosts(3, { prefix: 'web-' });
  }, 400_000);
  afterAll(async () => {
    await fleet?.stop();
  }, 120_000);

  it('plans, applies, plans nothing, sees drift and repairs it', async () => {
    const hosts = inventory(fleet, { 'web-1': ['web'], 'web-2': ['web'], 'web-3': ['web'] });
    const w = hostWorld(
      fleet,
      {
        'stacks/web/base.yaml': [
          hostManifest('Package', 'hello', { hosts: 'web', name: 'hello' }),
          hostManifest('File', 'motd', { hosts: 'all', path: '/etc/motd', template: 'hello from {{host.name}}\n' }),
        ].join('---\n'),
      },
      hosts,
    );
    const p1 = await w.cli('plan');
    expect(p1.code, p1.err).toBe(0);
    const a1 = await w.cli('apply', '--auto-approve');
    expect(a1.code, a1.err).toBe(0);
    const p2 = await w.cli('plan', '--detailed-exitcode');
    expect(p2.code, p2.out).toBe(0);
  }, 300_000);
});
