/**
 * Ref resolution for a repository read in place, without isomorphic-git: the same answer as its
 * `resolveRef` (GitRefManager.resolve), step for step, so that resolving a branch never loads it.
 *
 * isomorphic-git looks a name up as `name`, `refs/name`, `refs/tags/name`, `refs/heads/name`,
 * `refs/remotes/name`, `refs/remotes/name/HEAD` (never git's own files such as `config`), each first
 * as a loose file and then in `packed-refs`; follows `ref: ` symbolic refs; takes a 40-hex value as
 * the answer; and refuses a circular chain. Only the in-process lock it takes per ref is left out:
 * a local repository's refs are written by git (lock file, then rename), and in this process only
 * notes are written to one (refs/notes/driftless, through isomorphic-git), so there is nothing for
 * it to wait for here. A mirror, whose refs isomorphic-git writes while fetching, keeps its resolveRef.
 */
import { readFile } from 'node:fs/promises';

/** Git's own files, never refs (isomorphic-git's GIT_FILES). */
const GIT_FILES = ['config', 'description', 'index', 'shallow', 'commondir'];

const refPaths = (ref: string): string[] => [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/${ref}`, `refs/remotes/${ref}/HEAD`];

export class RefNotFound extends Error {
  override name = 'NotFoundError';
  constructor(readonly ref: string) {
    super(`Could not find ${ref}.`);
  }
}

/** A file's text, or null when it is missing or a directory (isomorphic-git's FileSystem.read). */
async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code.includes('ENS'))) return null;
    throw err;
  }
}

/** `packed-refs` as a map from ref name to value (peeled tags as `name^{}`), parsed as isomorphic-git does. */
export function parsePackedRefs(text: string | null): Map<string, string> {
  const refs = new Map<string, string>();
  if (!text) return refs;
  let key: string | null = null;
  for (const line of text.trim().split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.startsWith('^')) {
      refs.set(`${key}^{}`, line.slice(1));
    } else {
      const i = line.indexOf(' ');
      key = line.slice(i + 1);
      refs.set(key, line.slice(0, i));
    }
  }
  return refs;
}

/** Resolve `ref` in `gitdir` to what it finally names (an object id); throws when it names nothing. */
export async function resolveRefInPlace(gitdir: string, ref: string, visited = new Set<string>()): Promise<string> {
  if (ref.startsWith('ref: ')) return resolveRefInPlace(gitdir, ref.slice('ref: '.length), visited);
  if (ref.length === 40 && /[0-9a-f]{40}/.test(ref)) return ref;
  const packed = parsePackedRefs(await readOrNull(`${gitdir}/packed-refs`));
  for (const path of refPaths(ref).filter((p) => !GIT_FILES.includes(p))) {
    const value = (await readOrNull(`${gitdir}/${path}`)) || packed.get(path);
    if (value) {
      if (visited.has(path)) throw new Error(`Circular reference detected while resolving ref "${path}"`);
      visited.add(path);
      return resolveRefInPlace(gitdir, value.trim(), visited);
    }
  }
  throw new RefNotFound(ref);
}
