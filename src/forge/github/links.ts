import type { WebLinks } from '../forge.js';

/**
 * Where people see a repository's commits and pull requests on GitHub, from the API's base URL:
 * `https://api.github.com` -> `https://github.com`; Enterprise `https://HOST/api/v3` -> `https://HOST`.
 */
export function githubLinks(baseUrl: string, owner: string, repo: string): WebLinks {
  const url = new URL(baseUrl);
  const web = url.hostname === 'api.github.com' ? 'https://github.com' : `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
  const base = `${web}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  return {
    commit: (sha) => `${base}/commit/${encodeURIComponent(sha)}`,
    pull: (n) => `${base}/pull/${Number(n)}`,
  };
}
