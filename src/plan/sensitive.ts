/** Masks of sensitive values: salted hashes that show a change without the value, and what they were made from. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Spec } from '../sdk/provider.js';
import { SENSITIVE_PREFIX, isSensitiveMask } from '../sdk/provider.js';
import { flatten, setPointer } from './values.js';

const MASK_RE = /^\(sensitive:sha256:([0-9a-f]+):([0-9a-f]{64})(?::v([0-9a-f]{64}))?(?::s([A-Za-z0-9_.-]+))?\)$/;

interface ParsedMask {
  salt: string;
  clear: string;
  visible?: string;
  secret?: string;
}

function parse(mask: unknown): ParsedMask | undefined {
  if (!isSensitiveMask(mask)) return undefined;
  const m = MASK_RE.exec(mask as string);
  return m ? { salt: m[1], clear: m[2], visible: m[3], secret: m[4] } : undefined;
}

export interface MaskSource {
  /**
   * The value as a plan sees it, when it holds other masks: a value taken by `!ref` from a
   * sensitive output is known to a plan only by that output's mask.
   */
  visible?: unknown;
  /** The secret the value is, when it is exactly one `!secret` (so a later read can re-resolve it). */
  secret?: string;
}

/**
 * A salted hash that state keeps instead of a sensitive value: enough to see a change, never the
 * value. It may also carry the hash of the value as plans see it, and the name of its secret.
 */
export function maskValue(clear: unknown, salt = randomBytes(12).toString('hex'), from: MaskSource = {}): string {
  const v = from.visible !== undefined ? `:v${hashWith(salt, from.visible)}` : '';
  const s = from.secret && /^[A-Za-z0-9_.-]+$/.test(from.secret) ? `:s${from.secret}` : '';
  return `${SENSITIVE_PREFIX}sha256:${salt}:${hashWith(salt, clear)}${v}${s})`;
}

/** Does a value hold a mask anywhere (a value as a plan sees it, rather than in clear)? */
export function containsMask(v: unknown): boolean {
  if (isSensitiveMask(v)) return true;
  if (v && typeof v === 'object') return Object.values(v).some(containsMask);
  return false;
}

/**
 * Is `candidate` the value `mask` was made from? A clear value is checked against the clear hash;
 * a value holding masks (as a plan sees it) against the hash of the value as plans saw it.
 */
export function matchesMask(candidate: unknown, mask: unknown): boolean {
  const m = parse(mask);
  if (!m) return false;
  const want = containsMask(candidate) ? m.visible : m.clear;
  if (!want) return false;
  const a = Buffer.from(hashWith(m.salt, candidate), 'hex');
  const b = Buffer.from(want, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function saltOf(mask: unknown): string | undefined {
  return parse(mask)?.salt;
}

/** The secret a mask was made from, when the value was exactly one `!secret`. */
export function secretOf(mask: unknown): string | undefined {
  return parse(mask)?.secret;
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

/**
 * A recorded spec with each mask made from a `!secret` replaced by that secret's value when it
 * still matches, so that a provider can find the object (a file whose path is a secret). Other
 * masks stay: providers treat them as unknown. Returns `spec` itself when nothing changes.
 */
export function unmaskSpec(spec: Spec, secret: (name: string) => string | undefined): Spec {
  let out: Record<string, unknown> | undefined;
  for (const [p, v] of flatten(spec, '')) {
    const name = secretOf(v);
    if (!name) continue;
    const clear = secret(name);
    if (clear === undefined || !matchesMask(clear, v)) continue;
    out ??= structuredClone(spec) as Record<string, unknown>;
    setPointer(out, p, clear);
  }
  return (out as Spec | undefined) ?? spec;
}
