/**
 * The path reads of a host's read script, batched: one `find` prints the type, mode, owner, group
 * and size of every managed path, and one `cat | base64` the content of every regular file, split
 * back by those sizes. Reading 100 files costs two processes on the host instead of three each,
 * which is what a refresh of a large fleet waits for. Pure: the script part and its parser.
 *
 * Each path gives the same fields a per-path snippet prints (`stat TYPE|MODE|OWNER|GROUP`, and
 * `content BASE64` for a regular file that is not a symlink), so the kinds observe them alike.
 */
import { quote } from './shell.js';

export interface PathRead {
  path: string;
  content: boolean;
}

const TYPES: Record<string, string> = {
  f: 'regular file',
  d: 'directory',
  l: 'symbolic link',
  p: 'fifo',
  s: 'socket',
  c: 'character special file',
  b: 'block special file',
};

/** The section markers, with a nonce no path, content or snippet output can hold by chance or design. */
function markers(nonce: string) {
  if (!/^[0-9a-f]{16,}$/.test(nonce)) throw new Error('the batch nonce must be 16 or more hex digits');
  return { STAT: `@@stat-${nonce}`, LIST: `@@list-${nonce}`, DATA: `@@data-${nonce}`, END: `@@end-${nonce}` };
}

/** The script part that reads `paths` (absolute): it prints after the snippets' output. */
export function batchScript(reads: PathRead[], nonce: string): string {
  if (!reads.length) return '';
  const { STAT, LIST, DATA, END } = markers(nonce);
  const all = [...new Set(reads.map((r) => r.path))];
  const withContent = [...new Set(reads.filter((r) => r.content).map((r) => r.path))];
  const lines = [`echo '${STAT}'`, `find ${all.map(quote).join(' ')} -maxdepth 0 -printf '%y|%m|%u|%g|%s|%p\\0' 2>/dev/null`, 'echo', 'set --'];
  for (const p of withContent) lines.push(`[ -f ${quote(p)} ] && [ ! -L ${quote(p)} ] && set -- "$@" ${quote(p)}`);
  lines.push(
    `echo '${LIST}'`,
    `[ $# -gt 0 ] && printf '%s\\0' "$@"`,
    'echo',
    `echo '${DATA}'`,
    '[ $# -gt 0 ] && cat -- "$@" | base64 -w0',
    'echo',
    `echo '${END}'`,
  );
  return `${lines.join('\n')}\n`;
}

export interface BatchResult {
  /** Fields per path, as a snippet prints them; a path with none does not exist. */
  fields: Map<string, Map<string, string>>;
  /** False when the files changed while being read (a size that does not add up): read them again. */
  consistent: boolean;
}

/** Splits the script's output into the snippets' part and the batch's part. */
export function splitBatchOutput(out: string, nonce: string): { snippets: string; batch: string | undefined } {
  const { STAT } = markers(nonce);
  const at = out.indexOf(`\n${STAT}\n`);
  if (at < 0) return out.startsWith(`${STAT}\n`) ? { snippets: '', batch: out } : { snippets: out, batch: undefined };
  return { snippets: out.slice(0, at + 1), batch: out.slice(at + 1) };
}

function section(text: string, start: string, end: string): string {
  const a = text.indexOf(`${start}\n`);
  const b = text.indexOf(`\n${end}\n`, a);
  if (a < 0 || b < 0) throw new Error(`the read script's output has no ${start} section`);
  return text.slice(a + start.length + 1, b);
}

/** The fields of every path from the batch's output. */
export function parseBatch(batch: string, nonce: string): BatchResult {
  const { STAT, LIST, DATA, END } = markers(nonce);
  const stats = new Map<string, { type: string; mode: string; owner: string; group: string; size: number }>();
  for (const rec of section(batch, STAT, LIST).split('\0')) {
    const parts = rec.split('|');
    if (parts.length < 6) continue;
    const [y, mode, owner, group, size] = parts;
    stats.set(parts.slice(5).join('|'), { type: TYPES[y] ?? `unknown (${y})`, mode, owner, group, size: Number(size) });
  }
  const fields = new Map<string, Map<string, string>>();
  for (const [path, s] of stats) fields.set(path, new Map([['stat', `${s.type}|${s.mode}|${s.owner}|${s.group}`]]));
  const listed = section(batch, LIST, DATA).split('\0').filter(Boolean);
  const data = Buffer.from(section(batch, DATA, END).trim(), 'base64');
  let offset = 0;
  let consistent = true;
  for (const path of listed) {
    const s = stats.get(path);
    if (!s || offset + s.size > data.length) {
      consistent = false;
      break;
    }
    fields.get(path)!.set('content', data.subarray(offset, offset + s.size).toString('base64'));
    offset += s.size;
  }
  if (offset !== data.length) consistent = false;
  return { fields, consistent };
}
