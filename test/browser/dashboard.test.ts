import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'puppeteer-core';
import { World, until } from '../service/harness.js';
import { manifest } from '../helpers/git.js';
import { ownDatabase } from '../helpers/own-database.js';
import { uniquePrefix } from '../helpers/postgres-server.js';
import { launchBrowser, problems, axeViolations } from '../helpers/browser.js';
import type { RunningService } from '../../src/service.js';
import { driftJob } from '../../src/reconcile/jobs/specs.js';

/** `DRIFTLESS_SCREENSHOTS=DIR` (scripts/screenshots.mjs): the pages are also saved as PNG there, for the README. */
const SHOTS = process.env.DRIFTLESS_SCREENSHOTS;
async function shot(p: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  await p.setViewport({ width: 1200, height: 760 });
  await p.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png` });
}

const SECRET = `browser-sekrit-${Math.random().toString(36).slice(2, 12)}`;
const P = uniquePrefix('dash');
const PG = 'postgres.driftless.dev/v1';
const CONFIG = 'version: 1\nstacks:\n  web:\n    path: stacks/web\n    targets: { fs: files, postgres: pg }\n    apply: auto\n';

/**
 * The dashboard in a real browser (Debian's Chromium through puppeteer-core), over two replicas
 * sharing one PostgreSQL. An apply runs on replica A and blocks on a real lock: two roles it creates
 * are being created, uncommitted, by another session. The browser is on replica B.
 */
/** A file's setup: Chromium's start (up to two tries of 60 s, see launchBrowser) and a service's. */
const BROWSER_SETUP_MS = 300_000;

describe('dashboard in a browser', () => {
  const stateUrl = ownDatabase('driftless_dash');
  let w: World;
  let a: RunningService;
  let b: RunningService;
  let browser: Browser;
  let admin: pg.Client;
  const blockers: pg.Client[] = [];
  let runId: number;
  let page: Page;
  let seen: string[];

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    w = await World.create({ 'driftless.yaml': CONFIG, 'README.md': 'x\n' }, { secrets: { APP_SECRET: SECRET }, stateUrl: stateUrl() });
    // a PostgreSQL target beside the files
    process.env.TEST_DASH_PG_URL = inject('pgUrl');
    writeFileSync(
      w.configFile(),
      readFileSync(w.configFile(), 'utf8').replace('targets:\n', 'targets:\n  pg: { provider: postgres, url: { fromEnv: TEST_DASH_PG_URL } }\n'),
    );
    a = await w.start({ stateUrl: stateUrl(), dataDir: join(w.root, 'replica-a') });
    w.openPr(1, {
      'stacks/web/site.yaml': [
        ...['f1', 'f2', 'f3'].map((n) => manifest('File', n, { path: `web/${n}.txt`, content: `${n}\n` })),
        manifest('File', 's', { path: 'web/s.txt', content: '!secret APP_SECRET' }),
        manifest('PostgresRole', 'r1', { name: `${P}_r1` }, {}, PG),
        manifest('PostgresRole', 'r2', { name: `${P}_r2` }, { dependsOn: ['PostgresRole/r1'] }, PG),
        manifest('File', 'after1', { path: 'web/after1.txt', content: 'a1\n' }, { dependsOn: ['PostgresRole/r2'] }),
        manifest('File', 'after2', { path: 'web/after2.txt', content: 'a2\n' }, { dependsOn: ['PostgresRole/r2'] }),
      ].join('---\n'),
    });
    await w.prOpened(1, 'opened', { svc: a });
    await until('plan', () => w.planComment(1), 60_000);
    await w.idle(a);
    // Two sessions create the roles the apply will create, and hold their transactions open.
    for (const r of ['r1', 'r2']) {
      const c = new pg.Client({ connectionString: inject('pgUrl') });
      await c.connect();
      await c.query('BEGIN');
      await c.query(`CREATE ROLE ${P}_${r}`);
      blockers.push(c);
    }
    const m = w.mergePr(1);
    await w.merged(1, m, { svc: a });
    const store = a.ctx.store;
    const running = await until(
      'the apply to block on role r1',
      async () => {
        const [run] = (await store.runs({ stack: 'web', kind: 'apply', outcome: 'running' })).filter((r) => r.pr === 1);
        if (!run) return null;
        const j = await store.journal(run.id);
        return j.some((e) => e.resourceId === 'PostgresRole/r1' && e.outcome === null) && j.filter((e) => e.outcome === 'ok').length >= 4 ? run : null;
      },
      60_000,
    );
    runId = running.id;
    // Replica B starts now: the job is A's (its lease is renewed), B only serves pages.
    b = await w.start({ stateUrl: stateUrl(), dataDir: join(w.root, 'replica-b') });
  }, BROWSER_SETUP_MS);
  afterAll(async () => {
    for (const c of blockers) await c.end().catch(() => undefined);
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
    await w?.close();
    await admin?.query(`DROP ROLE IF EXISTS ${P}_r1`).catch(() => undefined);
    await admin?.query(`DROP ROLE IF EXISTS ${P}_r2`).catch(() => undefined);
    await admin?.end();
  });

  const rows = (p: Page) =>
    p.evaluate(
      `[...document.querySelectorAll('#steps tbody tr')].map((tr) => tr.children[0].textContent + ':' + tr.children[2].textContent).sort()`,
    ) as Promise<string[]>;
  const status = (text: string) => `document.getElementById('live-status')?.textContent === ${JSON.stringify(text)}`;

  it("a browser on replica B follows replica A's run live, and after a forced reconnect shows what it missed", async () => {
    page = await browser.newPage();
    seen = problems(page);
    const res = await page.goto(`${b.url}/runs/${runId}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.evaluate('window.samePage = true');
    await page.waitForFunction(status('Live'), { timeout: 30_000 });
    expect(await rows(page)).toContain('PostgresRole/r1:running');
    // r1 is let through: it finishes and r2 starts, on the page without a reload
    await blockers[0].query('ROLLBACK');
    await page.waitForFunction(`[...document.querySelectorAll('#steps tbody tr')].some((tr) => tr.children[0].textContent === 'PostgresRole/r2')`, {
      timeout: 30_000,
    });
    expect(await rows(page)).toEqual(expect.arrayContaining(['PostgresRole/r1:ok', 'PostgresRole/r2:running']));
    await shot(page, 'run-live');
    // the browser loses the stream, and the run goes on and ends while it is away
    await page.setOfflineMode(true);
    b.app.server.closeAllConnections();
    await page.waitForFunction(status('Reconnecting…'), { timeout: 30_000 });
    await blockers[1].query('ROLLBACK');
    await until('the run to finish', async () => (await a.ctx.store.runs({ id: runId }))[0]?.outcome === 'succeeded', 60_000);
    expect(await rows(page)).not.toContain('File/after1:ok');
    await page.setOfflineMode(false);
    await page.waitForFunction(status('Run succeeded'), { timeout: 30_000 });
    expect(await page.evaluate('window.samePage')).toBe(true); // replayed by the stream, not a reload
    expect(await rows(page)).toEqual([
      'File/after1:ok',
      'File/after2:ok',
      'File/f1:ok',
      'File/f2:ok',
      'File/f3:ok',
      'File/s:ok',
      'PostgresRole/r1:ok',
      'PostgresRole/r2:ok',
    ]);
    // the stream cut on purpose is the only problem the page met
    expect(seen.filter((m) => !m.includes('ERR_INCOMPLETE_CHUNKED_ENCODING'))).toEqual([]);
    expect(await page.content()).not.toContain(SECRET);
    await page.close();
  });

  it('every page renders without console errors, has no serious accessibility violation, and holds no secret', async () => {
    await w.idle(a);
    // drift on the stack, found by a check on replica A
    writeFileSync(join(w.targetRoot, 'web/f1.txt'), 'changed by hand\n');
    writeFileSync(join(w.targetRoot, 'web/s.txt'), 'also changed by hand\n');
    await a.ctx.queue.enqueue([driftJob('web', 'browser-1')]);
    a.ctx.wake();
    await until('drift found', async () => (await a.ctx.store.runs({ stack: 'web', kind: 'drift' })).some((r) => r.outcome === 'drifted'), 60_000);
    const paths = ['/', '/stacks/web', `/runs/${runId}`, '/pulls/1', '/queue', '/stacks/web/resource?id=File%2Fs', '/stacks/web/resource?id=PostgresRole%2Fr1'];
    for (const path of paths) {
      const p = await browser.newPage();
      const found = problems(p);
      const res = await p.goto(`${b.url}${path}`, { waitUntil: 'load' });
      expect(res?.status(), path).toBe(200);
      expect(res?.headers()['content-security-policy'], path).toContain("default-src 'self'");
      expect(await axeViolations(p), path).toEqual([]);
      const text = await p.content();
      for (const s of [SECRET, ...w.secrets()]) expect(text.includes(s), `${path} holds a secret`).toBe(false);
      expect(found, path).toEqual([]);
      if (path === '/') {
        expect(text).toContain('s-drifted');
        await shot(p, 'overview');
      }
      if (path === '/stacks/web') {
        expect(text).toContain('changed by hand');
        expect(text).not.toContain('also changed by hand'); // the secret's file: its live content is masked too
        await shot(p, 'drift');
      }
      await p.close();
    }
  });
});

