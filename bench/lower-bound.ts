/**
 * The lower bound a cold plan is held to, run as a whole process: the least a loader must do to
 * read, parse and validate the same manifests, with the same libraries and nothing of driftless.
 * `node dist/bench/lower-bound.js REPO REF PATH`: lists the manifests with `git ls-tree`, reads them
 * with one `git cat-file --batch`, parses and validates every file as bench/lower-bound-loader.ts
 * does (`yaml` and one ajv). Prints a JSON summary (so the work cannot be optimised away).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { lowerBoundLoader } from './lower-bound-loader.js';

const [repo, ref, path] = process.argv.slice(2);
if (!repo || !ref || !path) {
  process.stderr.write('usage: lower-bound.js REPO REF PATH\n');
  process.exit(2);
}

/** Blob ids of the manifests under `path` at `ref`. */
function listBlobs(): string[] {
  const out = execFileSync('git', ['-C', repo, 'ls-tree', '-r', '-z', ref, '--', path], { maxBuffer: 1 << 30 }).toString('utf8');
  const oids: string[] = [];
  for (const entry of out.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]{40})\t(.*)$/s.exec(entry);
    if (m && /\.(ya?ml|json)$/i.test(m[2])) oids.push(m[1]);
  }
  return oids;
}

/** Every blob's text, read by one `git cat-file --batch`. */
export function readBlobs(oids: string[]): string[] {
  const r = spawnSync('git', ['-C', repo, 'cat-file', '--batch'], { input: oids.join('\n') + '\n', maxBuffer: 1 << 30 });
  const buf = r.stdout;
  const texts: string[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const size = Number(buf.subarray(at, nl).toString('latin1').split(' ')[2]);
    texts.push(buf.subarray(nl + 1, nl + 1 + size).toString('utf8'));
    at = nl + 1 + size + 1;
  }
  return texts;
}

const load = lowerBoundLoader();
const texts = readBlobs(listBlobs());
let docs = 0;
let invalid = 0;
let bytes = 0;
for (const text of texts) {
  bytes += text.length;
  const r = load(text);
  docs += r.docs;
  invalid += r.invalid;
}
process.stdout.write(`${JSON.stringify({ files: texts.length, docs, invalid, bytes })}\n`);
