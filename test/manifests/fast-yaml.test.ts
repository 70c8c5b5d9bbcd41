import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, LineCounter } from 'yaml';
import { parseFastYaml } from '../../src/manifests/fast-yaml.js';
import { ownString } from '../../src/manifests/fast-yaml-scalar.js';
import { customTags, parseManifestFile, parseWithYaml } from '../../src/manifests/yaml.js';
import { manifests, manifestYaml } from '../../bench/generate.js';

/** What the yaml library makes of a text: each non-empty document's index, position and value. */
function viaYaml(src: string) {
  const lc = new LineCounter();
  const docs = parseAllDocuments(src, { lineCounter: lc, customTags, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length)) return 'error';
  return list.flatMap((d, index) => {
    if (d.contents === null) return [];
    const value = d.toJS({ maxAliasCount: 100 });
    if (value === null) return []; // empty documents are skipped (parseManifestFile does the same)
    const pos = lc.linePos(d.contents.range[0]);
    return [{ index, value, line: pos.line, col: pos.col }];
  });
}

/** The fast parser either declines (null) or gives exactly what yaml gives. */
function agree(src: string): 'fast' | 'declined' {
  const fast = parseFastYaml(src);
  if (fast === null) return 'declined';
  expect(fast, src).toEqual(viaYaml(src));
  return 'fast';
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === '.git' || name === 'dist' || name === 'bench') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.(ya?ml)$/.test(name)) out.push(p);
  }
  return out;
}

