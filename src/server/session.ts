import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed cookies without server-side state, so that any replica accepts a session another one made:
 * `base64url(JSON payload).base64url(HMAC-SHA256(key, purpose + payload))`. The purpose keeps a
 * cookie made for one use (the login's state) from being taken for another (a session). Pure.
 */
export interface Sealed {
  /** Expiry, milliseconds since the epoch. */
  exp: number;
}

function mac(purpose: string, body: string, key: string): Buffer {
  return createHmac('sha256', key).update(`driftless:${purpose}:${body}`).digest();
}

export function seal<T extends Sealed>(purpose: string, payload: T, key: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(purpose, body, key).toString('base64url')}`;
}

/** The payload of a cookie this key sealed for this purpose and that has not expired; null otherwise. */
export function unseal<T extends Sealed>(purpose: string, value: string | undefined, key: string, now: number): T | null {
  if (!value || value.length > 4096) return null;
  const dot = value.indexOf('.');
  if (dot < 1) return null;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const want = mac(purpose, body, key);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    return typeof payload?.exp === 'number' && payload.exp > now ? payload : null;
  } catch {
    return null;
  }
}

/** The cookies of a `Cookie` header by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure on https; maxAgeS 0 removes it. */
export function cookie(name: string, value: string, o: { path: string; maxAgeS: number; secure: boolean }): string {
  return [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${o.maxAgeS}`, 'HttpOnly', 'SameSite=Lax', ...(o.secure ? ['Secure'] : [])].join('; ');
}

/** Where to go back to after the login: a path of this site only (no `//host`, no scheme), else `/`. */
export function safeNext(raw: string | undefined): string {
  if (!raw?.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.length > 2000) return '/';
  return /^[\x21-\x7e]+$/.test(raw) ? raw : '/';
}
