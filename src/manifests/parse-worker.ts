/** Worker thread of parse-pool.ts: parses its share of manifest files and posts the results back. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseManifestFile } from './yaml.js';
import { encodeTagged } from './parse-pool.js';

const { files, sources } = workerData as { files: string[]; sources: string[] };
const out = files.map((f, i) => parseManifestFile(f, sources[i]));
for (const f of out) for (const d of f.docs) d.value = encodeTagged(d.value);
parentPort!.postMessage(out);
