import type { DiffEntry } from '../model.js';

export const SENSITIVE_TEXT = '(sensitive value)';
export const UNKNOWN_TEXT = '(known after apply)';
const MAX = 160;

/** One value as people read it: JSON, cut when long. */
export function formatValue(v: unknown): string {
  const text = JSON.stringify(v) ?? 'null';
  if (text.length <= MAX) return text;
  return `${text.slice(0, MAX)}… (${text.length - MAX} more characters)`;
}

export function formatBefore(e: DiffEntry): string {
  if (e.sensitive) return SENSITIVE_TEXT;
  return e.before === undefined ? '(none)' : formatValue(e.before);
}

export function formatAfter(e: DiffEntry): string {
  if (e.unknown) return UNKNOWN_TEXT;
  if (e.sensitive) return SENSITIVE_TEXT;
  return e.after === undefined ? '(none)' : formatValue(e.after);
}

/** `/spec/content: "a" -> "b"`, `+ /spec/mode = "0644"`, `- /spec/x`. */
export function formatDiffLine(e: DiffEntry, action?: string): { sign: '+' | '-' | '~'; text: string } {
  if (e.sensitive && action === 'create') return { sign: '+', text: `${e.path} = ${e.unknown ? UNKNOWN_TEXT : SENSITIVE_TEXT}` };
  if (e.sensitive && action === 'delete') return { sign: '-', text: `${e.path} (was ${SENSITIVE_TEXT})` };
  if (e.sensitive) return { sign: '~', text: `${e.path}: ${e.unknown ? UNKNOWN_TEXT : SENSITIVE_TEXT}` };
  if (e.before === undefined) return { sign: '+', text: `${e.path} = ${formatAfter(e)}` };
  if (e.after === undefined && !e.unknown) return { sign: '-', text: `${e.path} (was ${formatBefore(e)})` };
  return { sign: '~', text: `${e.path}: ${formatBefore(e)} -> ${formatAfter(e)}` };
}

export const ACTION_SIGN: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
