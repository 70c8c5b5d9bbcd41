import type { Json } from '../sdk/provider.js';
import { isSensitiveMask } from '../sdk/provider.js';
import { setValueAt } from '../manifests/edit.js';
import { Ref, SecretRef } from '../manifests/values.js';
import { pointerToPath } from '../manifests/validate.js';
import type { DriftEntry } from './model.js';
import { containsMask, isSensitivePath } from './sensitive.js';
import { deepEqual, getPointer } from './values.js';

/**
 * Adopting drift: the live values a drift check found, written back into the manifests at their
 * exact places, so that the manifests describe what runs and the next plan is empty. What cannot be
 * written back (sensitive values, values taken with `!ref` or given with `!secret`, aliases,
 * resources deleted outside driftless) is listed with the reason instead of guessed. Pure.
 */

/** A declared resource as adopt needs it: its spec as declared (defaults filled) and where it is. */
export interface AdoptResource {
  id: string;
  spec: Record<string, unknown>;
  loc: { file: string; docIndex: number };
  /** JSON pointers whose values are sensitive (see DesiredResource.sensitive). */
  sensitive?: readonly string[];
}

export interface AdoptInput {
  drift: readonly DriftEntry[];
  /** The resources declared where the edit is made (the branch the pull request goes to). */
  resources: ReadonlyMap<string, AdoptResource>;
  /** Manifest file texts by repository path (at least the files of the drifted resources). */
  files: ReadonlyMap<string, string>;
}

export interface AdoptedField {
  id: string;
  /** JSON pointer, `/spec/...`. */
  path: string;
  file: string;
  line: number;
  value: Json;
}

export interface NotAdopted {
  id: string;
  path?: string;
  /** file:line where known. */
  at?: string;
  reason: string;
}

export interface AdoptResult {
  /** Changed files only, with their new text. */
  files: Map<string, string>;
  adopted: AdoptedField[];
  notAdopted: NotAdopted[];
}

export function adoptDrift(input: AdoptInput): AdoptResult {
  const texts = new Map<string, string>();
  const adopted: AdoptedField[] = [];
  const notAdopted: NotAdopted[] = [];
  for (const d of input.drift) {
    if (d.gone) {
      notAdopted.push({ id: d.id, reason: 'deleted outside driftless: nothing live to adopt (apply to create it again, or remove its manifest)' });
      continue;
    }
    const r = input.resources.get(d.id);
    if (!r) {
      notAdopted.push({ id: d.id, reason: 'no manifest declares it any more' });
      continue;
    }
    const file = r.loc.file;
    for (const e of d.diff) {
      const at = file;
      const declared = getPointer({ spec: r.spec }, e.path);
      const no = (reason: string, line?: number) => notAdopted.push({ id: d.id, path: e.path, at: line ? `${at}:${line}` : at, reason });
      if (e.sensitive || isSensitivePath(e.path, r.sensitive ?? []) || isSensitiveMask(e.after) || containsMask(e.after)) {
        no('sensitive: its value is never shown or written');
        continue;
      }
      if (declared instanceof Ref || hasTagged(declared, Ref)) {
        no('the manifest takes it with !ref from another resource');
        continue;
      }
      if (declared instanceof SecretRef || hasTagged(declared, SecretRef)) {
        no('the manifest gives it with !secret');
        continue;
      }
      if (e.unknown || !('after' in e)) {
        no('the live object does not report a value for it');
        continue;
      }
      const live = e.after as Json;
      if (deepEqual(declared, live)) continue; // the manifests already say so
      if (!deepEqual(declared, e.before)) {
        no(
          `the manifest changed since the applied commit (it now says ${JSON.stringify(declared)}, ${JSON.stringify(e.before)} was applied); left to that change`,
        );
        continue;
      }
      const text = texts.get(file) ?? input.files.get(file);
      if (text === undefined) {
        no('its manifest file could not be read');
        continue;
      }
      const edit = setValueAt(text, r.loc.docIndex, pointerToPath(e.path), live);
      if (!edit.ok) {
        no(edit.reason, edit.line);
        continue;
      }
      texts.set(file, edit.text);
      adopted.push({ id: d.id, path: e.path, file, line: edit.line, value: live });
    }
  }
  const files = new Map<string, string>();
  for (const [f, t] of texts) if (t !== input.files.get(f)) files.set(f, t);
  return { files, adopted, notAdopted };
}

function hasTagged(v: unknown, cls: typeof Ref | typeof SecretRef): boolean {
  if (v instanceof cls) return true;
  if (Array.isArray(v)) return v.some((x) => hasTagged(x, cls));
  if (v && typeof v === 'object') return Object.values(v).some((x) => hasTagged(x, cls));
  return false;
}

/**
 * The commit message (and pull request body) of an adoption: what is written back, and what is
 * not, with why. Values are shown as JSON; sensitive ones never reach here.
 */
export function adoptMessage(stack: string, appliedCommit: string | null, r: AdoptResult): string {
  const n = r.adopted.length;
  const lines = [`Adopt drift of stack ${stack}`, ''];
  lines.push(
    `driftless found the live state of stack ${stack} different from what was applied${appliedCommit ? ` (at ${appliedCommit.slice(0, 12)})` : ''}.`,
    `This commit writes the live value${n === 1 ? '' : 's'} back into the manifests, so the next plan is empty.`,
    '',
    'Written back:',
  );
  for (const a of r.adopted) lines.push(`- ${a.id} ${a.path} = ${clip(JSON.stringify(a.value))} (${a.file}:${a.line})`);
  if (r.notAdopted.length) {
    lines.push('', 'Not written back (change these by hand, or apply to restore them):');
    for (const x of r.notAdopted) lines.push(`- ${x.id}${x.path ? ` ${x.path}` : ''}${x.at ? ` (${x.at})` : ''}: ${x.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
