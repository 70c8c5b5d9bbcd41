/** File and Directory: whole files written atomically (temp file + rename, after `validate`), directories with their mode and owner. */
import { createHash, randomBytes } from 'node:crypto';
import type { Desired, Json, KindInfo, Observed, Recorded, Spec, SpecProblem } from '../../../sdk/provider.js';
import { ProviderError } from '../../../sdk/provider.js';
import type { HostEntry } from '../inventory.js';
import { renderTemplate, templateProblem } from '../template.js';
import { nameProblem, parentOf, pathProblem, quote } from '../shell.js';
import { checkField, declared, type Fields, type HostKind, type HostOps, onHost, runChecked, str } from './kind.js';
import fileSchema from '../schemas/File.schema.json' with { type: 'json' };
import directorySchema from '../schemas/Directory.schema.json' with { type: 'json' };

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const normMode = (m: unknown): unknown => (typeof m === 'string' ? m.padStart(4, '0') : m);
const equal: KindInfo['equal'] = (path, a, b) => (path === '/spec/mode' ? normMode(a) === normMode(b) : JSON.stringify(a) === JSON.stringify(b));

/** The stat and (for a regular file) content read of a path: `stat TYPE|MODE|OWNER|GROUP`, `content BASE64`. */
export function statSnippet(path: string, withContent: boolean): string {
  const p = quote(path);
  const content = withContent ? ` && [ -f ${p} ] && [ ! -L ${p} ] && { printf 'content '; base64 -w0 -- ${p}; echo; }` : '';
  return `s=$(stat -c '%F|%a|%U|%G' -- ${p} 2>/dev/null) && printf 'stat %s\\n' "$s"${content}`;
}

export interface Stat {
  type: string;
  mode: string;
  owner: string;
  group: string;
}

export function parseStat(fields: Fields): Stat | undefined {
  const s = fields.get('stat');
  if (!s) return undefined;
  const [type, mode, owner, group] = s.split('|');
  // GNU stat names an empty regular file "regular empty file"; it is a regular file all the same.
  return { type: type === 'regular empty file' ? 'regular file' : type, mode: mode.padStart(4, '0'), owner, group };
}

export function contentOf(fields: Fields): string | undefined {
  const c = fields.get('content');
  return c === undefined ? undefined : Buffer.from(c, 'base64').toString('utf8');
}

function ownershipProblems(spec: Spec, out: SpecProblem[]): void {
  checkField(spec, 'path', pathProblem, out);
  checkField(spec, 'owner', (v) => nameProblem('user', v), out);
  checkField(spec, 'group', (v) => nameProblem('user', v), out);
}

/** The text a File spec puts on a host: its content, or its template rendered for that host. */
export function fileText(spec: Spec, host: HostEntry): string {
  const template = str(spec, 'template');
  if (template !== undefined) return renderTemplate(template, { name: host.name, groups: host.groups, vars: host.vars }, spec.vars as Json | undefined);
  return str(spec, 'content') ?? '';
}

/**
 * The atomic write: content from stdin into a new temporary file beside the target (never through a
 * planted link: noclobber), mode and owner set, the validate command run on it, then renamed over
 * the target. Any failure removes the temporary file and leaves the old file as it was.
 */
const WRITE = `set -e
p=$1 tmp=$2 mode=$3 owner=$4 group=$5 check=$6
trap 'rm -f -- "$tmp"' EXIT
umask 077
(set -C; cat > "$tmp")
chmod -- "$mode" "$tmp"
chown -- "$owner:$group" "$tmp"
if [ -n "$check" ]; then
  if ! out=$(sh -c "$check" 2>&1 </dev/null); then printf 'validate refused the new content:\\n%s\\n' "$out" >&2; exit 3; fi
fi
mv -f -- "$tmp" "$p"
trap - EXIT`;

/** Write `text` to `path` atomically (see WRITE); `validate` has `%s` for the new content's path. */
export async function writeFile(
  h: HostOps,
  id: string,
  path: string,
  text: string,
  o: { mode: string; owner: string; group: string; validate?: string },
): Promise<void> {
  const tmp = `${parentOf(path)}/.driftless-${randomBytes(6).toString('hex')}.tmp`;
  const check = o.validate ? o.validate.replaceAll('%s', quote(tmp)) : '';
  await runChecked(h, id, `writing ${path}`, WRITE, [path, tmp, o.mode, o.owner, o.group, check], text);
}

function checkWritable(r: Desired): string {
  const path = str(r.spec, 'path') ?? '';
  const p = pathProblem(path);
  if (p) throw new ProviderError(`${r.id}: spec.path: ${p}`, r.id);
  return path;
}

