/** fast-check arbitraries for manifest-like YAML texts, with the odd corners the fast parser must get right or decline. */
import fc from 'fast-check';

/** Characters JavaScript trims or treats as line ends but YAML does not (or not the same way), and a few non-printables. */
export const ODD_CHARS = [
  '\t',
  '\r',
  '\v',
  '\f',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '\u0001',
  '\u007f',
  '\ud800',
];

/** Words of plain scalars and keys that the core schema reads as strings. */
const STRING_WORDS = 'a name web-01 app.v1 path/to/x $v _k x1 é 日本 🙂 http://h/x?y#z a:b a#b yes no on y'.split(' ');
/** Words the core schema reads as something else (null, booleans, numbers in every notation), or that only look like it. */
const OTHER_WORDS = (
  'true True TRUE false null Null NULL ~ 0 -0 12 -1 +3 0644 08 1.5 .5 1. -.5 1e3 1E3 -2.5e-3 +1.0e+2 0x1F 0xff 0X1F 0o17 0o8 0b11 ' +
  '.inf -.Inf +.INF .nan .NaN 1_000 12345678901234567890 9007199254740993 0x 2001-12-14 1:20'
).split(' ');
const MANIFEST_KEYS = 'apiVersion kind metadata name spec path content mode labels k-1 a.b x_y $ref 80/tcp'.split(' ');
const ESCAPES = [
  '\\n',
  '\\t',
  '\\"',
  '\\\\',
  '\\/',
  '\\x41',
  '\\u00e9',
  '\\ud83d\\ude42',
  '\\ud800',
  '\\U0001F642',
  '\\ ',
  '\\N',
  '\\_',
  '\\e',
  '\\0',
  '\\a',
  '\\L',
  '\\q',
  '\\',
];

interface Scalar {
  t: 'scalar';
  text: string;
}
interface Block {
  t: 'block';
  header: string;
  delta: number;
  lines: [number, string][];
}
interface MapNode {
  t: 'map';
  entries: { key: string; gap: string; value: YamlNode; delta: number; comment: string; anchor: string }[];
}
interface SeqNode {
  t: 'seq';
  items: { value: YamlNode; gap: number; delta: number; compact: boolean }[];
}
type YamlNode = Scalar | Block | MapNode | SeqNode;

/**
 * Documents built from well-formed pieces (`noisy` false: still numeric-looking words, escapes,
 * comments, block scalars, odd indentation) or with syntax noise and odd characters mixed in.
 */
