import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SENSITIVE_PREFIX, isSensitiveMask } from '../sdk/provider.js';

/** A salted hash that state keeps instead of a sensitive value: enough to see a change, never the value. */
export function maskValue(clear: unknown, salt = randomBytes(12).toString('hex')): string {
  return `${SENSITIVE_PREFIX}sha256:${salt}:${hashWith(salt, clear)})`;
}

export function matchesMask(clear: unknown, mask: unknown): boolean {
  if (!isSensitiveMask(mask)) return false;
  const m = /^\(sensitive:sha256:([0-9a-f]+):([0-9a-f]{64})\)$/.exec(mask as string);
  if (!m) return false;
  const a = Buffer.from(hashWith(m[1], clear), 'hex');
  const b = Buffer.from(m[2], 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function saltOf(mask: unknown): string | undefined {
  if (!isSensitiveMask(mask)) return undefined;
  return /^\(sensitive:sha256:([0-9a-f]+):/.exec(mask as string)?.[1];
}

function hashWith(salt: string, clear: unknown): string {
  return createHash('sha256')
    .update(salt)
    .update('\0')
    .update(JSON.stringify(clear) ?? 'undefined')
    .digest('hex');
}

/** Is `pointer` sensitive given the sensitive pointers of its resource (itself, above, or below one)? */
export function isSensitivePath(pointer: string, sensitive: readonly string[]): boolean {
  for (const s of sensitive) {
    if (pointer === s || pointer.startsWith(s + '/') || s.startsWith(pointer + '/')) return true;
  }
  return false;
}
