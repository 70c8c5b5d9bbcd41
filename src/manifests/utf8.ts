/** Strict UTF-8 for manifest blobs: a byte that is not UTF-8 is an error at its line and column, never a silent U+FFFD. */
import { isUtf8 } from 'node:buffer';
import type { Diagnostic } from './diagnostics.js';

/** The text of a blob, or where its first invalid byte is. Pure. */
export function decodeUtf8(file: string, bytes: Uint8Array): { text: string } | { error: Diagnostic } {
  const error = utf8Error(file, bytes);
  return error ? { error } : { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
}

/** The error for the first byte of `bytes` that does not start or continue a well-formed UTF-8 sequence, or null. */
export function utf8Error(file: string, bytes: Uint8Array): Diagnostic | null {
  if (isUtf8(bytes)) return null;
  const at = firstInvalidByte(bytes);
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Columns count UTF-16 code units, as the YAML parser's positions do; the bytes before `at` are valid.
  const col = Buffer.from(bytes.buffer, bytes.byteOffset + lineStart, at - lineStart).toString('utf8').length + 1;
  const hex = bytes[at].toString(16).toUpperCase().padStart(2, '0');
  return { file, line, col, message: `invalid UTF-8 byte 0x${hex}` };
}

/**
 * Offset of the first byte of the first ill-formed sequence (Unicode 15, table 3-7: no overlong
 * forms, no surrogates, nothing past U+10FFFF, no truncated sequence), or bytes.length if none.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < bytes.length && bytes[i] >= lo && bytes[i] <= hi;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let n: number;
    if (b < 0x80) n = 1;
    else if (b >= 0xc2 && b <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) n = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if (b === 0xed) n = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (b >= 0xe1 && b <= 0xef) n = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) n = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) n = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) n = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else n = 0; // 0x80–0xC1 (a stray continuation or an overlong lead), 0xF5–0xFF
    if (n === 0) return i;
    i += n;
  }
  return i;
}
