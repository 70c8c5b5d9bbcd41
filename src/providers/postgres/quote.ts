/**
 * Quoting. Every identifier and literal that reaches SQL goes through `ident` / `literal` (the
 * exact output of pg's `escapeIdentifier` / `escapeLiteral`, written here so that loading the
 * provider, to validate manifests, never loads pg) or a bind parameter; nothing is concatenated raw.
 * A unit test compares both with pg's over tricky inputs.
 */
import { ProviderError } from '../../sdk/provider.js';

/** PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 bytes; we refuse them instead. */
export const MAX_IDENTIFIER_BYTES = 63;

/** A quoted identifier: `"name"`, with embedded quotes doubled. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A quoted string literal: `'text'` with quotes doubled, or ` E'...'` (pg's leading space
 * included) with backslashes doubled too when it holds one, so it reads the same whatever
 * `standard_conforming_strings` is.
 */
export function literal(value: string): string {
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `"schema"."object"` */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** An integer for a clause such as CONNECTION LIMIT; anything else is a bug upstream. */
export function integer(value: unknown, what: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ProviderError(`${what} must be an integer`);
  return String(value);
}

/** Refuse names PostgreSQL would silently truncate or reject. */
export function checkName(name: string, what: string, resourceId?: string): string {
  if (name.length === 0) throw new ProviderError(`${what} must not be empty`, resourceId);
  if (name.includes('\0')) throw new ProviderError(`${what} must not contain a NUL character`, resourceId);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new ProviderError(
      `${what} ${JSON.stringify(name)} is ${bytes} bytes long; PostgreSQL identifiers hold at most ${MAX_IDENTIFIER_BYTES} bytes`,
      resourceId,
    );
  }
  return name;
}

/**
 * One part of a natural key: as is when plain, else double-quoted like an SQL identifier,
 * so `a.b` + `c` and `a` + `b.c` never collide.
 */
export function keyPart(name: string): string {
  return /^[^."\s]+$/u.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The natural key of an object inside a database: `database.name`. */
export function dbKey(database: string, name: string): string {
  return `${keyPart(database)}.${keyPart(name)}`;
}
