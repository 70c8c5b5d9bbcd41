/**
 * Turning pg / network failures into ProviderErrors a user can act on. Messages name the server
 * (host:port), the statement and the missing privilege; they never contain the password or the URL.
 */
import { ProviderError } from '../../sdk/provider.js';

/** What a statement is, for error messages. `label` must never contain a secret. */
export interface Op {
  resourceId?: string;
  /** Short text of the statement, e.g. `CREATE ROLE "app"` (no password). */
  label?: string;
  /** The privilege the statement needs, e.g. `the CREATEROLE attribute`. */
  need?: string;
}

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  errors?: unknown[];
}

/** Raised when the database a connection is for does not exist (SQLSTATE 3D000). */
export class MissingDatabaseError extends ProviderError {
  constructor(
    readonly database: string,
    resourceId?: string,
  ) {
    super(`database ${JSON.stringify(database)} does not exist`, resourceId);
    this.name = 'MissingDatabaseError';
  }
}

export function causeOf(err: unknown): string {
  const e = err as PgLikeError;
  if (e && typeof e === 'object') {
    if (e.message) return e.message;
    if (Array.isArray(e.errors) && e.errors.length) return e.errors.map(causeOf).join('; ');
    if (e.code) return e.code;
  }
  return String(err);
}

export function sqlState(err: unknown): string | undefined {
  const code = (err as PgLikeError)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failure to obtain a connection (network, authentication, missing database). */
export function connectError(err: unknown, where: string, user: string, database: string, op: Op): ProviderError {
  if (err instanceof ProviderError) return err;
  if (sqlState(err) === '3D000') return new MissingDatabaseError(database, op.resourceId);
  return new ProviderError(
    `cannot connect to PostgreSQL at ${where} (database ${JSON.stringify(database)}, user ${JSON.stringify(user)}): ${causeOf(err)}`,
    op.resourceId,
  );
}

/** A statement the server refused; keeps SQLSTATE and detail so a kind can explain known cases. */
export class StatementError extends ProviderError {
  constructor(
    message: string,
    resourceId: string | undefined,
    readonly code?: string,
    readonly detail?: string,
  ) {
    super(message, resourceId);
    this.name = 'ProviderError';
  }
}

/** A failed statement. */
export function statementError(err: unknown, user: string, database: string, op: Op): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as PgLikeError;
  const label = op.label ?? 'statement';
  const state = sqlState(err);
  const detail = e?.detail ? ` (${e.detail})` : '';
  const hint = e?.hint ? ` Hint: ${e.hint}` : '';
  if (state === '42501') {
    const need = op.need ? `; it needs ${op.need}` : '';
    return new StatementError(
      `permission denied: ${label} in database ${JSON.stringify(database)} as user ${JSON.stringify(user)}${need}. PostgreSQL said: ${causeOf(err)}${detail}`,
      op.resourceId,
      state,
      e?.detail,
    );
  }
  if (state && /^(08|57P0)/.test(state)) {
    return new ProviderError(`lost the connection to PostgreSQL during ${label}: ${causeOf(err)}`, op.resourceId);
  }
  const code = state ? ` [SQLSTATE ${state}]` : '';
  return new StatementError(`${label} failed: ${causeOf(err)}${detail}${hint}${code}`, op.resourceId, state, e?.detail);
}

/** Add a resource id to an error raised for a whole batch, when it has none. */
export function withResource(err: unknown, resourceId: string): unknown {
  if (err instanceof ProviderError && err.resourceId === undefined) {
    const copy = new ProviderError(err.message, resourceId);
    return copy;
  }
  return err;
}
