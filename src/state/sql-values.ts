/** Values as they come back from PGlite or node-postgres (jsonb may be text; timestamps Date or text). */

export function parseJson(v: unknown): unknown {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v ?? null;
}

export function toIso(v: unknown): string;
export function toIso(v: unknown, nullable: true): string | null;
export function toIso(v: unknown, nullable?: boolean): string | null {
  if (nullable && (v === null || v === undefined)) return null;
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}