/** `dashboard.auth: github` in a real browser: the whole OAuth round trip through the GitHub double's pages. */
describe('dashboard login in a browser', () => {
  let w: World;
  let svc: RunningService;
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    // two stacks, one waiting for the other: the overview draws the workflow graph
    const config = `${CONFIG.replace(', postgres: pg', '')}  ops:\n    path: stacks/ops\n    targets: { fs: files }\n    dependsOn: [web]\n`;
    w = await World.create({ 'driftless.yaml': config, 'README.md': 'x\n' }, { oauth: true });
    svc = await w.start();
  }, BROWSER_SETUP_MS);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  /** A fresh browser profile (no cookies) whose GitHub account is `user`, sent to the overview. */
  async function visit(user: string) {
    w.gh.oauth!.signedIn = user;
    const context = await browser.createBrowserContext();
    const p = await context.newPage();
    const found = problems(p);
    const res = await p.goto(`${svc.url}/`, { waitUntil: 'load' });
    return { context, p, res, found, cookies: (await p.cookies(svc.url)).map((c) => c.name) };
  }

  it('the OAuth login is refused for a user without read permission', async () => {
    const { context, p, res, cookies } = await visit('mallory');
    expect(res?.status()).toBe(403);
    expect(new URL(p.url()).pathname).toBe('/login/callback');
    expect(await p.$eval('h1', (h) => h.textContent)).toBe('No access');
    expect(await p.$eval('main', (m) => m.textContent)).toContain('mallory has no read permission');
    expect(cookies).not.toContain('driftless_session');
    expect(await axeViolations(p)).toEqual([]);
    // and stays refused: a page asked for again goes back to GitHub and is refused again
    const again = await p.goto(`${svc.url}/stacks/web`, { waitUntil: 'load' });
    expect(again?.status()).toBe(403);
    await context.close();
  });

  it('a user with read permission reaches the overview, and stays logged in', async () => {
    const { context, p, res, found, cookies } = await visit('reader');
    expect(res?.status()).toBe(200);
    expect(new URL(p.url()).pathname).toBe('/');
    expect(await p.$eval('h1', (h) => h.textContent)).toBe('Stacks');
    expect(cookies).toContain('driftless_session');
    expect(await p.evaluate('document.cookie')).toBe('');
    // the workflow graph: drawn on the server, one node per stack, one arrow, named for screen readers
    expect(await p.$$eval('svg[role="img"] g.node', (gs) => gs.map((g) => g.getAttribute('data-stack')))).toEqual(['web', 'ops']);
    expect(await p.$$eval('svg path.edge', (ps) => ps.length)).toBe(1);
    expect(await p.$eval('#workflow-desc', (d) => d.textContent)).toBe('ops after web'); // HttpOnly: no script can read the session
    const before = w.gh.requests.filter((r) => r.operationId === 'oauth/authorize').length;
    const next = await p.goto(`${svc.url}/queue`, { waitUntil: 'load' });
    expect(next?.status()).toBe(200);
    expect(w.gh.requests.filter((r) => r.operationId === 'oauth/authorize')).toHaveLength(before);
    expect(found).toEqual([]);
    expect(await axeViolations(p)).toEqual([]);
    const text = await p.content();
    for (const s of w.secrets()) expect(text.includes(s)).toBe(false);
    expect(w.gh.rejected()).toEqual([]);
    await context.close();
  });
});
