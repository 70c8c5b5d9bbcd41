import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseManifestFile, type ParsedFile } from './yaml.js';
import { Ref, SecretRef } from './values.js';

/** Below this many files, parsing on the calling thread is cheaper than starting a worker. */
const MIN_FILES_FOR_WORKERS = 400;

type WorkerScript = { url: URL } | { code: string };

/**
 * The worker's script: the compiled one next to this module, or (running from the TypeScript
 * sources, as the tests do) the source loaded through tsx's loader, which a worker cannot take
 * from `--import`. Null when neither exists.
 */
function workerScript(): WorkerScript | null {
  const js = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js };
  const ts = new URL('./parse-worker.ts', import.meta.url);
  if (existsSync(fileURLToPath(ts))) return { code: `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })` };
  return null;
}

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

function parseInWorker(script: WorkerScript, files: string[], sources: string[]): Promise<ParsedFile[]> {
  return new Promise((resolve, reject) => {
    const workerData = { files, sources };
    const worker = 'url' in script ? new Worker(script.url, { workerData }) : new Worker(script.code, { eval: true, workerData });
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

/** Files parsed on worker threads and shares that fell back to this thread (for tests and the bench). */
export const parsePoolStats = { workerFiles: 0, fallbacks: 0 };

/** Workers used at most (besides the calling thread). */
const MAX_WORKERS = 3;

/**
 * Parse many manifest files, the same as `parseManifestFile` on each. With many files and more than
 * one core, shares of them are parsed on worker threads (one per extra core, at most MAX_WORKERS)
 * while this thread parses its own share (YAML parsing dominates a cold load). A share whose worker
 * fails is parsed here instead.
 */
export async function parseManyManifests(files: string[], sources: string[], opts: { workers?: number; minFiles?: number } = {}): Promise<ParsedFile[]> {
  const workers = opts.workers ?? Math.min(availableParallelism() - 1, MAX_WORKERS);
  const script = workerScript();
  const local = (from: number, to: number) => {
    const out: ParsedFile[] = [];
    for (let i = from; i < to; i++) out.push(parseManifestFile(files[i], sources[i]));
    return out;
  };
  if (sources.length < (opts.minFiles ?? MIN_FILES_FOR_WORKERS) || workers < 1 || !script) return local(0, sources.length);
  // This thread takes a slightly smaller share: the workers start later, but it also reassembles the results.
  const mineEnd = Math.floor((sources.length / (workers + 1)) * 0.9);
  const bounds: [number, number][] = [];
  const per = (sources.length - mineEnd) / workers;
  for (let k = 0; k < workers; k++) bounds.push([Math.round(mineEnd + k * per), k === workers - 1 ? sources.length : Math.round(mineEnd + (k + 1) * per)]);
  const remote = bounds.map(([a, b]) => {
    const p = parseInWorker(script, files.slice(a, b), sources.slice(a, b));
    p.catch(() => undefined); // handled below
    return p;
  });
  const out = local(0, mineEnd);
  for (let k = 0; k < workers; k++) {
    let part: ParsedFile[];
    try {
      part = await remote[k];
      parsePoolStats.workerFiles += part.length;
    } catch {
      parsePoolStats.fallbacks++;
      part = local(bounds[k][0], bounds[k][1]);
    }
    for (const f of part) out.push(f);
  }
  return out;
}
