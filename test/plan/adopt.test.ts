import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { adoptDrift, adoptMessage, type AdoptResource } from '../../src/plan/adopt.js';
import { setValueAt } from '../../src/manifests/edit.js';
import { customTags } from '../../src/manifests/yaml.js';
import type { DriftEntry } from '../../src/plan/model.js';

/** Lines that differ between two texts of the same number of lines, as [line number, before, after]. */
function changedLines(a: string, b: string): [number, string, string][] {
  const x = a.split('\n');
  const y = b.split('\n');
  expect(y.length).toBe(x.length);
  return x.flatMap((l, i) => (l === y[i] ? [] : [[i + 1, l, y[i]] as [number, string, string]]));
}

/** The resources of a file as the loader gives them (spec as declared). */
function resources(file: string, text: string): Map<string, AdoptResource> {
  const out = new Map<string, AdoptResource>();
  parseAllDocuments(text, { customTags }).forEach((d, docIndex) => {
    const v = d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> } | null;
    if (!v?.kind) return;
    const id = `${v.kind}/${v.metadata?.name}`;
    out.set(id, { id, spec: v.spec ?? {}, loc: { file, docIndex } });
  });
  return out;
}

const SITE = `# The web site.
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: index            # the home page
spec:
  path: www/index.html   # keep in sync with nginx
  # what visitors see
  content: |
    hello
  mode: "0644"
---
# A second document, left byte for byte.
apiVersion: fs.driftless.dev/v1
kind: Directory
metadata: { name: www }
spec: { path: www, mode: '0755' }
---
apiVersion: fs.driftless.dev/v1
kind: File
metadata:
  name: sum
spec:
  path: www/index.sha256
  content: !ref File/index.outputs.sha256
  mode: '0644'
`;

describe('adoptDrift', () => {
  it('writes the live values at their places and changes only those lines, keeping comments and quoting', () => {
    const drift: DriftEntry[] = [
      {
        id: 'File/index',
        diff: [
          { path: '/spec/content', before: 'hello\n', after: 'tampered\n' },
          { path: '/spec/mode', before: '0644', after: '0600' },
        ],
      },
      { id: 'Directory/www', diff: [{ path: '/spec/mode', before: '0755', after: '0700' }] },
    ];
    const r = adoptDrift({ drift, resources: resources('stacks/web/site.yaml', SITE), files: new Map([['stacks/web/site.yaml', SITE]]) });
    expect(r.notAdopted).toEqual([]);
    expect(r.adopted.map((a) => `${a.id} ${a.path} ${a.file}:${a.line}`)).toEqual([
      'File/index /spec/content stacks/web/site.yaml:9',
      'File/index /spec/mode stacks/web/site.yaml:11',
      'Directory/www /spec/mode stacks/web/site.yaml:17',
    ]);
    const out = r.files.get('stacks/web/site.yaml')!;
    expect(changedLines(SITE, out)).toEqual([
      [10, '    hello', '    tampered'],
      [11, '  mode: "0644"', '  mode: "0600"'],
      [17, "spec: { path: www, mode: '0755' }", "spec: { path: www, mode: '0700' }"],
    ]);
  });

  it('refuses what it cannot write back, with the reason and place', () => {
    const drift: DriftEntry[] = [
      { id: 'File/sum', diff: [{ path: '/spec/content', before: 'abc', after: 'def' }] },
      { id: 'File/key', diff: [{ path: '/spec/content', sensitive: true }] },
      { id: 'Symlink/home', diff: [], gone: true },
      { id: 'File/index', diff: [{ path: '/spec/mode', before: '0640', after: '0600' }] },
    ];
    const res = resources('site.yaml', SITE);
    res.set('File/key', { id: 'File/key', spec: { path: 'k' }, loc: { file: 'site.yaml', docIndex: 3 }, sensitive: ['/spec/content'] });
    const r = adoptDrift({ drift, resources: res, files: new Map([['site.yaml', SITE]]) });
    expect(r.files.size).toBe(0);
    expect(r.adopted).toEqual([]);
    expect(r.notAdopted).toEqual([
      { id: 'File/sum', path: '/spec/content', at: 'site.yaml', reason: 'the manifest takes it with !ref from another resource' },
      { id: 'File/key', path: '/spec/content', at: 'site.yaml', reason: 'sensitive: its value is never shown or written' },
      { id: 'Symlink/home', reason: 'deleted outside driftless: nothing live to adopt (apply to create it again, or remove its manifest)' },
      {
        id: 'File/index',
        path: '/spec/mode',
        at: 'site.yaml',
        reason: 'the manifest changed since the applied commit (it now says "0644", "0640" was applied); left to that change',
      },
    ]);
  });

  it('says in the commit message what is written back and what is not, with why', () => {
    const drift: DriftEntry[] = [
      { id: 'File/index', diff: [{ path: '/spec/mode', before: '0644', after: '0600' }] },
      { id: 'Symlink/home', diff: [], gone: true },
    ];
    const r = adoptDrift({ drift, resources: resources('site.yaml', SITE), files: new Map([['site.yaml', SITE]]) });
    expect(adoptMessage('web', 'a'.repeat(40), r)).toBe(
      [
        'Adopt drift of stack web',
        '',
        'driftless found the live state of stack web different from what was applied (at aaaaaaaaaaaa).',
        'This commit writes the live value back into the manifests, so the next plan is empty.',
        '',
        'Written back:',
        '- File/index /spec/mode = "0600" (site.yaml:11)',
        '',
        'Not written back (change these by hand, or apply to restore them):',
        '- Symlink/home: deleted outside driftless: nothing live to adopt (apply to create it again, or remove its manifest)',
        '',
      ].join('\n'),
    );
  });

  it('adds a field the manifest left to its default, as the last key of its map', () => {
    const text = 'kind: File\nmetadata:\n  name: a\nspec:\n  path: a.txt # the file\n\n# trailing comment\n';
    const res = new Map([['File/a', { id: 'File/a', spec: { path: 'a.txt', mode: '0644' }, loc: { file: 'a.yaml', docIndex: 0 } }]]);
    const r = adoptDrift({
      drift: [{ id: 'File/a', diff: [{ path: '/spec/mode', before: '0644', after: '0600' }] }],
      resources: res,
      files: new Map([['a.yaml', text]]),
    });
    expect(r.files.get('a.yaml')).toBe('kind: File\nmetadata:\n  name: a\nspec:\n  path: a.txt # the file\n  mode: "0600"\n\n# trailing comment\n');
  });
});

