import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../src/manifests/yaml.js';
import { Ref, SecretRef } from '../../src/manifests/values.js';

const messages = (src: string) => parseManifestFile('m.yaml', src).diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);

describe('parseManifestFile: what yaml lets through is an error in a manifest', () => {
  it('refuses a tag it cannot resolve, instead of keeping the bare value', () => {
    const r = parseManifestFile('m.yaml', 'spec:\n  password: !sercet DB_PASS\n');
    expect(r.docs).toEqual([]);
    expect(messages('spec:\n  password: !sercet DB_PASS\n')).toEqual([
      "2:13 Unresolved tag: !sercet (manifests take !ref, !secret and the YAML 1.2 core schema's tags)",
    ]);
  });

  it('refuses YAML 1.1 types whose values are not JSON', () => {
    expect(messages('a: !!set\n  ? x\n')[0]).toMatch(/^1:4 Unresolved tag: tag:yaml.org,2002:set/);
    expect(messages('a: !!binary aGk=\n')[0]).toMatch(/^1:4 Unresolved tag: tag:yaml.org,2002:binary/);
    expect(messages('a: !!timestamp 2001-12-14\n')[0]).toMatch(/^1:4 Unresolved tag: tag:yaml.org,2002:timestamp/);
    expect(parseManifestFile('m.yaml', 'a: !!str 0x10\nb: !!int "7"\n').docs[0].value).toEqual({ a: '0x10', b: 7 });
  });

  it('takes !ref and !secret values as written, without trimming what YAML keeps', () => {
    const ok = parseManifestFile('m.yaml', 'a: !ref File/x.outputs.sha256\nb: !secret DB_PASS\nc: !secret "DB_PASS"\n');
    expect(ok.diagnostics).toEqual([]);
    expect(ok.docs[0].value).toEqual({ a: new Ref('File/x', ['sha256']), b: new SecretRef('DB_PASS'), c: new SecretRef('DB_PASS') });
    expect(messages('b: !secret DB_PASS\u00a0\n')).toEqual(['1:4 !secret takes a name of letters, digits and _, got "DB_PASS\u00a0"']);
    expect(messages('b: !secret " DB_PASS"\n')).toEqual(['1:4 !secret takes a name of letters, digits and _, got " DB_PASS"']);
    expect(messages('a: !ref File/x.outputs.sha256\u3000\n')[0]).toMatch(/^1:4 !ref must look like Kind\/name\.outputs\.field/);
  });

  it('refuses directives with no document and a repeated %YAML directive', () => {
    expect(messages('%YAML 1.2\n')).toEqual(['2:1 Missing directives-end indicator line']);
    expect(messages('%YAML 1.2\n%YAML 1.2\n---\na: 1\n')).toEqual(['2:1 repeated %YAML directive: a document takes at most one']);
    expect(parseManifestFile('m.yaml', '%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n').docs.map((d) => d.value)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('still reads an empty file, and one of only comments, as no documents', () => {
    expect(parseManifestFile('m.yaml', '')).toEqual({ docs: [], diagnostics: [] });
    expect(parseManifestFile('m.yaml', '# nothing\n')).toEqual({ docs: [], diagnostics: [] });
    expect(parseManifestFile('m.yaml', '%TAG ! tag:x,2000:\n# only a comment\n').diagnostics.length).toBe(1);
  });
});
