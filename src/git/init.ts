import * as fs from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadGit } from './load.js';

/** Make `dir` (already holding files) a repository on `branch` with one commit of everything in it. */
export async function initWithCommit(dir: string, branch: string, message: string, author: { name: string; email: string }): Promise<string> {
  const git = await loadGit();
  await git.init({ fs, dir, defaultBranch: branch });
  for (const f of listFiles(dir)) await git.add({ fs, dir, filepath: f });
  return git.commit({ fs, dir, message, author });
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === '.git') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(root, p));
    else out.push(relative(root, p).split('\\').join('/'));
  }
  return out.sort();
}
