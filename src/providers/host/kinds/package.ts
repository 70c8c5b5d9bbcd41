/** Package: a package present (at an exact version or a glob such as `1.22.*`) or absent, through a package manager (apt today). */
import type { Desired, Observed, Outputs, Recorded, SpecProblem } from '../../../sdk/provider.js';
import { ProviderError } from '../../../sdk/provider.js';
import { nameProblem, quote } from '../shell.js';
import { checkField, declared, type Fields, type HostKind, type HostOps, onHost, runChecked, str } from './kind.js';
import packageSchema from '../schemas/Package.schema.json' with { type: 'json' };

/** A package manager: how to read a package's installed version, install and remove. Room for dnf beside apt. */
export interface PackageManager {
  /** A snippet printing `pkg installed VERSION` or `pkg absent`. */
  readSnippet(name: string): string;
  install(h: HostOps, id: string, name: string, version?: string): Promise<void>;
  remove(h: HostOps, id: string, name: string): Promise<void>;
}

const APT_INSTALL = `set -e
export DEBIAN_FRONTEND=noninteractive
# The package lists, fetched once on a host that has none.
ls /var/lib/apt/lists/ 2>/dev/null | grep -q Packages || apt-get update -qq
apt-get install -y -qq -o Dpkg::Options::=--force-confold "$1" </dev/null`;

export const apt: PackageManager = {
  readSnippet(name) {
    return `s=$(dpkg-query -W -f='\${db:Status-Status} \${Version}' ${quote(name)} 2>/dev/null) || s=''; case "$s" in 'installed '*) printf 'pkg installed %s\\n' "\${s#installed }";; *) echo 'pkg absent';; esac`;
  },
  async install(h, id, name, version) {
    await h.serial('packages', () => runChecked(h, id, `apt-get install ${name}`, APT_INSTALL, [version ? `${name}=${version}` : name]));
  },
  async remove(h, id, name) {
    const script = `export DEBIAN_FRONTEND=noninteractive; dpkg-query -W -f='\${db:Status-Status}' "$1" 2>/dev/null | grep -q '^installed' || exit 0; apt-get remove -y -qq "$1" </dev/null`;
    await h.serial('packages', () => runChecked(h, id, `apt-get remove ${name}`, script, [name]));
  },
};

/** Whether a version matches a glob (`*` any run of characters) or equals it. */
export function versionMatches(pattern: string, version: string): boolean {
  if (!pattern.includes('*')) return pattern === version;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(version);
}

function installed(fields: Fields): string | undefined {
  const v = fields.get('pkg');
  return v?.startsWith('installed ') ? v.slice('installed '.length) : undefined;
}

function checked(r: Desired): { name: string; version?: string } {
  const name = str(r.spec, 'name') ?? '';
  const version = str(r.spec, 'version');
  const p = nameProblem('package', name) ?? (version !== undefined ? nameProblem('version', version) : undefined);
  if (p) throw new ProviderError(`${r.id}: ${p}`, r.id);
  return { name, version };
}

export function packageKind(pm: PackageManager): HostKind {
  const ensure = async (h: HostOps, r: Desired): Promise<Outputs> => {
    const { name, version } = checked(r);
    if (r.spec.state === 'absent') {
      await pm.remove(h, r.id, name);
      return {};
    }
    await pm.install(h, r.id, name, version);
    const out = await runChecked(h, r.id, 'reading the installed version', `dpkg-query -W -f='\${Version}' "$1"`, [name]);
    return { version: out.trim() };
  };
  return {
    info: {
      schema: packageSchema,
      naturalKey: (spec, name) => onHost(String(spec.name), name),
      outputSources: { version: [] },
      validate(spec) {
        const out: SpecProblem[] = [];
        checkField(spec, 'name', (v) => nameProblem('package', v), out);
        checkField(spec, 'version', (v) => nameProblem('version', v), out);
        if (spec.state === 'absent' && spec.version !== undefined) out.push({ path: '/version', message: 'an absent package has no version' });
        return out;
      },
    },
    readSnippet: (spec) => pm.readSnippet(String(spec.name)),
    observe(rec: Recorded, fields: Fields): Observed | null {
      const v = installed(fields);
      const want = str(rec.spec, 'version');
      // A version that matches the recorded glob reads as that glob: it has not drifted.
      const version = v === undefined ? undefined : want !== undefined && versionMatches(want, v) ? want : v;
      return { spec: declared(rec.spec, { name: rec.spec.name, state: v === undefined ? 'absent' : 'present', version }), outputs: v ? { version: v } : {} };
    },
    create: ensure,
    update: (h, r) => ensure(h, r),
    // A package no longer declared is left as it is: declare `state: absent` to remove one.
    async delete() {},
  };
}

export const pkg = packageKind(apt);