function documents(noisy: boolean): fc.Arbitrary<YamlNode> {
  // An arm of a choice that only the noisy variant takes.
  const choose = <T>(clean: [number, fc.Arbitrary<T>][], noise: [number, fc.Arbitrary<T>][] = []): fc.Arbitrary<T> =>
    fc.oneof(...[...clean, ...(noisy ? noise : [])].map(([weight, arbitrary]) => ({ weight, arbitrary })));
  const odd = fc.constantFrom(...ODD_CHARS);
  const word = choose([
    [12, fc.constantFrom(...STRING_WORDS)],
    [2, fc.constantFrom(...OTHER_WORDS)],
  ]);
  const joiner = choose(
    [
      [30, fc.constant(' ')],
      [2, fc.constantFrom('', ':', '#', ', ', '-', ' - ', ']', '"', "'", '&', '?', '|', '>', '  ')],
    ],
    [
      [3, fc.constantFrom(': ', ' #', ' [', '{', ' !', '*')],
      [2, odd],
    ],
  );
  const lead = choose(
    [[40, fc.constant('')]],
    [
      [3, fc.constantFrom('-', '- ', '? ', '?', ':', ': ', '[', '{', '&a ', '*a', '!', '!!str ', '!!int ', '!!set ', '@', '`', '%', ',', '#', '|', '>')],
      [2, odd],
    ],
  );
  const plain = fc.tuple(lead, word, fc.array(fc.tuple(joiner, word), { maxLength: 3 })).map(([l, w, rest]) => l + w + rest.map(([j, x]) => j + x).join(''));
  const closed = choose([[15, fc.constant(true)]], [[1, fc.constant(false)]]);
  const quotedPiece = choose(
    [
      [20, word],
      [6, fc.constantFrom(' ', ': ', ' #', '#', "'", '[', '{', ',')],
      [4, fc.constantFrom(...ESCAPES.slice(0, 8))],
    ],
    [
      [3, fc.constantFrom(...ESCAPES.slice(8))],
      [1, fc.constant('"')], // ends the scalar early: what follows must be refused
      [2, odd],
    ],
  );
  const doubleQuoted = fc.tuple(fc.array(quotedPiece, { maxLength: 5 }), closed).map(([ps, close]) => '"' + ps.join('') + (close ? '"' : ''));
  const singlePiece = choose(
    [
      [6, word],
      [2, fc.constantFrom(' ', "''", '\\n', '#', ': ')],
    ],
    [
      [1, fc.constant("'")],
      [1, odd],
    ],
  );
  const singleQuoted = fc.tuple(fc.array(singlePiece, { maxLength: 4 }), closed).map(([ps, close]) => "'" + ps.join('') + (close ? "'" : ''));
  const trailer = choose(
    [
      [40, fc.constant('')],
      [4, fc.constantFrom(' # c', '  #c', ' ', '   ', ' #', ' # a: b', ' #\u00a0x')],
    ],
    [
      [3, fc.constantFrom('# c', ' x', ':', ': x', ' &a', ' !x')],
      [2, odd.map((c) => c + '# c')],
      [1, odd],
    ],
  );
  const tagged = fc.oneof(
    fc
      .tuple(fc.constantFrom('!ref ', '!ref  '), fc.constantFrom('File/a.outputs.sha256', 'Role/app.outputs.name', 'Db/x-1.outputs.a.b'))
      .map(([t, v]) => t + v),
    fc.tuple(fc.constantFrom('!secret ', '!secret  '), fc.constantFrom('DB_PASS', 'NAME', '_x1')).map(([t, v]) => t + v),
  );
  const badTag = fc.constantFrom(
    '!ref',
    '!ref NAME',
    '!secret File/a',
    '!ref "File/a.outputs.x"',
    "!secret 'NAME'",
    '!sercet NAME',
    '!!binary aGk=',
    '!foo x',
    '!<tag:yaml.org,2002:str> x',
    '!!str 0x10',
    '!!int "7"',
  );
  const flow = fc.constantFrom('[]', '{}', '[a, b]', '[1, "two", 0x3]', '{a: 1, b: [x]}', '{0x10: a}', '[a: 1]');
  const badFlow = fc.constantFrom('[a, b', '{a: 1', '[a, b]]', '{a: 1}}');
  // Anchors on values and aliases to them (an alias before its anchor, or a repeated anchor, is for
  // the fast path to decline).
  const anchoredValue = fc.tuple(fc.constantFrom('&a ', '&b ', '&a  ', '&x-1 '), fc.oneof(plain, doubleQuoted, flow)).map(([a, v]) => a + v);
  const alias = fc.constantFrom('*a', '*b', '*x-1', '*a # c');
  const badAnchor = fc.constantFrom('&a.b x', '*c', '&a &b x', '&a !ref File/a.outputs.x', '&a k: v', '*a x', '&', '*', '&a[x]');
  const inlineScalar = fc
    .tuple(
      choose(
        [
          [32, plain],
          [8, doubleQuoted],
          [6, singleQuoted],
          [4, tagged],
          [1, flow],
          [2, anchoredValue],
          [5, alias],
        ],
        [
          [1, badTag],
          [1, badFlow],
          [1, badAnchor],
        ],
      ),
      trailer,
    )
    .map(([v, t]): YamlNode => ({ t: 'scalar', text: v + t }));
  const blockLine = fc.tuple(
    choose([[12, fc.constant(0)]], [[1, fc.integer({ min: -3, max: 3 })]]),
    choose(
      [
        [24, plain],
        [4, fc.constantFrom('', '# not a comment', '- item', 'key: value', '  more indented')],
        [1, fc.constantFrom('   ', ' ')],
      ],
      [
        [1, fc.constantFrom('---', '...', '--- x')],
        [1, odd.map((c) => c + 'x')],
      ],
    ),
  );
  const blockScalar = fc
    .record({
      header: choose(
        [
          [24, fc.constantFrom('|', '|-', '| # c', '|- # c')],
          [1, fc.constantFrom('|+', '>', '>-', '|2', '|1-')],
        ],
        [[2, fc.constantFrom('|#c', '|  ', '|-  ', '| x', '|0', '>+ #')]],
      ),
      delta: fc.integer({ min: 1, max: 4 }),
      lines: fc.array(blockLine, { maxLength: 5 }),
    })
    .map((b): YamlNode => ({ t: 'block', ...b }));
  const key = choose(
    [
      [40, fc.constantFrom(...MANIFEST_KEYS)],
      [6, word],
      [2, doubleQuoted],
      [2, singleQuoted],
    ],
    [
      [1, fc.constantFrom('a b', '? a', '-a', '"a" ', 'a ', '&k a', '*k', '!!str a', '[a]', '{a: 1}', 'a'.repeat(1030))],
      [1, fc.tuple(word, odd).map(([w, c]) => w + c)],
    ],
  );
  const gap = choose(
    [[40, fc.constant(' ')]],
    [
      [2, fc.constantFrom('', '  ')],
      [1, odd],
    ],
  );
  const comment = choose(
    [[20, fc.constant('')]],
    [
      [2, fc.constantFrom(' # c', '  #', ' ')],
      [1, fc.constant('# c')],
    ],
  );
  const tree = fc.letrec<{ node: YamlNode; map: YamlNode; seq: YamlNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 6, arbitrary: inlineScalar },
      { weight: 2, arbitrary: blockScalar },
      { weight: 3, arbitrary: tie('map') },
      { weight: 2, arbitrary: tie('seq') },
    ),
    map: (noisy ? fc.array : fc.uniqueArray)(
      fc.record({
        key,
        gap,
        value: tie('node'),
        delta: fc.oneof({ weight: 4, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }) }),
        comment,
        anchor: fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' &a', ' &b', ' &x-1') }),
      }),
      { minLength: 1, maxLength: 4, selector: (e: { key: string }) => e.key },
    ).map((entries): YamlNode => ({ t: 'map', entries })),
    seq: fc
      .array(
        fc.record({
          value: tie('node'),
          gap: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: noisy ? 0 : 1, max: 3 }) }),
          delta: fc.oneof({ weight: 4, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }) }),
          compact: fc.boolean(),
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((items): YamlNode => ({ t: 'seq', items })),
  }));
  // Some documents open with anchored values, so that the aliases below them resolve.
  const base = (value: YamlNode, anchor: string) => ({ key: 'base', gap: ' ', value, delta: 2, comment: '', anchor });
  const opening = fc.constantFrom(
    [],
    [],
    [base({ t: 'scalar', text: '&a x' }, '')],
    [base({ t: 'scalar', text: '&a [1, two]' }, ''), { ...base({ t: 'scalar', text: '&b {k: v}' }, ''), key: 'base2' }],
    [base({ t: 'map', entries: [{ key: 'k', gap: ' ', value: { t: 'scalar', text: '1' }, delta: 2, comment: '', anchor: '' }] }, ' &a')],
    [base({ t: 'seq', items: [{ value: { t: 'scalar', text: '&x-1 y' }, gap: 1, delta: 2, compact: false }] }, ' &b')],
  );
  const anchoredMap = fc
    .tuple(tree.map, opening)
    .map(([m, first]): YamlNode => (m.t === 'map' && !m.entries.some((e) => e.key.startsWith('base')) ? { t: 'map', entries: [...first, ...m.entries] } : m));
  return fc.oneof({ weight: 24, arbitrary: anchoredMap }, { weight: 8, arbitrary: tree.seq }, { weight: 1, arbitrary: tree.node });
}

