import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { World, REPO_CONFIG, webFile, until, OAUTH_CLIENT_ID } from './harness.js';
import { ownDatabase } from '../helpers/own-database.js';
import type { RunningService } from '../../src/service.js';

const METRICS_TOKEN = `metrics-token-${Math.random().toString(36).slice(2, 12)}`;

interface Answer {
  status: number;
  location: string | null;
  cookies: string[];
  text: string;
}

async function get(url: string, cookies: string[] = [], headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', headers: { ...(cookies.length ? { cookie: cookies.join('; ') } : {}), ...headers } });
  return { status: res.status, location: res.headers.get('location'), cookies: res.headers.getSetCookie(), text: await res.text() };
}

/** `name=value` of a Set-Cookie that sets (not removes) the cookie, or null. */
function setCookie(a: Answer, name: string): string | null {
  const c = a.cookies.find((x) => x.startsWith(`${name}=`) && !/Max-Age=0(;|$)/.test(x));
  return c ? c.split(';')[0] : null;
}

/**
 * `dashboard.auth: github`: the OAuth web flow against the GitHub double, over two replicas sharing
 * one PostgreSQL. Requests are made by hand (no browser) so that every redirect and cookie is seen.
 */
describe('serve: dashboard login with GitHub', () => {
  const stateUrl = ownDatabase('driftless_login');
  let w: World;
  let a: RunningService;
  let b: RunningService;
  const pages: string[] = [];

  /** The whole login as a browser does it on `svc`, for the account signed in on GitHub: every answer on the way. */
  async function login(svc: RunningService, user: string, path = '/'): Promise<{ start: Answer; callback: Answer }> {
    w.gh.oauth!.signedIn = user;
    const start = await get(`${svc.url}${path}`);
    const stateCookie = setCookie(start, 'driftless_login')!;
    const authorize = await get(start.location!);
    expect(authorize.status).toBe(302);
    const callback = await get(authorize.location!, [stateCookie]);
    pages.push(start.text, callback.text);
    return { start, callback };
  }

  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n') }, { oauth: true, stateUrl: stateUrl() });
    w.extraConfig.push('  permissionCacheSeconds: 1', '  metricsToken: { fromEnv: TEST_METRICS_TOKEN }');
    w.writeConfig({ stateUrl: stateUrl() });
    process.env.TEST_METRICS_TOKEN = METRICS_TOKEN;
    [a, b] = await Promise.all([
      w.start({ stateUrl: stateUrl(), dataDir: join(w.root, 'replica-a') }),
      w.start({ stateUrl: stateUrl(), dataDir: join(w.root, 'replica-b') }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await w?.close();
    delete process.env.TEST_METRICS_TOKEN;
  });

  it('a page without a session leaves for GitHub with a state; the session made on A is accepted by B', async () => {
    const { start, callback } = await login(a, 'reader', '/queue');
    expect(start.status).toBe(302);
    const to = new URL(start.location!);
    expect(to.origin + to.pathname).toBe(`${new URL(w.gh.url).origin}/login/oauth/authorize`);
    expect(to.searchParams.get('client_id')).toBe(OAUTH_CLIENT_ID);
    expect(to.searchParams.get('redirect_uri')).toBe(`${a.url}/login/callback`);
    expect(to.searchParams.get('state')).toMatch(/^[\w-]{32}$/);
    expect(start.cookies.find((c) => c.startsWith('driftless_login='))).toMatch(/HttpOnly; SameSite=Lax/);
    // back from GitHub: a session cookie, and the page first asked for
    expect(callback.status).toBe(302);
    expect(callback.location).toBe('/queue');
    const session = setCookie(callback, 'driftless_session')!;
    expect(callback.cookies.find((c) => c.startsWith('driftless_session='))).toMatch(/Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax/);
    for (const path of ['/', '/queue', '/api/stacks']) {
      const page = await get(`${b.url}${path}`, [session]);
      pages.push(page.text);
      expect(page.status, path).toBe(200);
    }
    expect((await get(`${b.url}/api/stacks`, [session])).text).toContain('"name":"web"');
    // the exchange went as GitHub documents it, and the permission was asked with the service's token
    const exchange = w.gh.requests.find((r) => r.operationId === 'oauth/access-token')!;
    expect(Object.keys(exchange.body).sort()).toEqual(['client_id', 'client_secret', 'code', 'redirect_uri']);
    expect(w.gh.requests.some((r) => r.operationId === 'users/get-authenticated' && r.status === 200)).toBe(true);
    expect(w.gh.requests.filter((r) => r.operationId === 'repos/get-collaborator-permission-level').every((r) => r.status === 200)).toBe(true);
    expect(w.gh.rejected()).toEqual([]);
  });

  it('a tampered, foreign or missing cookie is not a session', async () => {
    const { callback } = await login(a, 'reader');
    const session = setCookie(callback, 'driftless_session')!;
    const [name, value] = session.split('=');
    const [body, mac] = value.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = `${name}=${Buffer.from(JSON.stringify({ ...claims, login: 'writer' })).toString('base64url')}.${mac}`;
    const expired = `${name}=${Buffer.from(JSON.stringify({ ...claims, exp: Date.now() - 1000 })).toString('base64url')}.${mac}`;
    for (const cookie of [[forged], [expired], [`${name}=${body}.${mac.slice(0, -2)}AA`], []]) {
      const api = await get(`${b.url}/api/stacks`, cookie);
      expect(api.status).toBe(302);
      expect(api.location).toContain('/login/oauth/authorize');
      // a live stream cannot follow the login page: it is told to log in
      expect((await get(`${b.url}/runs/1/events`, cookie, { accept: 'text/event-stream' })).status).toBe(401);
    }
  });

  it('a user without read permission gets a 403 page and no session', async () => {
    const { callback } = await login(b, 'mallory');
    expect(callback.status).toBe(403);
    expect(callback.text).toContain('mallory has no read permission');
    expect(setCookie(callback, 'driftless_session')).toBeNull();
    expect(w.logs.join('')).toContain('dashboard login refused: no read permission');
  });

  it('a callback whose state does not match the login started here is refused (CSRF)', async () => {
    w.gh.oauth!.signedIn = 'reader';
    const start = await get(`${a.url}/`);
    const stateCookie = setCookie(start, 'driftless_login')!;
    const to = new URL(start.location!);
    to.searchParams.set('state', 'an-attackers-state');
    const authorize = await get(to.toString());
    const mismatch = await get(authorize.location!, [stateCookie]);
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('state does not match');
    expect(setCookie(mismatch, 'driftless_session')).toBeNull();
    // an attacker's code pushed into a browser that started no login at all
    const pushed = await get((await get(start.location!)).location!);
    expect(pushed.status).toBe(400);
    expect(setCookie(pushed, 'driftless_session')).toBeNull();
  });

  it('a permission taken away ends the session once the cached answer expires', async () => {
    const { callback } = await login(a, 'reader');
    const session = setCookie(callback, 'driftless_session')!;
    expect((await get(`${a.url}/`, [session])).status).toBe(200);
    w.gh.permissions.delete('reader');
    try {
      const refused = await until('the revoked permission to be seen', async () => {
        const r = await get(`${a.url}/`, [session]);
        return r.status === 403 ? r : null;
      });
      expect(refused.cookies.some((c) => c.startsWith('driftless_session=;') && c.includes('Max-Age=0'))).toBe(true);
    } finally {
      w.gh.permissions.set('reader', 'read');
    }
  });

  it('health, webhooks and the stylesheet stay open; /metrics needs its bearer token', async () => {
    expect((await get(`${a.url}/healthz`)).status).toBe(200);
    expect((await get(`${a.url}/readyz`)).status).not.toBe(302);
    expect((await get(`${a.url}/assets/dashboard.css`)).status).toBe(200);
    expect((await fetch(`${a.url}/webhooks/github`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await get(`${a.url}/metrics`)).status).toBe(401);
    expect((await get(`${a.url}/metrics`, [], { authorization: 'Bearer wrong' })).status).toBe(401);
    const metrics = await get(`${a.url}/metrics`, [], { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('driftless_stack_status');
  });

  it('no secret, token or login code is in any page or log line', async () => {
    const tokens = [...w.gh.oauth!.userTokens.keys()];
    expect(tokens.length).toBeGreaterThan(3);
    const codes = w.gh.requests.filter((r) => r.operationId === 'oauth/access-token').map((r) => r.body.code as string);
    const logs = w.logs.join('');
    expect(logs).toContain('/login/callback');
    for (const s of [...w.secrets(), METRICS_TOKEN, ...tokens, ...codes]) {
      expect(logs.includes(s), `a log line holds ${s.slice(0, 8)}…`).toBe(false);
      expect(
        pages.some((p) => p.includes(s)),
        `a page holds ${s.slice(0, 8)}…`,
      ).toBe(false);
    }
  });
});
