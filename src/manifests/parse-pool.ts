import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseManifestFile, type ParsedFile } from './yaml.js';
import { Ref, SecretRef } from './values.js';

/** Below this many files, parsing on the calling thread is cheaper than starting a worker. */
const MIN_FILES_FOR_WORKERS = 400;
const WORKER_SCRIPT = new URL('./parse-worker.js', import.meta.url);

const REF = '\u0000ref';
const SECRET = '\u0000secret';

/** Replace Ref / SecretRef (which lose their class when posted between threads) by marker objects, in place. */
export function encodeTagged(v: unknown): unknown {
  if (v instanceof Ref) return { [REF]: v.toString() };
  if (v instanceof SecretRef) return { [SECRET]: v.name };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = encodeTagged(v[i]);
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = encodeTagged(o[k]);
  }
  return v;
}

/** The inverse of encodeTagged, in place. */
export function decodeTagged(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = decodeTagged(v[i]);
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === REF) return Ref.parse(String(o[REF]));
    if (keys.length === 1 && keys[0] === SECRET) return new SecretRef(String(o[SECRET]));
    for (const k of keys) o[k] = decodeTagged(o[k]);
  }
  return v;
}

function parseInWorker(files: string[], sources: string[]): Promise<ParsedFile[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: { files, sources } });
    worker.once('message', (m: ParsedFile[]) => {
      for (const f of m) for (const d of f.docs) d.value = decodeTagged(d.value);
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`parse worker exited with code ${code}`));
    });
  });
}

/**
 * Parse many manifest files, the same as `parseManifestFile` on each. With many files and more than
 * one core, a share of them is parsed on a worker thread while this thread parses the rest (YAML
 * parsing dominates a cold load). Falls back to this thread whenever a worker cannot be used.
 */
export async function parseManyManifests(files: string[], sources: string[]): Promise<ParsedFile[]> {
  const cores = availableParallelism();
  const local = (from: number, to: number) => {
    const out: ParsedFile[] = [];
    for (let i = from; i < to; i++) out.push(parseManifestFile(files[i], sources[i]));
    return out;
  };
  if (sources.length < MIN_FILES_FOR_WORKERS || cores < 2 || !existsSync(fileURLToPath(WORKER_SCRIPT))) return local(0, sources.length);
  // The worker takes the larger half: it starts later, but this thread also reassembles the results.
  const split = Math.floor(sources.length * 0.45);
  const remote = parseInWorker(files.slice(split), sources.slice(split));
  remote.catch(() => undefined); // handled below
  const mine = local(0, split);
  try {
    return [...mine, ...(await remote)];
  } catch {
    return [...mine, ...local(split, sources.length)];
  }
}
