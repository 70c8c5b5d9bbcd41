import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../src/state/open.js';
import { migrations as core } from '../../src/state/migrations/index.js';
import { pgliteVersion, seedDataDir, usableTemplate, writeTemplate } from '../../src/state/template.js';
import { tempDir } from '../helpers/git.js';

const rec = {
  id: 'File/a',
  apiVersion: 'fs.driftless.dev/v1',
  kind: 'File',
  name: 'a',
  spec: { path: 'a' } as never,
  outputs: {},
  deps: [],
  protect: false,
};

describe('state template: a new embedded data dir without initdb', () => {
  let template: string;
  beforeAll(async () => {
    template = tempDir();
    expect(await writeTemplate(template)).toBe(true); // one initdb, here
  }, 240_000);

  it('is made once per PGlite version', async () => {
    expect(await writeTemplate(template)).toBe(false);
    expect(JSON.parse(readFileSync(join(template, 'pglite-data.json'), 'utf8')).pglite).toBe(pgliteVersion());
  });

  it('unpacks on the first open: migrations run, a write survives a close and a re-open', async () => {
    const dataDir = tempDir();
    const store = await openState({ dataDir, command: 'test', template });
    expect(store.db.started).toEqual({ from: 'template', template: join(template, 'pglite-data.tar.gz') });
    const versions = (await store.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
    expect(versions).toEqual(core.map((m) => m.version).sort((a, b) => a - b));
    const key = { repo: 'r', stack: 's' };
    expect(await store.putResource(key, rec)).toBe(1);
    await store.close();
    expect(existsSync(join(dataDir, 'state.unpacking'))).toBe(false);

    const again = await openState({ dataDir, command: 'test', template });
    try {
      expect(again.db.started).toEqual({ from: 'existing' });
      expect(await again.stackState(key)).toEqual({ serial: 1, appliedCommit: null });
      expect((await again.resources(key)).get('File/a')?.spec).toEqual({ path: 'a' });
      const sb = await again.db.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(sb.rows[0].shared_buffers).toBe('4MB');
    } finally {
      await again.close();
    }
  });

  it('is not used when it was made with another PGlite: initdb runs and says why', { timeout: 240_000 }, async () => {
    const other = tempDir();
    cpSync(template, other, { recursive: true });
    const metaFile = join(other, 'pglite-data.json');
    writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), pglite: '0.0.1' }));
    const store = await openState({ dataDir: tempDir(), command: 'test', template: other });
    try {
      expect(store.db.started).toEqual({ from: 'initdb', reason: expect.stringContaining(`made with PGlite 0.0.1, this is PGlite ${pgliteVersion()}`) });
      const key = { repo: 'r', stack: 's' };
      expect(await store.putResource(key, rec)).toBe(1);
      expect((await store.resources(key)).size).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('is not used when missing or not the archive its description names', () => {
    expect(usableTemplate(join(tempDir(), 'nothing'))).toEqual({ problem: expect.stringContaining('no state template in') });
    const cut = tempDir();
    cpSync(template, cut, { recursive: true });
    writeFileSync(join(cut, 'pglite-data.tar.gz'), readFileSync(join(template, 'pglite-data.tar.gz')).subarray(0, 1000));
    expect(usableTemplate(cut)).toEqual({ problem: expect.stringContaining('is not the archive pglite-data.json describes') });
  });

  it('leaves a data dir that holds files alone', async () => {
    const dir = join(tempDir(), 'state');
    mkdirSync(dir);
    writeFileSync(join(dir, 'something'), 'x');
    expect(await seedDataDir(dir, template)).toEqual({ from: 'initdb', reason: expect.stringContaining('is not empty but holds no data dir') });
    expect(readFileSync(join(dir, 'something'), 'utf8')).toBe('x');
  });
});