/** Render a node whose first line starts at `indent`. */
function render(n: YamlNode, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (n.t === 'scalar') return [pad + n.text];
  if (n.t === 'block') return [pad + n.header, ...blockBody(n, indent)];
  if (n.t === 'map') {
    const out: string[] = [];
    for (const e of n.entries) {
      const v = e.value;
      if (v.t === 'scalar') out.push(`${pad}${e.key}:${e.gap}${v.text}`);
      else if (v.t === 'block') out.push(`${pad}${e.key}:${e.gap}${v.header}`, ...blockBody(v, indent));
      else out.push(`${pad}${e.key}:${e.anchor}${e.comment}`, ...render(v, indent + (v.t === 'map' ? Math.max(e.delta, 1) : e.delta)));
    }
    return out;
  }
  const out: string[] = [];
  for (const it of n.items) {
    const v = it.value;
    const dash = `${pad}-${' '.repeat(it.gap)}`;
    if (v.t === 'scalar') out.push(dash + v.text);
    else if (v.t === 'block') out.push(dash + v.header, ...blockBody(v, indent));
    else if (it.compact) {
      // `- key: value` / `- - item`: the first line of the nested node shares the dash's line.
      const inner = render(v, indent + 1 + it.gap);
      out.push(dash + inner[0].slice(indent + 1 + it.gap), ...inner.slice(1));
    } else out.push(`${pad}-`, ...render(v, indent + Math.max(it.delta, 1)));
  }
  return out;
}

