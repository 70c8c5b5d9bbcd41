import { describe, expect, it } from 'vitest';
import { containsMask, maskValue, matchesMask, secretOf, unmaskSpec } from '../../src/plan/sensitive.js';
import { maskOutputs, maskSpec } from '../../src/apply/record.js';
import { SecretRef } from '../../src/manifests/values.js';

describe('masks', () => {
  it('match the clear value, and the value as plans see it only when one was given', () => {
    const upstream = maskValue('clear-secret');
    const m = maskValue('clear-secret', undefined, { visible: upstream });
    expect(matchesMask('clear-secret', m)).toBe(true);
    expect(matchesMask(upstream, m)).toBe(true);
    expect(matchesMask(maskValue('clear-secret'), m)).toBe(false); // another mask of the same value
    expect(matchesMask(upstream, maskValue('clear-secret'))).toBe(false); // no visible hash recorded
    expect(matchesMask('other', m)).toBe(false);
    expect(containsMask({ a: [upstream] })).toBe(true);
    expect(containsMask({ a: ['x'] })).toBe(false);
  });

  it('keep a secret name, which lets a read give the secret back in clear while it still matches', () => {
    const m = maskValue('p4ssword-path', undefined, { secret: 'APP_SECRET' });
    expect(secretOf(m)).toBe('APP_SECRET');
    const spec = { path: m, content: 'x' };
    expect(unmaskSpec(spec, (n) => (n === 'APP_SECRET' ? 'p4ssword-path' : undefined))).toEqual({ path: 'p4ssword-path', content: 'x' });
    expect(unmaskSpec(spec, () => 'rotated-value')).toBe(spec); // no longer the recorded value: left masked
    expect(unmaskSpec({ path: maskValue('v') }, () => 'v')).toEqual({ path: expect.stringMatching(/^\(sensitive:/) }); // no name: stays
  });

  it('maskSpec records the secret name and the plan-side hash, and keeps a prior mask that still matches', () => {
    const upstream = maskValue('derived-value');
    const manifest = { path: new SecretRef('S'), content: 'ref' } as never;
    const first = maskSpec(
      { path: 'the-secret', content: 'derived-value' },
      ['/spec/path', '/spec/content'],
      undefined,
      { path: 'the-secret', content: upstream },
      manifest,
    );
    expect(secretOf(first.path)).toBe('S');
    expect(matchesMask(upstream, first.content)).toBe(true);
    expect(matchesMask('derived-value', first.content)).toBe(true);
    const again = maskSpec(
      { path: 'the-secret', content: 'derived-value' },
      ['/spec/path', '/spec/content'],
      first,
      { path: 'the-secret', content: upstream },
      manifest,
    );
    expect(again).toEqual(first);
  });

  it('maskOutputs masks the outputs derived from sensitive fields, and any output that carries a revealed value', () => {
    const out = maskOutputs({ path: 'secret-path', sha256: 'abc', oid: 7 }, ['path'], []);
    expect(out.path).toMatch(/^\(sensitive:/);
    expect(out.sha256).toBe('abc');
    expect(maskOutputs({ echo: 'prefix-hunter22', oid: 7 }, [], ['hunter22']).echo).toMatch(/^\(sensitive:/);
    const all = maskOutputs({ a: 1, b: 'x' }, ['*'], []);
    expect(Object.values(all).every((v) => typeof v === 'string' && v.startsWith('(sensitive:'))).toBe(true);
    expect(maskOutputs({ path: 'secret-path' }, ['path'], [], out)).toEqual({ path: out.path });
  });
});
