import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, fingerprintOf, knownFingerprints, parseKnownHosts } from '../../src/providers/host/hostkey.js';
import { inventoryOf, selectHosts } from '../../src/providers/host/inventory.js';
import { pathProblem, quote, shCommand } from '../../src/providers/host/shell.js';
import { withLine } from '../../src/providers/host/kinds/line.js';
import { versionMatches } from '../../src/providers/host/kinds/package.js';
import { parseReadOutput, readScript } from '../../src/providers/host/session.js';
import { renderTemplate, templateProblem } from '../../src/providers/host/template.js';
import { expandResources } from '../../src/plan/expand.js';
import { hostProvider } from '../../src/providers/host/index.js';
import { Ref } from '../../src/manifests/values.js';
import type { LocatedResource } from '../../src/manifests/loader.js';

describe('host provider: pure parts', () => {
  it('quotes any value into one sh word that sh reads back unchanged', () => {
    for (const v of ["it's", 'a "b"', '; rm -rf /', '$(id)', '`id`', 'new\nline', 'né😀', '', "'", "''\\'"]) {
      expect(execFileSync('sh', ['-c', `printf %s ${quote(v)}`], { encoding: 'utf8' })).toBe(v);
    }
    expect(execFileSync('sh', ['-c', shCommand('printf "%s|%s" "$1" "$2"', ['a b', "c'd"])], { encoding: 'utf8' })).toBe("a b|c'd");
    expect(() => quote('a\0b')).toThrow(/NUL/);
  });

  it('refuses relative, dotted and empty-segment paths', () => {
    expect(pathProblem('/etc/x')).toBeUndefined();
    expect(pathProblem('etc/x')).toMatch(/not an absolute path/);
    expect(pathProblem('/etc/../x')).toMatch(/"\.\." segment/);
    expect(pathProblem('/etc//x')).toMatch(/empty segment/);
    expect(pathProblem('/')).toMatch(/root directory/);
  });

  it('selects hosts by group, name, list or all, in inventory order, and names what is unknown', () => {
    const inv = inventoryOf({ name: 't', provider: 'host', hosts: { a: { groups: ['web'] }, b: { groups: ['db'] }, c: { groups: ['web', 'canary'] } } });
    expect(selectHosts('web', inv)).toEqual(['a', 'c']);
    expect(selectHosts(['canary', 'b'], inv)).toEqual(['b', 'c']);
    expect(selectHosts('all', inv)).toEqual(['a', 'b', 'c']);
    expect(selectHosts(['web', 'x'], inv)).toEqual({ path: '/hosts/1', message: expect.stringContaining('no host or group named "x"') });
    expect(selectHosts(undefined, inv)).toMatchObject({ path: '/hosts' });
  });

  it('pins host keys: a pinned key passes, an unknown or changed one is refused naming the host and both fingerprints', () => {
    const k1 = fingerprintOf(Buffer.from('key-one'));
    const k2 = fingerprintOf(Buffer.from('key-two'));
    expect(checkHostKey('web-1', k1, [k1], false)).toEqual({ ok: true });
    const changed = checkHostKey('web-1', k2, [k1], false);
    expect(changed.ok).toBe(false);
    expect(!changed.ok && changed.message).toContain(`host web-1: host key changed: it presented ${k2}, but it is pinned to ${k1}`);
    expect(checkHostKey('web-1', k2, [], false)).toMatchObject({ ok: false, message: expect.stringContaining('is not pinned') });
    expect(checkHostKey('web-1', k2, [], true)).toEqual({ ok: true });
    expect(checkHostKey('web-1', k2, [k1], true).ok).toBe(false);
  });

  it('reads plain and hashed known_hosts entries', () => {
    const blob = Buffer.from('a-host-key-blob').toString('base64');
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64')}`;
    const entries = parseKnownHosts(`# comment\nweb-1,10.0.0.4 ssh-ed25519 ${blob}\n${hashed} ssh-ed25519 ${blob}\n@revoked * ssh-rsa AAAA\n`);
    const fp = fingerprintOf(Buffer.from('a-host-key-blob'));
    expect(knownFingerprints(entries, ['web-1'])).toEqual([fp]);
    expect(knownFingerprints(entries, ['[10.0.0.5]:2222'])).toEqual([fp]);
    expect(knownFingerprints(entries, ['web-2'])).toEqual([]);
  });

  it('lineinfile: replaces the last match, appends when missing, removes every match', () => {
    expect(withLine('a=1\nb=2\n', { line: 'b=3', regexp: '^b=' })).toBe('a=1\nb=3\n');
    expect(withLine('a=1\n', { line: 'b=3', regexp: '^b=' })).toBe('a=1\nb=3\n');
    expect(withLine('', { line: 'x' })).toBe('x\n');
    expect(withLine('x\ny\nx\n', { line: 'x', state: 'absent' })).toBe('y\n');
    expect(withLine('b=1\nb=2\n', { line: 'b=3', regexp: '^b=' })).toBe('b=1\nb=3\n');
  });

  it('matches package versions exactly or by glob', () => {
    expect(versionMatches('1.22.*', '1.22.1-9+deb12u1')).toBe(true);
    expect(versionMatches('1.22.*', '1.24.0-1')).toBe(false);
    expect(versionMatches('1.22.1-9', '1.22.1-9')).toBe(true);
    expect(versionMatches('1.2+x*', '1.2+x5')).toBe(true);
  });

  it('builds one read script and parses its output back per resource', () => {
    const script = readScript(["echo 'a 1'", "echo 'b two words'"]);
    const out = execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });
    const fields = parseReadOutput(out, 2);
    expect(fields[0].get('a')).toBe('1');
    expect(fields[1].get('b')).toBe('two words');
  });

  it('renders templates without HTML escaping, and reports templates that do not parse', () => {
    expect(
      renderTemplate('{{host.name}} <{{vars.x}}> {{#host.groups}}[{{.}}]{{/host.groups}}', { name: 'w1', groups: ['a', 'b'], vars: {} }, { x: 'a&b' }),
    ).toBe('w1 <a&b> [a][b]');
    expect(templateProblem('{{#open}}')).toMatch(/does not parse/);
  });

  it('spreads a manifest over the hosts it selects, and points references at the same host', () => {
    const target = { name: 'fleet', provider: 'host', hosts: { w1: { groups: ['web'] }, w2: { groups: ['web'] }, d1: {} } };
    const loc = { file: 'm.yaml', oid: 'x', docIndex: 0, line: 1, col: 1 };
    const res = (kind: string, name: string, spec: Record<string, unknown>, extra: Partial<LocatedResource> = {}): LocatedResource => ({
      id: `${kind}/${name}`,
      apiVersion: 'host.driftless.dev/v1',
      kind,
      name,
      spec: spec as LocatedResource['spec'],
      dependsOn: [],
      protect: false,
      adopt: false,
      secretPaths: [],
      refs: [],
      loc,
      ...extra,
    });
    const ref = new Ref('Package/nginx', ['version']);
    const input = [
      res('Package', 'nginx', { hosts: 'web', name: 'nginx' }),
      res(
        'File',
        'v',
        { hosts: 'web', path: '/v', content: ref as never },
        { dependsOn: ['Package/nginx'], refs: [{ path: '/spec/content', ref }], secretPaths: ['/spec/content'] },
      ),
      res('File', 'd', { hosts: ['d1'], path: '/d' }, { dependsOn: ['Package/nginx'] }),
    ];
    const { resources, issues } = expandResources(input, () => (spec) => hostProvider.expand!(spec, target));
    expect(resources.map((r) => r.id)).toEqual(['Package/nginx@w1', 'Package/nginx@w2', 'File/v@w1', 'File/v@w2', 'File/d@d1']);
    expect(resources[0].spec).toEqual({ name: 'nginx' });
    expect(resources[0].spec).toBe(resources[1].spec);
    expect(resources[2].dependsOn).toEqual(['Package/nginx@w1']);
    expect(resources[3].refs[0].ref.target).toBe('Package/nginx@w2');
    expect((resources[3].spec.content as unknown as Ref).target).toBe('Package/nginx@w2');
    expect(issues).toEqual([expect.objectContaining({ message: 'Package/nginx does not select d1, which File/d selects: it cannot depend on it there' })]);
  });
});
