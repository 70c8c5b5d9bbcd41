/**
 * The lower bound an apply from empty is held to, run as a whole process: the least a program must
 * do to put the same tree on the same disk the way the fs provider does, with nothing of driftless.
 * `node dist/bench/write-bound.js LIST DEST`: LIST is the JSON a `treeList` of an applied target
 * wrote; every directory is made (0755), every file is written to a new temporary name beside it
 * ('wx', its mode), chmod-ed and renamed into place, every symlink made. On this VM creating a file
 * costs 0.03-0.5 ms of system time depending on what the disk is doing, so this run, beside each
 * apply, shows what the file system alone takes. Prints a JSON summary.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One entry of a tree, relative to its root, in the order it is made (parents first). */
export type TreeEntry =
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string; mode: number; content: string }
  | { kind: 'link'; path: string; target: string };

/** Everything under `root`, parents before their children. */
export function treeList(root: string, rel = ''): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const abs = join(root, path);
    const st = lstatSync(abs);
    if (st.isDirectory()) out.push({ kind: 'dir', path }, ...treeList(root, path));
    else if (st.isSymbolicLink()) out.push({ kind: 'link', path, target: readlinkSync(abs) });
    else out.push({ kind: 'file', path, mode: st.mode & 0o7777, content: readFileSync(abs, 'utf8') });
  }
  return out;
}

/** Make every entry under `dest`, files the fs provider's way (temporary name, mode, rename). */
export function writeTree(entries: TreeEntry[], dest: string): { files: number; dirs: number; links: number } {
  const n = { files: 0, dirs: 0, links: 0 };
  let serial = 0;
  for (const e of entries) {
    const abs = join(dest, e.path);
    if (e.kind === 'dir') {
      mkdirSync(abs, { recursive: true, mode: 0o755 });
      n.dirs++;
    } else if (e.kind === 'link') {
      symlinkSync(e.target, abs);
      n.links++;
    } else {
      const tmp = join(dirname(abs), `.bound-${serial++}.tmp`);
      writeFileSync(tmp, e.content, { mode: e.mode, flag: 'wx' });
      chmodSync(tmp, e.mode);
      renameSync(tmp, abs);
      n.files++;
    }
  }
  return n;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [list, dest] = process.argv.slice(2);
  if (!list || !dest) {
    process.stderr.write('usage: write-bound.js LIST DEST\n');
    process.exit(2);
  }
  const entries = JSON.parse(readFileSync(list, 'utf8')) as TreeEntry[];
  mkdirSync(dest, { recursive: true });
  process.stdout.write(`${JSON.stringify(writeTree(entries, dest))}\n`);
}
