import { randomBytes } from 'node:crypto';

/**
 * GitHub's OAuth web flow for the GitHub double (docs.github.com, "Authorizing OAuth apps"). These
 * endpoints live on the web host (github.com/login/oauth/*), not in the REST API's OpenAPI
 * description, so they are checked here by hand against the documentation:
 *
 * - `GET /login/oauth/authorize?client_id&redirect_uri&state&scope&login&allow_signup&prompt`: the
 *   user (the account signed in on "GitHub", `signedIn`) is sent back to `redirect_uri` with `code`
 *   and `state`. `redirect_uri` must have the callback URL's host and port and a path under its
 *   path; for a loopback callback (127.0.0.1) any port is accepted, as GitHub documents.
 * - `POST /login/oauth/access_token` with `client_id`, `client_secret`, `code` and `redirect_uri`
 *   (form, JSON body or query): `access_token`, `token_type`, `scope`, as JSON when asked
 *   (`Accept: application/json`), form-encoded otherwise. A refused exchange is answered 200 with
 *   `error`, `error_description` and `error_uri` (incorrect_client_credentials,
 *   redirect_uri_mismatch, bad_verification_code). A code is good once, for 10 minutes.
 */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** The app's registered callback URL. */
  callbackUrl: string;
}

export interface OAuthAnswer {
  status: number;
  operationId: string;
  headers: Record<string, string>;
  body: string;
  /** Why the double refused a request a correct client would not send. */
  refusal?: string;
}

const AUTHORIZE_PARAMS = new Set(['client_id', 'redirect_uri', 'login', 'scope', 'state', 'allow_signup', 'prompt']);
const TOKEN_PARAMS = new Set(['client_id', 'client_secret', 'code', 'redirect_uri', 'repository_id']);
const DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

export class OAuthDouble {
  /** The GitHub account signed in in the browser; null: nobody (the authorize page answers 401). */
  signedIn: string | null = null;
  /** Tokens handed out, to the login they belong to. */
  readonly userTokens = new Map<string, string>();
  /** Users' ids by login (made up on first sight). */
  readonly ids = new Map<string, number>();
  private readonly codes = new Map<string, { login: string; redirectUri: string; exp: number }>();

  constructor(readonly app: OAuthApp) {}

  idOf(login: string): number {
    if (!this.ids.has(login)) this.ids.set(login, 5000 + this.ids.size);
    return this.ids.get(login)!;
  }

  /** Whether GitHub would send a user back to `uri` for this app. */
  private redirectAllowed(uri: string): boolean {
    let u: URL;
    let cb: URL;
    try {
      u = new URL(uri);
      cb = new URL(this.app.callbackUrl);
    } catch {
      return false;
    }
    const loopback = cb.hostname === '127.0.0.1' || cb.hostname === '[::1]';
    const under = u.pathname === cb.pathname || u.pathname.startsWith(cb.pathname.endsWith('/') ? cb.pathname : `${cb.pathname}/`);
    return u.protocol === cb.protocol && u.hostname === cb.hostname && (loopback || u.port === cb.port) && under;
  }

  handle(method: string, u: URL, headers: Record<string, string | string[] | undefined>, raw: string): OAuthAnswer {
    if (u.pathname === '/login/oauth/authorize' && method === 'GET') return this.authorize(u.searchParams);
    if (u.pathname === '/login/oauth/access_token' && method === 'POST') {
      const type = String(headers['content-type'] ?? '');
      let params: URLSearchParams;
      if (type.startsWith('application/json')) {
        try {
          params = new URLSearchParams(Object.entries(JSON.parse(raw) as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]));
        } catch {
          return text(400, 'oauth/access-token', 'Problems parsing JSON', 'the body is not JSON');
        }
      } else if (!raw || type.startsWith('application/x-www-form-urlencoded')) params = new URLSearchParams(raw);
      else return text(415, 'oauth/access-token', 'Unsupported Media Type', `a body of type ${type}`);
      for (const [k, v] of u.searchParams) params.append(k, v);
      return this.token(params, String(headers.accept ?? ''));
    }
    return text(404, 'oauth/unknown', 'Not Found', `no OAuth endpoint ${method} ${u.pathname}`);
  }

  private authorize(q: URLSearchParams): OAuthAnswer {
    const op = 'oauth/authorize';
    const unknown = [...q.keys()].filter((k) => !AUTHORIZE_PARAMS.has(k));
    if (unknown.length) return text(422, op, 'Unprocessable', `unknown parameters ${unknown.join(', ')}`);
    if (q.get('client_id') !== this.app.clientId) return text(404, op, 'Not Found', `no OAuth app with client_id ${q.get('client_id')}`);
    const redirectUri = q.get('redirect_uri') ?? this.app.callbackUrl;
    if (!this.redirectAllowed(redirectUri)) return text(400, op, 'The redirect_uri is not associated with this application.', `redirect_uri ${redirectUri}`);
    if (!this.signedIn) return text(401, op, 'Sign in to GitHub to continue.');
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { login: this.signedIn, redirectUri, exp: Date.now() + 10 * 60_000 });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (q.has('state')) back.searchParams.set('state', q.get('state')!);
    return { status: 302, operationId: op, headers: { location: back.toString(), 'content-type': 'text/html; charset=utf-8' }, body: '' };
  }

  private token(p: URLSearchParams, accept: string): OAuthAnswer {
    const op = 'oauth/access-token';
    const unknown = [...p.keys()].filter((k) => !TOKEN_PARAMS.has(k));
    if (unknown.length) return text(422, op, 'Unprocessable', `unknown parameters ${unknown.join(', ')}`);
    const answer = (data: Record<string, string>): OAuthAnswer => ({
      status: 200,
      operationId: op,
      headers: { 'content-type': accept.includes('application/json') ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8' },
      body: accept.includes('application/json') ? JSON.stringify(data) : new URLSearchParams(data).toString(),
    });
    const error = (code: string, description: string) =>
      answer({ error: code, error_description: description, error_uri: `${DOCS}#${code.replace(/_/g, '-')}` });
    if (p.get('client_id') !== this.app.clientId || p.get('client_secret') !== this.app.clientSecret)
      return error('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    const grant = this.codes.get(p.get('code') ?? '');
    if (!grant || grant.exp < Date.now()) return error('bad_verification_code', 'The code passed is incorrect or expired.');
    if (p.has('redirect_uri') && p.get('redirect_uri') !== grant.redirectUri)
      return error('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    this.codes.delete(p.get('code')!);
    const token = `gho_${randomBytes(18).toString('hex')}`;
    this.userTokens.set(token, grant.login);
    return answer({ access_token: token, token_type: 'bearer', scope: '' });
  }
}

function text(status: number, operationId: string, message: string, refusal?: string): OAuthAnswer {
  return { status, operationId, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ message }), refusal };
}
