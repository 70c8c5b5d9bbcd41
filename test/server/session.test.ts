import { describe, expect, it } from 'vitest';
import { cookie, parseCookies, safeNext, seal, unseal } from '../../src/server/session.js';
import { PermissionCache } from '../../src/server/permission-cache.js';

const KEY = 'k'.repeat(40);

describe('signed cookies', () => {
  it('open with the key and purpose they were sealed with, until they expire', () => {
    const v = seal('session', { login: 'ada', exp: 2000 }, KEY);
    expect(unseal('session', v, KEY, 1000)).toEqual({ login: 'ada', exp: 2000 });
    expect(unseal('session', v, KEY, 2000)).toBeNull();
    expect(unseal('login-state', v, KEY, 1000)).toBeNull();
    expect(unseal('session', v, 'x'.repeat(40), 1000)).toBeNull();
    const [body, mac] = v.split('.');
    const other = Buffer.from(JSON.stringify({ login: 'bob', exp: 2000 })).toString('base64url');
    expect(unseal('session', `${other}.${mac}`, KEY, 1000)).toBeNull();
    for (const bad of [undefined, '', body, `.${mac}`, `${body}.`, `${body}.${mac}x`, 'a'.repeat(5000)]) expect(unseal('session', bad, KEY, 1000)).toBeNull();
  });

  it('are HttpOnly and SameSite=Lax, Secure on https; the Cookie header is read by name', () => {
    expect(cookie('s', 'v', { path: '/', maxAgeS: 60, secure: false })).toBe('s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
    expect(cookie('s', '', { path: '/', maxAgeS: 0, secure: true })).toBe('s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
    expect([...parseCookies('a=1; b=x.y=; a=2; junk')]).toEqual([
      ['a', '1'],
      ['b', 'x.y='],
    ]);
  });

  it('send the user back only to a path of this site', () => {
    expect(safeNext('/runs/3?x=1')).toBe('/runs/3?x=1');
    for (const bad of [undefined, '', 'https://evil.example', '//evil.example/', '/\\evil.example', '/a b']) expect(safeNext(bad)).toBe('/');
  });
});

describe('permission cache', () => {
  it('asks once per user while the answer is fresh, shares a question in flight, and forgets errors', async () => {
    let t = 0;
    const asked: string[] = [];
    let fail = false;
    const cache = new PermissionCache(
      1000,
      async (u) => {
        asked.push(u);
        if (fail) throw new Error('GitHub is down');
        return { allowed: u !== 'mallory', role: u === 'mallory' ? 'none' : 'read' };
      },
      () => t,
    );
    const [x, y] = await Promise.all([cache.get('ada'), cache.get('ada')]);
    expect(x).toEqual({ allowed: true, role: 'read' });
    expect(y).toBe(x);
    expect((await cache.get('mallory')).allowed).toBe(false);
    t = 999;
    await cache.get('ada');
    expect(asked).toEqual(['ada', 'mallory']);
    t = 1000;
    fail = true;
    await expect(cache.get('ada')).rejects.toThrow('down');
    fail = false;
    expect((await cache.get('ada')).allowed).toBe(true);
    expect(asked).toEqual(['ada', 'mallory', 'ada', 'ada']);
  });
});
