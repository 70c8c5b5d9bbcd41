/**
 * Values kept from a parsed manifest do not keep the file's text alive: V8 makes a slice of 13 or
 * more characters a view into the string it was cut from, so a kept `path` would hold the whole
 * file (every file of a stack, in the loader's cache).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Ref } from '../../src/manifests/values.js';
import { parseManifestFile } from '../../src/manifests/yaml.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('strings of a parsed manifest', () => {
  // Plain YAML takes the fast parser; an anchor sends the file to the `yaml` library.
  it.each([
    ['the fast parser', (i: number) => `name: a-rather-long-name-${i}, labels: { team: a-rather-long-team }`],
    ['the yaml library', (i: number) => `name: &n a-rather-long-name-${i}, labels: { team: a-rather-long-team, other: *n }`],
  ])('are their own from %s: keeping values (block, flow, !ref) frees the 20 MB of files they came from', (_, metadata) => {
    const before = heapAfterGc();
    const kept: unknown[] = [];
    for (let i = 0; i < 25; i++) {
      // Built at run time (not a literal of this module), so only the parse can keep it alive.
      const comment = `# ${String(i).repeat(800_000 / String(i).length)}\n`;
      const source = `${comment}apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { ${metadata(i)} }\nspec:\n  path: srv/some/rather/long/path-${i}.txt\n  content: !ref Directory/a-rather-long-directory-name.outputs.path\n`;
      const parsed = parseManifestFile(`big-${i}.yaml`, source);
      expect(parsed.diagnostics).toEqual([]);
      const doc = parsed.docs[0].value as { apiVersion: string; metadata: { name: string; labels: { team: string } }; spec: { path: string; content: Ref } };
      kept.push(doc.apiVersion, doc.metadata.name, doc.metadata.labels.team, doc.spec.path, doc.spec.content.target);
    }
    const grown = heapAfterGc() - before;
    expect(kept.slice(0, 5)).toEqual([
      'fs.driftless.dev/v1',
      'a-rather-long-name-0',
      'a-rather-long-team',
      'srv/some/rather/long/path-0.txt',
      'Directory/a-rather-long-directory-name',
    ]);
    expect(grown).toBeLessThan(5_000_000);
  });
});
