/** Service: a systemd unit running or stopped, enabled or not, reloaded or restarted once when what it names in reloadOn / restartOn changed in the run. */
import type { Desired, SpecProblem } from '../../../sdk/provider.js';
import { memberOf, ProviderError } from '../../../sdk/provider.js';
import { nameProblem, quote } from '../shell.js';
import { checkField, declared, type HostKind, type HostOps, onHost, runChecked, str } from './kind.js';
import serviceSchema from '../schemas/Service.schema.json' with { type: 'json' };

/**
 * $1 name, $2 running (true|false|""), $3 enabled (true|false|""), $4 reload (0|1), $5 restart (0|1).
 * A service started by this script is not also reloaded: it has just read its config. Enabling is
 * asked only of a unit not enabled yet (and disabling of one that is): `systemctl enable` of a unit
 * with a SysV script runs update-rc.d, about 0.4 s, even when nothing changes.
 */
const ENSURE = `set -e
n=$1 started=''
was=$(systemctl is-active "$n" 2>/dev/null || true)
en=$(systemctl is-enabled "$n" 2>/dev/null || true)
if [ "$3" = true ] && [ "$en" != enabled ]; then systemctl enable -q "$n"
elif [ "$3" = false ] && [ "$en" = enabled ]; then systemctl disable -q "$n"; fi
if [ "$2" = true ] && [ "$was" != active ]; then systemctl start "$n"; started=1; echo started
elif [ "$2" = false ] && [ "$was" = active ]; then systemctl stop "$n"; echo stopped; fi
if [ "$2" != false ] && [ -z "$started" ] && [ "$was" = active ]; then
  if [ "$5" = 1 ]; then systemctl restart "$n"; echo restarted
  elif [ "$4" = 1 ]; then systemctl reload-or-restart "$n"; echo reloaded; fi
fi`;

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** A trigger names a resource of the same host: `File/site` on web-1 is `File/site@web-1`. */
const sameHost = (id: string, name: string): string => {
  const m = memberOf(name);
  return m && !id.includes('@') ? `${id}@${m}` : id;
};

function flag(v: unknown): string {
  return v === true ? 'true' : v === false ? 'false' : '';
}

async function ensure(h: HostOps, r: Desired, reload: boolean, restart: boolean): Promise<void> {
  const name = str(r.spec, 'name') ?? '';
  const p = nameProblem('service', name);
  if (p) throw new ProviderError(`${r.id}: ${p}`, r.id);
  await runChecked(h, r.id, `systemctl on ${name}`, ENSURE, [name, flag(r.spec.running), flag(r.spec.enabled), reload ? '1' : '0', restart ? '1' : '0']);
}

export const service: HostKind = {
  info: {
    schema: serviceSchema,
    naturalKey: (spec, name) => onHost(String(spec.name), name),
    outputSources: {},
    triggers: (spec, name) => [
      { key: 'reload', path: '/reloadOn', ids: ids(spec.reloadOn).map((id) => sameHost(id, name)) },
      { key: 'restart', path: '/restartOn', ids: ids(spec.restartOn).map((id) => sameHost(id, name)) },
    ],
    validate(spec) {
      const out: SpecProblem[] = [];
      checkField(spec, 'name', (v) => nameProblem('service', v), out);
      return out;
    },
  },
  readSnippet(spec) {
    const n = quote(String(spec.name));
    return `printf 'active %s\\n' "$(systemctl is-active ${n} 2>/dev/null)"; printf 'enabled %s\\n' "$(systemctl is-enabled ${n} 2>/dev/null)"`;
  },
  observe(rec, fields) {
    return { spec: declared(rec.spec, { name: rec.spec.name, running: fields.get('active') === 'active', enabled: fields.get('enabled') === 'enabled' }) };
  },
  async create(h, r) {
    // New to driftless: a service already running may run an old config; with triggers it is reloaded (restarted) once.
    await ensure(h, r, ids(r.spec.reloadOn).length > 0, ids(r.spec.restartOn).length > 0);
    return {};
  },
  async update(h, r, _prior, changed) {
    await ensure(h, r, changed.includes('/triggers/reload'), changed.includes('/triggers/restart'));
    return {};
  },
  // No longer declared: left as it is.
  async delete() {},
};
