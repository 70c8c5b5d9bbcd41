import { CST, Composer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq, stringify, type Document, type Node } from 'yaml';
import { customTags } from './yaml.js';

/**
 * Edits of manifest text at the exact place of a value: one scalar token is rewritten through the
 * `yaml` library's CST (its style kept where the new value allows it), everything else, comments,
 * key order, quoting, blank lines and the file's other documents, stays byte for byte. Pure.
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export type EditResult = { ok: true; text: string; line: number } | { ok: false; reason: string; line?: number };

interface Parsed {
  tokens: CST.Token[];
  docs: Document.Parsed[];
  lines: LineCounter;
}

function parse(text: string): Parsed {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const docs = [...new Composer({ keepSourceTokens: true, customTags, uniqueKeys: false }).compose(tokens, true, text.length)];
  return { tokens, docs, lines };
}

/** The value at `path` of document `docIndex` in `text`, as plain data (undefined when absent). */
export function valueAt(text: string, docIndex: number, path: (string | number)[]): unknown {
  const doc = parse(text).docs[docIndex];
  if (!doc) return undefined;
  const js = doc.toJS() as unknown;
  let cur: unknown = js;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

/**
 * Set the value at `path` (keys of maps, indexes of sequences) of document `docIndex` to `value`.
 * A scalar is rewritten in its own style when that style can hold the new value (else double-quoted);
 * a collection is rewritten in its own style (flow or block); a key missing from a block map is
 * added as its last entry. Values given with a tag (`!ref`, `!secret`) or through an alias or anchor
 * are refused, not guessed: the result says why.
 */
export function setValueAt(text: string, docIndex: number, path: (string | number)[], value: Json): EditResult {
  const p = parse(text);
  const doc = p.docs[docIndex];
  if (!doc) return { ok: false, reason: `document ${docIndex + 1} not found` };
  if (doc.errors.length) return { ok: false, reason: `the file does not parse: ${doc.errors[0].message.split('\n')[0]}` };
  let node: Node | null = doc.contents as Node | null;
  const line = (n: Node | null | undefined) => (n?.range ? p.lines.linePos(n.range[0]).line : undefined);
  for (let i = 0; i < path.length; i++) {
    if (!node) return { ok: false, reason: 'no such place in the document' };
    const refusal = refuse(node);
    if (refusal) return { ok: false, reason: refusal, line: line(node) };
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((x) => isPair(x) && isScalar(x.key) && String(x.key.value) === String(seg));
      if (!pair) {
        if (!last) return { ok: false, reason: `${path.slice(0, i + 1).join('.')} is not in the manifest` };
        const added = addKey(text, p, node, String(seg), value);
        if (added.ok && !sameJson(valueAt(added.text, docIndex, path), value))
          return { ok: false, reason: 'the edited manifest would not read back as the live value', line: added.line };
        return added;
      }
      node = (pair.value as Node | null) ?? null;
      if (!node) return { ok: false, reason: `${path.join('.')} has no value node to edit`, line: line(pair.key as Node) };
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) return { ok: false, reason: `${path.slice(0, i + 1).join('.')} is not in the manifest` };
      node = item;
    } else {
      return { ok: false, reason: `${path.slice(0, i).join('.')} is not a map or list in the manifest`, line: line(node) };
    }
  }
  if (!node) return { ok: false, reason: 'no such place in the document' };
  const refusal = refuse(node);
  if (refusal) return { ok: false, reason: refusal, line: line(node) };
  const at = line(node) ?? 1;
  const next = isScalar(node) && isScalarValue(value) ? setScalar(p, node, value) : replaceNode(text, node, value, p);
  if (next === null) return { ok: false, reason: 'the new value cannot be written in place', line: at };
  // The edit must read back as exactly the live value, and leave every other document as it was.
  if (!sameJson(valueAt(next, docIndex, path), value)) return { ok: false, reason: 'the edited manifest would not read back as the live value', line: at };
  return { ok: true, text: next, line: at };
}

/** Why a node cannot be edited in place, if it cannot. */
function refuse(node: Node): string | null {
  if (isAlias(node)) return `the value comes from an alias (*${node.source}): editing it here would not change it, editing the anchor would change every use`;
  if (node.anchor) return `the value is anchored (&${node.anchor}) and may be used elsewhere`;
  const tag = node.tag;
  if (tag === '!ref') return 'the value is taken with !ref from another resource';
  if (tag === '!secret') return 'the value is a !secret';
  if (tag && !tag.startsWith('tag:yaml.org,2002:')) return `the value has the tag ${tag}`;
  return null;
}

function isScalarValue(v: Json): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function stringifyAll(tokens: CST.Token[]): string {
  return tokens.map((t) => CST.stringify(t)).join('');
}

