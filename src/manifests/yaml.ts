import { createRequire } from 'node:module';
import type { CST, Node, ScalarTag } from 'yaml';
import { Ref, SecretRef } from './values.js';
import type { Diagnostic } from './diagnostics.js';
import { parseFastYaml } from './fast-yaml.js';
import { ownString } from './fast-yaml-scalar.js';
import { LIMITS } from './limits.js';

export { LIMITS };

/**
 * The `yaml` library, loaded on first use (synchronously, its CommonJS build): most files take the
 * fast path, and a command whose files all do never loads it (about 40 ms of start-up).
 */
let yamlLib: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const refTag: ScalarTag = {
  tag: '!ref',
  identify: (v) => v instanceof Ref,
  resolve(str, onError) {
    // Taken as written: Ref.parse would trim characters YAML keeps (U+00A0, U+3000, …).
    const ref = str === str.trim() ? Ref.parse(ownString(str)) : null;
    if (!ref) {
      onError(`!ref must look like Kind/name.outputs.field (or stack:Kind/name.outputs.field), got "${str}"`);
      return str;
    }
    return ref as unknown as string;
  },
  stringify: (item) => String(item.value),
};

const secretTag: ScalarTag = {
  tag: '!secret',
  identify: (v) => v instanceof SecretRef,
  resolve(str, onError) {
    if (!SECRET_NAME.test(str)) {
      onError(`!secret takes a name of letters, digits and _, got "${str}"`);
      return str;
    }
    return new SecretRef(ownString(str)) as unknown as string;
  },
  stringify: (item) => String(item.value),
};

export const customTags = [refTag, secretTag];

export interface ParsedDoc {
  /** Index of the document in its file (0-based, counting empty ones). */
  index: number;
  value: unknown;
  line: number;
  col: number;
}

export interface ParsedFile {
  docs: ParsedDoc[];
  diagnostics: Diagnostic[];
}

/** Parse one manifest file (YAML, multi-document; JSON is YAML too). Never throws. */
export function parseManifestFile(file: string, source: string): ParsedFile {
  if (Buffer.byteLength(source) > LIMITS.maxFileBytes) {
    return { docs: [], diagnostics: [{ file, line: 1, col: 1, message: `file is larger than ${LIMITS.maxFileBytes} bytes` }] };
  }
  // Most manifests are plain YAML: a fast parser takes those, and declines the rest to `yaml`.
  const fast = parseFastYaml(source);
  if (fast && fast.length <= LIMITS.maxDocuments && fast.every((d) => depthOf(d.value, 0) <= LIMITS.maxDepth)) {
    return { docs: fast, diagnostics: [] };
  }
  return parseWithYaml(file, source);
}

/**
 * A manifest file as the `yaml` library reads it (YAML 1.2, core schema, our two tags), with what
 * YAML calls an error reported as one, including what the library lets through: a tag it cannot
 * resolve (a typo such as `!sercet NAME` would otherwise become the plain string "NAME"), a
 * YAML 1.1 type (`!!set`, `!!binary`, …: not JSON), a directive with no document after it, and a
 * repeated %YAML directive. Never throws.
 */
