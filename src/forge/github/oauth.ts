import type { ForgeLogin, ForgeUser } from '../forge.js';
import type { SecretValue } from '../../sdk/secret-value.js';

/** How long one call to GitHub may take during a login. */
const TIMEOUT_MS = 15_000;

export class LoginError extends Error {
  override name = 'LoginError';
}

/**
 * GitHub's OAuth web flow (docs.github.com, "Authorizing OAuth apps"): the authorize page on the web
 * host, the code traded for a token at `POST /login/oauth/access_token`, and `GET /user` on the API
 * with that token. The token is asked for no scope (public user data only) and dropped after
 * `GET /user`. @octokit/oauth-methods does the same two calls; it is not a dependency of ours, and
 * two `fetch` calls are smaller than adding it.
 */
export class GitHubOAuth implements ForgeLogin {
  constructor(
    private readonly o: { webUrl: string; apiUrl: string; clientId: string; clientSecret: SecretValue },
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  authorizeUrl(p: { state: string; redirectUri: string }): string {
    const q = new URLSearchParams({ client_id: this.o.clientId, redirect_uri: p.redirectUri, state: p.state, allow_signup: 'false' });
    return `${this.o.webUrl}/login/oauth/authorize?${q}`;
  }

  async user(code: string, redirectUri: string): Promise<ForgeUser> {
    const res = await this.fetchFn(`${this.o.webUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'driftless' },
      body: new URLSearchParams({ client_id: this.o.clientId, client_secret: this.o.clientSecret.reveal(), code, redirect_uri: redirectUri }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    // GitHub answers 200 with `error` when it refuses the code (bad_verification_code, redirect_uri_mismatch...).
    const data = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !data.access_token) {
      throw new LoginError(
        `GitHub refused the login code: ${data.error ?? `HTTP ${res.status}`}${data.error_description ? ` (${data.error_description})` : ''}`,
      );
    }
    const me = await this.fetchFn(`${this.o.apiUrl}/user`, {
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${data.access_token}`,
        'user-agent': 'driftless',
        'x-github-api-version': '2022-11-28',
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const user = (await me.json().catch(() => ({}))) as { login?: string; id?: number };
    if (!me.ok || typeof user.login !== 'string' || typeof user.id !== 'number')
      throw new LoginError(`GitHub did not say who logged in: GET /user answered ${me.status}`);
    return { login: user.login, id: user.id };
  }
}