describe('fast YAML path: declines or agrees with the yaml library', () => {
  it('agrees on every YAML file of the project and 3,000 generated manifests', () => {
    let fast = 0;
    for (const f of yamlFiles('.')) if (agree(readFileSync(f, 'utf8')) === 'fast') fast++;
    expect(fast).toBeGreaterThanOrEqual(5);
    // The bench's corpus (flow lists and maps, quoted strings, 2-, 3- and 4-space indentation,
    // comments, folded descriptions, anchors and aliases): every file takes the fast path.
    let generated = 0;
    const all = manifests(3000, 7).map(manifestYaml);
    for (const y of all) if (agree(y) === 'fast') generated++;
    expect(all.filter((y) => y.includes('{') || y.includes('[')).length).toBeGreaterThan(1000);
    expect(all.filter((y) => y.includes('&labels')).length).toBeGreaterThan(20);
    expect(generated).toBe(all.length);
    // 7 s on a quiet machine, up to 20 s at a load of 18 on 2 cores.
  }, 120_000);

  const cases: string[] = [
    'a: 1\nb: two\nc: "three"\nd: \'fo\'\'ur\'\ne: true\nf: null\ng: ~\nh: 1.5\ni: -2\nj: +3\nk: 0644\nl: .5\nm: 1e3\nn: yes\no: "0644"\n',
    'a:\n  - x\n  - y: 1\n    z: 2\n  -\n    q: r\nb:\n- 1\n- 2\n',
    'a: |\n  line one\n\n  line three\n    indented\nb: |-\n  stripped\nc: end\n',
    'a: |\n\n  after a blank\n  # not a comment\nb: 1\n',
    'a: b # comment\nc: "d" # comment\ne: #notvalue\n',
    '# prelude\n---\na: 1\n---\n# only comments\n---\nb: 2\n---\n',
    'a: 1\n---\nb: 2\n...\n',
    'x: !ref File/a.outputs.sha256\ny: !secret NAME\nz: !ref not valid\n',
    'a: [1, 2]\n',
    'a: {b: 1}\n',
    // Flow collections on one line: the fast path reads these, or declines them.
    'a: []\nb: {}\nc: [ ]\nd: { }\n',
    "a: [x, \"y, z\", 'q''r', 1, -2, 0.5, true, null, ~, 0x1F]\n",
    'a: {b: 1, "c d": two, \'e\': [f, {g: h}]}\n',
    'a: [a b, c  d , e]\n',
    'a: [1, 2] # comment\nb: [1, 2]# glued\n',
    'a: [1, 2,]\n',
    'a: [1,2]\n',
    'a: [, 1]\n',
    'a: {b: , c: 1}\n',
    'a: {b:1}\n',
    'a: {"b":1}\n',
    'a: [b: 1]\n',
    'a: [http://x/y]\n',
    'a: [a#b, c]\n',
    'a: [- x]\n',
    'a: [-x, -1, .5, +1]\n',
    'a: {0x10: a}\n',
    'a: {true: a}\n',
    'a: {__proto__: 1}\n',
    'a: [[[[1]]]]\n',
    `a: ${'['.repeat(40)}1${']'.repeat(40)}\n`,
    'a: [1, 2]]\n',
    'a: [1, 2] x\n',
    'a: {b: 1}}\n',
    'a: ["\\x41"]\n',
    '- [a, b]\n- {c: d}\n- - e\n',
    'a:\n  - [1, 2]\n  - k: {x: y}\n    l: [z]\n',
    `a: {${'k'.repeat(1010)}: 1}\n`,
    'a: &x 1\nb: *x\n',
    'a: >\n  folded\n',
    // Folded blocks: lines joined by a space, empty lines kept as line breaks; more-indented lines go to yaml.
    'a: >\n  one\n  two\n\n  three\n\n\n  four\nb: >-\n  x\n  y\n\nc: 1\n',
    'a: >\n\n  leading empty\n',
    'a: >\n  x\n    more\n  y\n',
    'a: >\n  # not a comment\n  x\n',
    'a: > # comment\n  x\n',
    'a: >\nb: 1\n',
    '- >\n  in a list\n  folded\n- >-\n  z\n',
    'a: >+\n  keep\n\n',
    'a: >2\n   x\n',
    'a: |+\n  keep\n\n',
    'a: |2\n   x\n',
    'a: b\n  c\n',
    'a: 1\na: 2\n',
    '"a": 1\na: 2\n',
    'a: 0x1F\nb: 0o17\nc: .inf\nd: 1_000\n',
    'a:\tb\n',
    'a: 1\r\nb: 2\r\n',
    'key with space: 1\n',
    'a: "esc \\x41"\n',
    'a: "json \\u0041 \\n ok"\n',
    "a: 'unterminated\n",
    'a: "multi\n  line"\n',
    '- a\n- b\n',
    '- - a\n',
    'plain scalar\n',
    '',
    '\n\n# nothing\n',
    'a: 12345678901234567890\n',
    'a: -0\n',
    'a: 1.\n',
    'a:\n  b:\n    c:\n      d: deep\n  e: f\n',
    'url: http://example.com/x?y=z#frag\n',
    'a: :b\n',
    'a: b:c\n',
    'a: "x": y\n',
    'list:\n  - "quoted: colon"\n  - \'single\'\n  - name: n\n    value: |\n      v1\n      v2\n  - plain\n',
    '__proto__: 1\n',
    'a: @x\n',
    'a: `x\n',
    'a: %x\n',
    '? complex\n: key\n',
    'a:\n  - b\n   - c\n',
    'a:\n    b: 1\n  c: 2\n',
    // Found by a security review: characters JavaScript trims but YAML keeps, keys in hex or octal, `#` right after a quote.
    'a:\u00a0b\n',
    'a: \u00a0b\n',
    'a: b\u3000\n',
    '- \ufeffx\n',
    'a:\n\u2028 b: 1\n',
    'a: |\n  \u000bx\n  y\n',
    'a: |\n \u000c\n  x\n',
    '0x10: a\n',
    '0o7: a\n0o17: b\n',
    '- 0x10: a\n',
    '0x1g: a\n',
    'key: "v"# c\n',
    "key: 'v'# c\n",
    '- "v"#c\n',
    'key: "v" # c\n',
    `${'k'.repeat(1030)}: 1\n`,
    'a: 80/tcp\nb: 1.5 apples\nc: 0x\nd: 1_000\ne: 2001-12-14\n',
  ];
  it.each(cases.map((c, i) => [i, c]))('case %i', (_i, src) => {
    const r = agree(src as string);
    expect(['fast', 'declined']).toContain(r);
  });

  it('reads those inputs as YAML does, through the loader entry', () => {
    // U+00A0, U+3000, U+FEFF, U+2028, VT, FF: content to YAML, never white space.
    const odd = ['\u00a0', '\u3000', '\ufeff', '\u2028', '\u2029', '\u000b', '\u000c', '\u0085', '\u1680', '\u2000', '\u202f', '\u205f'];
    for (const c of odd) {
      for (const src of [`a: ${c}b\n`, `a: b${c}\n`, `a:\n  - ${c}x\n`, `a:\n  - x${c}\n`, `a: |\n  ${c}x\n  y\n`, `a: |\n  x\n  ${c}\n`, `a:\n${c} b: 1\n`]) {
        expect(parseFastYaml(src), JSON.stringify(src)).toBeNull();
        expect(parseManifestFile('f.yaml', src), JSON.stringify(src)).toEqual(parseWithYaml('f.yaml', src));
      }
    }
    expect(parseManifestFile('f.yaml', 'a: \u00a0b\u3000\n').docs[0].value).toEqual({ a: '\u00a0b\u3000' });
    expect(parseManifestFile('f.yaml', '- \u00a0x\n').docs[0].value).toEqual(['\u00a0x']);
    expect(parseManifestFile('f.yaml', 'a: |\n  \u00a0x\n').docs[0].value).toEqual({ a: '\u00a0x\n' });
    // Keys in hex or octal are integers, so their JSON keys are the decimal numbers.
    expect(parseManifestFile('f.yaml', '0x10: a\n0o7: b\nc: 0x1F\n').docs[0].value).toEqual({ '16': 'a', '7': 'b', c: 31 });
    expect(parseManifestFile('f.yaml', '0x10: a\n16: b\n').diagnostics[0].message).toMatch(/unique/);
    // A comment needs white space before it.
    const glued = parseManifestFile('f.yaml', 'key: "v"# c\n');
    expect(glued.docs).toEqual([]);
    expect(glued.diagnostics[0]).toMatchObject({ line: 1, col: 9 });
    expect(glued.diagnostics[0].message).toMatch(/white space/);
    expect(parseManifestFile('f.yaml', 'key: "v" # c\n').docs[0].value).toEqual({ key: 'v' });
  });

  it('takes the fast path on plain manifests and declines what it does not model', () => {
    expect(parseFastYaml(cases[0])).not.toBeNull();
    expect(parseFastYaml(cases[2])).not.toBeNull();
    for (const c of ['a: [1, 2]\n', 'a: {b: 1, c: [x, "y"]}\n', '- [a]\n- {}\n', 'a: >\n  folded\n  line\n']) expect(parseFastYaml(c), c).not.toBeNull();
    for (const c of ['a: [1,\n  2]\n', 'a: [1, ]\n', 'a: [a: b]\n', 'a: {b}\n', 'a: {b: 1, b: 2}\n', 'a: [!ref X/y.outputs.z]\n', 'a: [&x 1]\n'])
      expect(parseFastYaml(c), c).toBeNull();
    for (const c of ['a: 1\na: 2\n', 'a: >\n  folded\n    more indented\n', 'a: 0x1F\n']) expect(parseFastYaml(c)).toBeNull();
  });

  it('takes anchors on values and aliases to them, as yaml resolves them, and declines the rest', () => {
    const taken = [
      'a: &x 1\nb: *x\n',
      'a: &x\n  k: v\nb: *x\n',
      'a: &x # c\n  - 1\n  - 2\nb: *x # c\n',
      '- &x a\n- *x\n',
      '- &x\n  k: 1\n- *x\n',
      'a: &x |\n  text\nb: *x\n',
      'a: &x [1, 2]\nb: *x\n',
      'metadata:\n  labels: &labels {team: a, env: dev}\n  annotations: *labels\n',
      'a: &x\n  b: &y 1\nc: *y\nd: *x\n',
    ];
    for (const c of taken) {
      expect(parseFastYaml(c), c).not.toBeNull();
      expect(agree(c)).toBe('fast');
    }
    // An alias is the anchored value itself, as yaml's toJS gives it.
    const [doc] = parseFastYaml('a: &x\n  k: v\nb: *x\n')!;
    const v = doc.value as { a: object; b: object };
    expect(v.b).toBe(v.a);
    const declined = [
      'a: *x\nb: &x 1\n', // alias before its anchor
      'a: &x 1\nb: &x 2\nc: *x\n', // an anchor used twice
      'a: &x\n  b: &x\n    c: 1\nd: *x\n', // again, inside the value it anchors
      'a: &x.y 1\nb: *x.y\n', // a name beyond letters, digits, _ and -
      'a: &x k: v\n', // an implicit key after the anchor
      '- &x k: v\n',
      'a: &x\n- 1\n', // a sequence at the key's column
      'a: &x\nb: 1\n', // an anchored null
      'a: &x !ref A/b.outputs.c\n',
      'a: &x &y 1\n',
      'a: &x 1\nb: *x\n  c: 2\n',
      'a: &x 1\nb:\n  c: &y\n    d: *x\n', // an anchored value holding an alias
      'a: &x 1\n---\nb: *x\n', // anchors end with their document
      'a: &x 1\nb: *x extra\n',
      `a: &x 1\n${Array.from({ length: 101 }, (_, i) => `c${i}: *x\n`).join('')}`, // over LIMITS.maxAliasCount
    ];
    for (const c of declined) expect(parseFastYaml(c), c).toBeNull();
    for (const c of declined) expect(parseManifestFile('f.yaml', c), c).toEqual(parseWithYaml('f.yaml', c));
    expect(parseManifestFile('f.yaml', declined[declined.length - 1]).diagnostics[0].message).toMatch(/alias/i);
  });
});

describe('a scalar kept as a string of its own', () => {
  it('is equal to the text it was cut from, whatever its length or characters', () => {
    const text = `name: ${'x'.repeat(40)}\nemoji: 😀${'é'.repeat(20)}\nshort: ab\n`;
    for (const [from, to] of [
      [6, 46],
      [54, 76],
      [55, 76], // from inside a surrogate pair
      [84, 86],
      [0, text.length],
    ]) {
      const piece = text.slice(from, to);
      expect(ownString(piece)).toBe(piece);
    }
    expect(ownString('')).toBe('');
  });
});