export function parseWithYaml(file: string, source: string): ParsedFile {
  const { Composer, LineCounter, Parser } = yaml();
  const diagnostics: Diagnostic[] = [];
  const lineCounter = new LineCounter();
  const at = (offset: number, message: string): void => {
    const pos = lineCounter.linePos(offset);
    diagnostics.push({ file, line: pos.line, col: pos.col, message });
  };
  const directiveErrors: { offset: number; message: string }[] = [];
  const composer = new Composer({ customTags, uniqueKeys: true, resolveKnownTags: false, logLevel: 'error' });
  const tokens = checkDirectives(new Parser(lineCounter.addNewLine).parse(source), directiveErrors);
  // With forceDoc, a stream of only directives and comments still yields a document (with its errors).
  const list = Array.from(composer.compose(tokens, true, source.length));
  for (const e of directiveErrors) at(e.offset, e.message);
  if (list.length > LIMITS.maxDocuments) {
    return { docs: [], diagnostics: [{ file, line: 1, col: 1, message: `more than ${LIMITS.maxDocuments} documents in one file` }] };
  }
  const out: ParsedDoc[] = [];
  list.forEach((doc, index) => {
    const start = doc.contents ? doc.contents.range[0] : doc.range[0];
    const pos = lineCounter.linePos(start);
    const unresolved = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
    if (doc.errors.length > 0 || unresolved.length > 0) {
      for (const e of doc.errors) at(e.pos[0], cleanMessage(e.message));
      for (const w of unresolved) at(w.pos[0], `${cleanMessage(w.message)} (manifests take !ref, !secret and the YAML 1.2 core schema's tags)`);
      return;
    }
    if (doc.contents === null) return; // an empty document (say, a trailing ---)
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
    } catch (err) {
      diagnostics.push({ file, line: pos.line, col: pos.col, message: `cannot expand document: ${(err as Error).message}` });
      return;
    }
    if (value === null || value === undefined) return; // a document of only comments, or after a trailing ---
    if (depthOf(value, 0) > LIMITS.maxDepth) {
      diagnostics.push({ file, line: pos.line, col: pos.col, message: `document nests deeper than ${LIMITS.maxDepth} levels` });
      return;
    }
    out.push({ index, value: ownStrings(value), line: pos.line, col: pos.col });
  });
  return { docs: out, diagnostics };
}

/** `v` with every string of its plain objects and arrays its own (see ownString), changed in place. */
function ownStrings(v: unknown): unknown {
  if (typeof v === 'string') return ownString(v);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = ownStrings(v[i]);
  else if (v && typeof v === 'object' && v.constructor === Object) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = ownStrings(o[k]);
  }
  return v;
}

/** Pass the parser's tokens through, noting a second %YAML directive before one document (the spec forbids it; `yaml` does not check). */
function* checkDirectives(tokens: Iterable<CST.Token>, errors: { offset: number; message: string }[]): Generator<CST.Token> {
  let yamlDirective = false;
  for (const token of tokens) {
    if (token.type === 'directive' && /^%YAML(?:[ \t]|$)/.test(token.source)) {
      if (yamlDirective) errors.push({ offset: token.offset, message: 'repeated %YAML directive: a document takes at most one' });
      yamlDirective = true;
    } else if (token.type === 'document') yamlDirective = false;
    yield token;
  }
}

function depthOf(v: unknown, d: number): number {
  if (d > LIMITS.maxDepth) return d;
  if (Array.isArray(v)) return v.reduce((m: number, x) => Math.max(m, depthOf(x, d + 1)), d + 1);
  if (v && typeof v === 'object' && v.constructor === Object) {
    let m = d + 1;
    for (const x of Object.values(v)) m = Math.max(m, depthOf(x, d + 1));
    return m;
  }
  return d;
}

function cleanMessage(message: string): string {
  // yaml appends " at line X, column Y" and a code frame; we print our own location.
  return message
    .split('\n')[0]
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}

/**
 * Find the position of a path inside document `docIndex` of `source`. With `key`, point at the
 * key of the last segment (for "unknown property" errors). A path that does not exist stops at
 * the deepest node that does (a missing required property points at its parent map).
 */
export function locate(source: string, docIndex: number, path: (string | number)[], target: 'value' | 'key' = 'value'): { line: number; col: number } {
  const { LineCounter, parseAllDocuments, isMap, isPair, isScalar, isSeq } = yaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter, customTags, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [];
  const doc = list[docIndex];
  if (!doc) return { line: 1, col: 1 };
  let node: Node | null = doc.contents as Node | null;
  let offset = node ? node.range![0] : doc.range[0];
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as Node;
      if (i === path.length - 1 && target === 'key') {
        offset = key.range![0];
        break;
      }
      node = (pair.value as Node | null) ?? null;
      offset = node?.range ? node.range[0] : key.range![0];
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range![0];
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset);
}
