import * as fs from 'node:fs';
import type { GitRepository } from './repository.js';
import { loadGit, loadHttp } from './load.js';

/** Where driftless records applies: `git log --notes=driftless` shows them. */
export const NOTES_REF = 'refs/notes/driftless';
const AUTHOR = { name: 'driftless', email: 'driftless@localhost' };

/** The note on a commit under refs/notes/driftless, or null. */
export async function readAuditNote(repo: GitRepository, commit: string): Promise<string | null> {
  try {
    const blob = await (await loadGit()).readNote({ fs, gitdir: repo.gitdir, ref: NOTES_REF, oid: commit, cache: repo.cache });
    return Buffer.from(blob).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Append `text` to the note on `commit` in the local repository (isomorphic-git addNote; an
 * existing note is kept and extended). Nothing happens when the note already holds `marker`, so
 * delivering twice writes once. Returns whether the note changed.
 */
export async function appendNote(repo: GitRepository, commit: string, text: string, marker: string): Promise<boolean> {
  return repo.serialize(async () => {
    const existing = await readAuditNote(repo, commit);
    if (existing?.includes(marker)) return false;
    const note = existing ? `${existing.replace(/\n*$/, '')}\n\n${text}` : text;
    await (await loadGit()).addNote({
      fs,
      gitdir: repo.gitdir,
      ref: NOTES_REF,
      oid: commit,
      note,
      force: true,
      author: AUTHOR,
      committer: AUTHOR,
      cache: repo.cache,
    });
    return true;
  });
}

/** What publishing to a remote needs of a mirror. */
export interface NotesRemote extends GitRepository {
  readonly url: string;
  remoteHeaders(): Record<string, string>;
  fetchRef(ref: string, have?: string): Promise<string>;
  pushRef(ref: string, force?: boolean): Promise<void>;
}

async function remoteNotesSha(m: NotesRemote): Promise<string | null> {
  const [git, http] = await Promise.all([loadGit(), loadHttp()]);
  const refs = await git.listServerRefs({ http, url: m.url, headers: m.remoteHeaders(), prefix: NOTES_REF, protocolVersion: 1 });
  return refs.find((r) => r.ref === NOTES_REF)?.oid ?? null;
}

async function localNotesSha(repo: GitRepository): Promise<string | null> {
  try {
    return await (await loadGit()).resolveRef({ fs, gitdir: repo.gitdir, ref: NOTES_REF });
  } catch {
    return null;
  }
}

/**
 * Publish an audit note through a mirror: take the remote's notes first (so notes written by others
 * are kept), append, and push refs/notes/driftless, trying again when another writer got there first.
 */
export async function publishRemoteNote(repo: NotesRemote, commit: string, text: string, marker: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const remote = await remoteNotesSha(repo);
    const local = await localNotesSha(repo);
    // Take the remote's notes first (a replica or a person may have added some); without a remote
    // notes ref we start from what we have.
    if (remote && remote !== local) await repo.fetchRef(NOTES_REF, local ?? undefined);
    const changed = await appendNote(repo, commit, text, marker);
    if (!changed && remote && remote === (await localNotesSha(repo))) return; // already published
    try {
      await repo.pushRef(NOTES_REF);
      return;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
