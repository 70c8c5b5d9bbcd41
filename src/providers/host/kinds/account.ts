/** User and Group: local accounts, through useradd/usermod/userdel and groupadd/groupmod/groupdel. */
import type { Desired, Json, SpecProblem } from '../../../sdk/provider.js';
import { memberOf, ProviderError } from '../../../sdk/provider.js';
import { nameProblem, pathProblem, quote } from '../shell.js';
import { checkField, declared, type HostKind, onHost, runArgv, runChecked, str } from './kind.js';
import userSchema from '../schemas/User.schema.json' with { type: 'json' };
import groupSchema from '../schemas/Group.schema.json' with { type: 'json' };

const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const sorted = (v: Json | undefined): string => JSON.stringify(Array.isArray(v) ? [...v].sort() : v);

function checkedName(r: Desired): string {
  const name = str(r.spec, 'name') ?? '';
  const p = nameProblem('user', name);
  if (p) throw new ProviderError(`${r.id}: ${p}`, r.id);
  for (const g of names(r.spec.groups)) {
    const q = nameProblem('user', g);
    if (q) throw new ProviderError(`${r.id}: spec.groups: ${q}`, r.id);
  }
  return name;
}

/** useradd / usermod options for the declared fields (`changed` limits usermod to what changed). */
function userOptions(r: Desired, only?: string[]): string[] {
  const want = (f: string) => r.spec[f] !== undefined && (!only || only.includes(`/spec/${f}`) || only.some((c) => c.startsWith(`/spec/${f}/`)));
  const out: string[] = [];
  if (want('uid')) out.push('--uid', String(r.spec.uid));
  if (want('shell')) out.push('--shell', String(r.spec.shell));
  if (want('home')) out.push('--home', String(r.spec.home));
  if (want('groups')) out.push('--groups', names(r.spec.groups).join(','));
  return out;
}

export const user: HostKind = {
  info: {
    schema: userSchema,
    naturalKey: (spec, name) => onHost(String(spec.name), name),
    references: (spec, name) => names(spec.groups).map((g) => ({ kind: 'Group', key: `${g}@${memberOf(name) ?? ''}` })),
    equal: (path, a, b) => (path === '/spec/groups' ? sorted(a) === sorted(b) : JSON.stringify(a) === JSON.stringify(b)),
    outputSources: { uid: [], home: [] },
    validate(spec) {
      const out: SpecProblem[] = [];
      checkField(spec, 'name', (v) => nameProblem('user', v), out);
      checkField(spec, 'home', pathProblem, out);
      checkField(spec, 'shell', pathProblem, out);
      names(spec.groups).forEach((g, i) => {
        const p = nameProblem('user', g);
        if (p) out.push({ path: `/groups/${i}`, message: p });
      });
      return out;
    },
  },
  readSnippet(spec) {
    const n = quote(String(spec.name));
    return `printf 'passwd %s\\n' "$(getent passwd ${n})"; printf 'groups %s\\n' "$(id -Gn ${n} 2>/dev/null)"; printf 'primary %s\\n' "$(id -gn ${n} 2>/dev/null)"`;
  },
  observe(rec, fields) {
    const pw = fields.get('passwd');
    if (!pw) return null;
    const [, , uid, , , home, shell] = pw.split(':');
    const primary = fields.get('primary');
    // Supplementary groups; the primary one counts when the record lists it.
    const listed = names(rec.spec.groups);
    const groups = (fields.get('groups') ?? '').split(' ').filter((g) => g && (g !== primary || listed.includes(g)));
    return { spec: declared(rec.spec, { name: rec.spec.name, uid: Number(uid), home, shell, groups }), outputs: { uid: Number(uid), home } };
  },
  async create(h, r) {
    const name = checkedName(r);
    const system = r.spec.system === true ? ['--system'] : ['--create-home'];
    // A group named like the user (declared beside it) becomes its primary group, as useradd -U would.
    // A user that exists already is brought to the declared state (as Ansible's user module does).
    if (await exists(h, r.id, 'passwd', name)) {
      const opts = userOptions(r);
      if (opts.length) await runArgv(h, r.id, ['usermod', ...opts, '--', name]);
      return readBack(h, r.id, name);
    }
    const script = 'n=$1; shift; if getent group "$n" >/dev/null; then exec useradd --gid "$n" "$@" -- "$n"; else exec useradd "$@" -- "$n"; fi';
    await runChecked(h, r.id, 'useradd', script, [name, ...system, ...userOptions(r)]);
    return readBack(h, r.id, name);
  },
  async update(h, r, _prior, changed) {
    const name = checkedName(r);
    const opts = userOptions(r, changed);
    if (opts.length) await runArgv(h, r.id, ['usermod', ...opts, '--', name]);
    return readBack(h, r.id, name);
  },
  async delete(h, prior) {
    await runArgv(h, prior.id, ['sh', '-c', '! getent passwd "$1" >/dev/null || userdel -- "$1"', 'sh', String(prior.spec.name)]);
  },
};

/** Whether `getent DB NAME` finds the account. */
async function exists(h: Parameters<HostKind['create']>[0], id: string, db: 'passwd' | 'group', name: string): Promise<boolean> {
  return (await runChecked(h, id, `getent ${db}`, 'getent "$1" "$2" >/dev/null && echo yes || echo no', [db, name])).trim() === 'yes';
}

async function readBack(h: Parameters<HostKind['create']>[0], id: string, name: string) {
  const pw = (await runArgv(h, id, ['getent', 'passwd', name])).trim().split(':');
  return { uid: Number(pw[2]), home: pw[5] };
}

export const group: HostKind = {
  info: {
    schema: groupSchema,
    naturalKey: (spec, name) => onHost(String(spec.name), name),
    outputSources: { gid: [] },
    validate(spec) {
      const out: SpecProblem[] = [];
      checkField(spec, 'name', (v) => nameProblem('user', v), out);
      return out;
    },
  },
  readSnippet: (spec) => `printf 'group %s\\n' "$(getent group ${quote(String(spec.name))})"`,
  observe(rec, fields) {
    const g = fields.get('group');
    if (!g) return null;
    const gid = Number(g.split(':')[2]);
    return { spec: declared(rec.spec, { name: rec.spec.name, gid }), outputs: { gid } };
  },
  async create(h, r) {
    const name = checkedName(r);
    if (await exists(h, r.id, 'group', name)) return group.update(h, r, r as never, []);
    const opts = [...(r.spec.gid !== undefined ? ['--gid', String(r.spec.gid)] : []), ...(r.spec.system === true ? ['--system'] : [])];
    await runArgv(h, r.id, ['groupadd', ...opts, '--', name]);
    const gid = Number((await runArgv(h, r.id, ['getent', 'group', name])).split(':')[2]);
    return { gid };
  },
  async update(h, r) {
    const name = checkedName(r);
    if (r.spec.gid !== undefined) await runArgv(h, r.id, ['groupmod', '--gid', String(r.spec.gid), '--', name]);
    const gid = Number((await runArgv(h, r.id, ['getent', 'group', name])).split(':')[2]);
    return { gid };
  },
  async delete(h, prior) {
    await runArgv(h, prior.id, ['sh', '-c', '! getent group "$1" >/dev/null || groupdel -- "$1"', 'sh', String(prior.spec.name)]);
  },
};