describe('setValueAt', () => {
  it('edits flow maps and lists, block lists and plain scalars in their own style', () => {
    const text = 'spec:\n  a: { x: 1, y: plain }  # c\n  b: [1, 2]\n  c:\n    - one # first\n    - two\n  d: abc\n';
    let t = text;
    for (const [path, v] of [
      [['spec', 'a', 'y'], 'other'],
      [['spec', 'b'], [3]],
      [
        ['spec', 'c'],
        ['three', 'four'],
      ],
      [['spec', 'd'], '0755'],
      [['spec', 'a', 'x'], true],
    ] as const) {
      const r = setValueAt(t, 0, [...path], v as never);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) t = r.text;
    }
    // A plain scalar that would read as a number is quoted; the list's comment went with its items.
    expect(t).toBe('spec:\n  a: { x: true, y: other }  # c\n  b: [3]\n  c:\n    - three\n    - four\n  d: "0755"\n');
  });

  it('keeps the indentation of a block scalar, and its other lines', () => {
    const text = 'spec:\n  content: |  # text\n      one\n      two\n  mode: "0644"\n';
    const r = setValueAt(text, 0, ['spec', 'content'], 'one\nthree\n');
    expect(r).toMatchObject({ ok: true, line: 2 });
    if (r.ok) expect(changedLines(text, r.text)).toEqual([[4, '      two', '      three']]);
    const items = '- |\n  a\n- b\n';
    const s = setValueAt(items, 0, [0], 'c\n');
    expect(s).toMatchObject({ ok: true, text: '- |\n  c\n- b\n' });
    // Without a final newline the literal block keeps its style with the strip indicator.
    expect(setValueAt(items, 0, [0], 'c')).toMatchObject({ ok: true, text: '- |-\n  c\n- b\n' });
  });

  it('edits a JSON manifest as JSON', () => {
    const text = '{\n  "kind": "File",\n  "spec": {"path": "a", "content": "x"}\n}\n';
    const r = setValueAt(text, 0, ['spec', 'content'], 'y\n');
    expect(r).toMatchObject({ ok: true, text: '{\n  "kind": "File",\n  "spec": {"path": "a", "content": "y\\n"}\n}\n' });
    const m = setValueAt(text, 0, ['spec', 'mode'], '0600');
    expect(m).toMatchObject({ ok: true, text: '{\n  "kind": "File",\n  "spec": {"path": "a", "content": "x", "mode": "0600"}\n}\n' });
    if (m.ok) expect(JSON.parse(m.text)).toEqual({ kind: 'File', spec: { path: 'a', content: 'x', mode: '0600' } });
  });

  it('refuses tags and aliases', () => {
    const text = 'a: &v one\nb: *v\nc: !secret KEY\n';
    expect(setValueAt(text, 0, ['b'], 'x')).toMatchObject({ ok: false, reason: expect.stringContaining('alias (*v)'), line: 2 });
    expect(setValueAt(text, 0, ['a'], 'x')).toMatchObject({ ok: false, reason: expect.stringContaining('anchored (&v)'), line: 1 });
    expect(setValueAt(text, 0, ['c'], 'x')).toMatchObject({ ok: false, reason: 'the value is a !secret', line: 3 });
  });

  it('keeps the other documents of a file byte for byte', () => {
    const docs = ['a: 1 # one\n', '# two\nb:   2\n', "c: 'three'\n"];
    const text = docs.join('---\n');
    const r = setValueAt(text, 1, ['b'], 5);
    expect(r).toMatchObject({ ok: true });
    if (r.ok) expect(r.text).toBe([docs[0], '# two\nb:   5\n', docs[2]].join('---\n'));
  });
});