function blockBody(b: Block, indent: number): string[] {
  return b.lines.map(([extra, text]) => (text === '' ? '' : ' '.repeat(Math.max(0, indent + b.delta + extra)) + text));
}

/** Edits applied to the rendered lines: comment, blank and whitespace-only lines, odd characters, document markers. */
const edit = fc.record({
  at: fc.nat(),
  col: fc.nat(),
  what: fc.oneof(
    fc.constantFrom('# comment', '  # indented comment', '', '  ', ' ', '---', '--- # c', '...', '%YAML 1.2', '--- |', '--- a: 1', '  - x', '#'),
    fc.constantFrom(...ODD_CHARS).map((c) => ({ insert: c })),
    fc.constantFrom(
      { insert: ' ' },
      { insert: '#' },
      { insert: ' #' },
      { insert: ':' },
      { insert: '- ' },
      { insert: '"' },
      { trailing: '  ' },
      { trailing: ' # t' },
    ),
  ),
});

function stream(noisy: boolean): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(documents(noisy), { minLength: 1, maxLength: 2 }),
      fc.constantFrom('---', '--- # doc', '---\n# between', '---\n'),
      fc.boolean(),
      noisy ? fc.array(edit, { minLength: 1, maxLength: 2 }) : fc.constant([]),
      fc.constantFrom('\n', '', '\n\n', '\n# end\n'),
    )
    .map(([docs, sep, prelude, edits, end]) => {
      const lines: string[] = [];
      if (prelude) lines.push('# prelude', '---');
      docs.forEach((d, i) => {
        if (i > 0) lines.push(...sep.split('\n'));
        lines.push(...render(d, 0));
      });
      for (const e of edits) {
        const i = e.at % (lines.length + 1);
        if (typeof e.what === 'string') lines.splice(i, 0, e.what);
        else if (i < lines.length) {
          const l = lines[i];
          if ('insert' in e.what) {
            const c = e.col % (l.length + 1);
            lines[i] = l.slice(0, c) + e.what.insert + l.slice(c);
          } else lines[i] = l + e.what.trailing;
        }
      }
      return lines.join('\n') + end;
    });
}

/** A manifest-like YAML text: one to three documents, half of them well formed, half with noise and edits. */
export const manifestLikeYaml: fc.Arbitrary<string> = fc.oneof(stream(false), stream(true));
export const cleanYaml = stream(false);