/** Rewrite one scalar token: its own style first, double quotes when that does not read back. */
function setScalar(p: Parsed, node: Node, value: string | number | boolean | null): string | null {
  const token = node.srcToken;
  if (!token) return null;
  // A block scalar keeps the indentation of its content (setScalarValue indents by the token's `indent`).
  const afterKey = false;
  const inFlow = false;
  if (token.type === 'block-scalar') {
    const lead = /^( *)\S/m.exec(token.source);
    token.indent = lead ? lead[1].length : token.indent + 2;
  }
  if (typeof value !== 'string') {
    CST.setScalarValue(token, value === null ? 'null' : String(value), { type: 'PLAIN', afterKey, inFlow });
    return stringifyAll(p.tokens);
  }
  const type = isScalar(node) ? (node.type as 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED' | undefined) : undefined;
  const saved = structuredClone(token);
  const tryType = (t: typeof type): string | null => {
    try {
      Object.assign(token, structuredClone(saved));
      CST.setScalarValue(token, value, { type: t, afterKey, inFlow: isFlow(p, token) });
      const next = stringifyAll(p.tokens);
      return next;
    } catch {
      return null;
    }
  };
  const own = tryType(type);
  if (own !== null && readsAs(own, node, value)) return own;
  return tryType('QUOTE_DOUBLE');
}

/** Whether the scalar is inside a flow collection (where `,[]{}` need quotes). */
function isFlow(p: Parsed, token: CST.Token): boolean {
  let inside = false;
  const visit = (t: CST.Token | undefined, flow: boolean): boolean => {
    if (!t) return false;
    if (t === token) {
      inside = flow;
      return true;
    }
    if (t.type === 'document') return visit(t.value, flow);
    if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      const f = flow || t.type === 'flow-collection';
      for (const it of t.items) if (visit(it.key ?? undefined, f) || visit(it.value ?? undefined, f)) return true;
    }
    return false;
  };
  for (const t of p.tokens) if (visit(t, false)) break;
  return inside;
}

/** Whether the text, parsed again, holds `value` at the same offset's node (the scalar did not change type). */
function readsAs(text: string, node: Node, value: string): boolean {
  const start = node.range?.[0];
  if (start === undefined) return false;
  const p = parse(text);
  let found: unknown;
  const visit = (n: unknown): void => {
    if (found !== undefined || !n) return;
    if (isScalar(n) && n.range?.[0] === start) {
      found = n.value;
      return;
    }
    if (!isMap(n) && !isSeq(n)) return;
    for (const it of n.items) {
      if (isPair(it)) {
        visit(it.key);
        visit(it.value);
      } else visit(it);
    }
  };
  for (const d of p.docs) visit(d.contents);
  return found === value;
}

/** Replace a node's text (up to the end of its value, before any trailing comment) with the value, in the node's style. */
function replaceNode(text: string, node: Node, value: Json, p: Parsed): string | null {
  if (!node.range) return null;
  const [start, end] = node.range;
  const flow = (isMap(node) || isSeq(node)) && node.flow;
  const col = p.lines.linePos(start).col - 1;
  if (flow || isScalar(node) || value === null || typeof value !== 'object' || Object.keys(value).length === 0) {
    const rendered = stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).replace(/\n$/, '');
    return text.slice(0, start) + rendered + text.slice(end);
  }
  // A block collection: rendered in block style at the node's column; it ends with its own newline.
  const body = stringify(value, { lineWidth: 0, indentSeq: true })
    .replace(/\n$/, '')
    .split('\n')
    .map((l, i) => (i === 0 ? l : ' '.repeat(col) + l))
    .join('\n');
  const tail = text.slice(end);
  const keep = text.slice(start, end).endsWith('\n') ? '\n' : '';
  return text.slice(0, start) + body + keep + tail;
}

/** Add `key: value` as the last entry of a block map (a flow map gets `, key: value`). */
function addKey(text: string, p: Parsed, map: Node, key: string, value: Json): EditResult {
  if (!isMap(map) || !map.range) return { ok: false, reason: `cannot add ${key}: not a map` };
  const keyText = stringify(key, { lineWidth: 0 }).replace(/\n$/, '');
  if (map.flow) {
    const close = text.lastIndexOf('}', map.range[1]);
    if (close < 0) return { ok: false, reason: `cannot add ${key} to this flow map` };
    const sep = map.items.length ? ', ' : '';
    // A map written as JSON (double-quoted keys) gets JSON.
    const first = map.items[0];
    const json = !!first && isPair(first) && isScalar(first.key) && first.key.type === 'QUOTE_DOUBLE';
    const v = json ? JSON.stringify(value) : stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).replace(/\n$/, '');
    const k = json ? JSON.stringify(key) : keyText;
    const before = text.slice(0, close);
    const inner = before.replace(/\s*$/, '');
    const next = `${inner}${sep}${k}: ${v}${before.slice(inner.length)}${text.slice(close)}`;
    return { ok: true, text: next, line: p.lines.linePos(close).line };
  }
  const first = map.items[0];
  if (!first || !isPair(first) || !(first.key as Node | null)?.range) return { ok: false, reason: `cannot add ${key} to an empty map` };
  const col = p.lines.linePos((first.key as Node).range![0]).col - 1;
  const lastItem = map.items[map.items.length - 1];
  const lastEnd = Math.max((lastItem.value as Node | null)?.range?.[2] ?? 0, (lastItem.key as Node | null)?.range?.[2] ?? 0);
  let pos = text.indexOf('\n', Math.max(0, lastEnd - 1));
  let prefix = '';
  if (text[lastEnd - 1] === '\n') pos = lastEnd;
  else if (pos < 0) {
    pos = text.length;
    prefix = '\n';
  } else pos += 1;
  const indent = ' '.repeat(col);
  const rendered = stringify({ [key]: value }, { lineWidth: 0, indentSeq: true })
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
  return { ok: true, text: text.slice(0, pos) + prefix + rendered + '\n' + text.slice(pos), line: p.lines.linePos(pos).line };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
