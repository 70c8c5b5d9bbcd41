/**
 * isomorphic-git, loaded on first use. Reads of a local repository go through the object store
 * (object-store.ts) and the ref reader (refs.ts), so a command such as `validate` never loads
 * isomorphic-git and its CommonJS polyfills (sha.js, pako, get-intrinsic...); whatever needs it
 * (a mirror's clone or fetch, notes, history walks, objects the fast path cannot read) awaits it here.
 */
import type { HttpClient } from 'isomorphic-git';

export type Git = typeof import('isomorphic-git').default;

let git: Promise<Git> | undefined;
let http: Promise<HttpClient> | undefined;

/** isomorphic-git's API (loaded once per process). */
export function loadGit(): Promise<Git> {
  git ??= import('isomorphic-git').then((m) => m.default);
  return git;
}

/** isomorphic-git's Node HTTP client, for clones, fetches and pushes (loaded once per process). */
export function loadHttp(): Promise<HttpClient> {
  http ??= import('isomorphic-git/http/node').then((m) => m.default);
  return http;
}
