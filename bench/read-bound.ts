/**
 * The lower bound a no-op re-apply and `drift` are held to, run as a whole process: the least a
 * program must do to tell that a tree on disk is as it was made, with nothing of driftless.
 * `node dist/bench/read-bound.js LIST ROOT`: LIST is the JSON a `treeList` of the applied target
 * wrote (bench/write-bound.ts); every entry under ROOT is lstat-ed, every file read and compared
 * with its content and mode, every symlink's target read back. Prints a JSON summary, with the
 * entries that differ (none, after an apply), so that the work cannot be optimised away.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TreeEntry } from './write-bound.js';

/** The entries of `entries` that are not as listed under `root`. */
export function differing(entries: TreeEntry[], root: string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const abs = join(root, e.path);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) out.push(e.path);
    else if (e.kind === 'dir') {
      if (!st.isDirectory()) out.push(e.path);
    } else if (e.kind === 'link') {
      if (!st.isSymbolicLink() || readlinkSync(abs) !== e.target) out.push(e.path);
    } else if (!st.isFile() || (st.mode & 0o7777) !== e.mode || readFileSync(abs, 'utf8') !== e.content) out.push(e.path);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [list, root] = process.argv.slice(2);
  if (!list || !root) {
    process.stderr.write('usage: read-bound.js LIST ROOT\n');
    process.exit(2);
  }
  const entries = JSON.parse(readFileSync(list, 'utf8')) as TreeEntry[];
  const diff = differing(entries, root);
  process.stdout.write(`${JSON.stringify({ entries: entries.length, differing: diff })}\n`);
}
