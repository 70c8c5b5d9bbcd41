import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DashboardConfig } from '../config/server-config.js';
import type { ApplyPermission, ForgeLogin } from '../forge/forge.js';
import { html, layout, type PageContext } from './dashboard/html.js';
import { PermissionCache } from './permission-cache.js';
import { cookie, parseCookies, safeNext, seal, unseal } from './session.js';

export const SESSION_COOKIE = 'driftless_session';
const STATE_COOKIE = 'driftless_login';
/** How long a login may take between leaving for the forge and coming back. */
const STATE_TTL_MS = 10 * 60_000;

interface SessionPayload {
  login: string;
  id: number;
  exp: number;
}
interface StatePayload {
  state: string;
  next: string;
  exp: number;
}

/** Routes anyone may reach: health, the webhook (signed), the two static files, and the login itself. */
function isOpen(route: string | undefined): boolean {
  if (!route) return false;
  return (
    route === '/healthz' ||
    route === '/readyz' ||
    route === '/metrics' ||
    route.startsWith('/webhooks/') ||
    route.startsWith('/assets/') ||
    route === '/login/callback' ||
    route === '/logout'
  );
}

function sameSecret(given: string, want: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/**
 * Access to the service's HTTP side. `/metrics` needs a bearer token when `dashboard.metricsToken`
 * is set. With `dashboard.auth: github`, every page and `/api/*` needs a session: a signed cookie
 * (HMAC with `dashboard.sessionSecret`, so every replica accepts it) made after the forge's login
 * and a read-permission check, which is asked again once its cache entry expires. Installed on the
 * root instance so that every route, present or future, is behind it unless listed in `isOpen`.
 */
export function installAuth(
  app: FastifyInstance,
  o: { config: DashboardConfig; login?: ForgeLogin; readPermission?: (user: string) => Promise<ApplyPermission>; page: PageContext; log: Logger },
): void {
  const { config } = o;
  const metricsToken = config.metricsToken?.reveal();
  if (metricsToken) {
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url !== '/metrics') return;
      const [scheme, token] = (req.headers.authorization ?? '').split(' ');
      if (!/^bearer$/i.test(scheme ?? '') || !sameSecret(token ?? '', metricsToken))
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="driftless metrics"')
          .send({ error: 'GET /metrics needs Authorization: Bearer (dashboard.metricsToken)' });
    });
  }
  if (config.auth !== 'github') return;
  const login = o.login!;
  const key = config.sessionSecret!.reveal();
  const permissions = new PermissionCache(config.permissionCacheSeconds * 1000, o.readPermission!);
  const base = (req: FastifyRequest): string => config.url ?? `${req.protocol}://${req.host}`;
  const secure = (req: FastifyRequest): boolean => base(req).startsWith('https:');
  const redirectUri = (req: FastifyRequest): string => `${base(req)}/login/callback`;
  const page = (reply: FastifyReply, status: number, title: string, message: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(layout({ title, body: html`<h1>${title}</h1><p>${message}</p><p><a href="/">Log in again</a></p>`, ctx: o.page }));
  const clearSession = (reply: FastifyReply, req: FastifyRequest) =>
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', { path: '/', maxAgeS: 0, secure: secure(req) }));
  const refused = (reply: FastifyReply, req: FastifyRequest, user: string, role: string) => {
    clearSession(reply, req);
    return page(reply, 403, 'No access', `The GitHub account ${user} has no read permission on the repository (${role}).`);
  };

  /** Leave for the forge's login page, with a fresh state in a short-lived signed cookie (against CSRF). */
  const startLogin = (req: FastifyRequest, reply: FastifyReply) => {
    const state = randomBytes(24).toString('base64url');
    const value = seal<StatePayload>('login-state', { state, next: safeNext(req.url), exp: Date.now() + STATE_TTL_MS }, key);
    return reply
      .code(302)
      .header('cache-control', 'no-store')
      .header('set-cookie', cookie(STATE_COOKIE, value, { path: '/login', maxAgeS: STATE_TTL_MS / 1000, secure: secure(req) }))
      .redirect(login.authorizeUrl({ state, redirectUri: redirectUri(req) }));
  };

  app.addHook('onRequest', async (req, reply) => {
    if (isOpen(req.routeOptions.url)) return;
    const session = unseal<SessionPayload>('session', parseCookies(req.headers.cookie).get(SESSION_COOKIE), key, Date.now());
    if (!session) {
      // A live stream or a non-GET cannot follow the forge's login page: it is told to log in.
      if (req.method !== 'GET' || String(req.headers.accept ?? '').includes('text/event-stream'))
        return reply.code(401).send({ error: 'log in first (GET /)' });
      return startLogin(req, reply);
    }
    let perm: ApplyPermission;
    try {
      perm = await permissions.get(session.login);
    } catch (err) {
      o.log.warn({ user: session.login, err: (err as Error).message }, 'could not check a dashboard user’s permission');
      return page(reply, 503, 'Permission not checked', 'GitHub did not answer the permission check; try again in a moment.');
    }
    if (!perm.allowed) return refused(reply, req, session.login, perm.role);
  });

  // The query holds the one-time code and the state: the request log keeps only the path.
  const pathOnly = { req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0] }) };
  app.get('/login/callback', { logSerializers: pathOnly }, async (req, reply) => {
    const q = req.query as { code?: string; state?: string; error?: string };
    const cookies = parseCookies(req.headers.cookie);
    const started = unseal<StatePayload>('login-state', cookies.get(STATE_COOKIE), key, Date.now());
    reply.header('set-cookie', cookie(STATE_COOKIE, '', { path: '/login', maxAgeS: 0, secure: secure(req) }));
    if (q.error) return page(reply, 403, 'Login cancelled', `GitHub did not log you in (${q.error}).`);
    if (!started || !q.state || !sameSecret(q.state, started.state) || !q.code)
      return page(reply, 400, 'Login refused', 'This login did not start here, or took longer than 10 minutes (the state does not match).');
    let user: { login: string; id: number };
    let perm: ApplyPermission;
    try {
      user = await login.user(q.code, redirectUri(req));
      perm = await permissions.refresh(user.login);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'dashboard login failed');
      return page(reply, 502, 'Login failed', (err as Error).message);
    }
    if (!perm.allowed) {
      o.log.info({ user: user.login, role: perm.role }, 'dashboard login refused: no read permission');
      return refused(reply, req, user.login, perm.role);
    }
    const exp = Date.now() + config.sessionHours * 3600_000;
    const value = seal<SessionPayload>('session', { login: user.login, id: user.id, exp }, key);
    o.log.info({ user: user.login, role: perm.role }, 'dashboard login');
    return reply
      .header('set-cookie', cookie(SESSION_COOKIE, value, { path: '/', maxAgeS: config.sessionHours * 3600, secure: secure(req) }))
      .header('cache-control', 'no-store')
      .redirect(started.next);
  });

  app.get('/logout', async (req, reply) => {
    clearSession(reply, req);
    return page(reply, 200, 'Logged out', 'Your dashboard session has ended.');
  });
}