const fileInfo: KindInfo = {
  schema: fileSchema,
  replaceOn: ['/spec/path'],
  naturalKey: (spec, name) => onHost(String(spec.path), name),
  equal,
  outputSources: { path: ['/spec/path'], sha256: ['/spec/content', '/spec/template', '/spec/vars'] },
  validate(spec) {
    const out: SpecProblem[] = [];
    ownershipProblems(spec, out);
    if (spec.content !== undefined && spec.template !== undefined) out.push({ path: '/template', message: 'give content or template, not both' });
    checkField(spec, 'template', templateProblem, out);
    if (typeof spec.validate === 'string' && !spec.validate.includes('%s'))
      out.push({ path: '/validate', message: 'the validate command must name the new content as %s (e.g. "nginx -t -c %s")' });
    return out;
  },
};

export const file: HostKind = {
  info: fileInfo,
  readSnippet: (spec) => statSnippet(String(spec.path), true),
  readPath: (spec) => ({ path: String(spec.path), content: true }),
  observe(rec: Recorded, fields: Fields, host: HostEntry): Observed | null {
    const st = parseStat(fields);
    if (!st) return null;
    const text = contentOf(fields);
    const live: Record<string, Json | undefined> = { path: rec.spec.path, mode: st.mode, owner: st.owner, group: st.group };
    if (st.type !== 'regular file' || text === undefined) {
      return {
        spec: { ...declared(rec.spec, live), ...(rec.spec.template !== undefined ? { template: `(not a regular file: ${st.type})` } : { content: null }) },
      };
    }
    if (rec.spec.template !== undefined) {
      // The live text is compared with the recorded template rendered for this host.
      let expected: string | undefined;
      try {
        expected = fileText(rec.spec, host);
      } catch {
        expected = undefined;
      }
      live.template = expected === text ? rec.spec.template : `(edited on the host: content sha256 ${sha256(text).slice(0, 12)})`;
      live.vars = rec.spec.vars;
    } else live.content = text;
    return { spec: declared(rec.spec, live), outputs: { path: String(rec.spec.path), sha256: sha256(text) } };
  },
  async create(h, r) {
    const path = checkWritable(r);
    const text = fileText(r.spec, h.host);
    await writeFile(h, r.id, path, text, {
      mode: String(r.spec.mode ?? '0644'),
      owner: str(r.spec, 'owner') ?? 'root',
      group: str(r.spec, 'group') ?? 'root',
      validate: str(r.spec, 'validate'),
    });
    return { path, sha256: sha256(text) };
  },
  update(h, r) {
    return file.create(h, r);
  },
  async delete(h, prior) {
    await runChecked(h, prior.id, `removing ${prior.spec.path}`, 'rm -f -- "$1"', [String(prior.spec.path)]);
  },
};

const DIRECTORY = `set -e
mkdir -p -- "$1"
chmod -- "$2" "$1"
chown -- "$3:$4" "$1"`;

export const directory: HostKind = {
  info: {
    schema: directorySchema,
    replaceOn: ['/spec/path'],
    naturalKey: (spec, name) => onHost(String(spec.path), name),
    equal,
    outputSources: { path: ['/spec/path'] },
    validate(spec) {
      const out: SpecProblem[] = [];
      ownershipProblems(spec, out);
      return out;
    },
  },
  readSnippet: (spec) => statSnippet(String(spec.path), false),
  readPath: (spec) => ({ path: String(spec.path), content: false }),
  observe(rec, fields) {
    const st = parseStat(fields);
    if (!st) return null;
    if (st.type !== 'directory') return { spec: { path: rec.spec.path, mode: null } };
    return { spec: declared(rec.spec, { path: rec.spec.path, mode: st.mode, owner: st.owner, group: st.group }), outputs: { path: String(rec.spec.path) } };
  },
  async create(h, r) {
    const path = checkWritable(r);
    await runChecked(h, r.id, `making ${path}`, DIRECTORY, [
      path,
      String(r.spec.mode ?? '0755'),
      str(r.spec, 'owner') ?? 'root',
      str(r.spec, 'group') ?? 'root',
    ]);
    return { path };
  },
  update(h, r) {
    return directory.create(h, r);
  },
  async delete(h, prior) {
    // Only an empty directory goes: what others put there stays (and the delete fails, saying so).
    await runChecked(h, prior.id, `removing ${prior.spec.path}`, '[ ! -d "$1" ] || rmdir -- "$1"', [String(prior.spec.path)]);
  },
};
