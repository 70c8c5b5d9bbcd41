import { describe, expect, it } from 'vitest';
import { checkRemainder } from '../../src/plan/remainder.js';
import { diffCreate, diffDelete, diffSpecs } from '../../src/plan/compare.js';
import type { Change } from '../../src/plan/model.js';
import type { Spec } from '../../src/sdk/provider.js';

/** What is left of a reviewed plan after an interrupted apply: the pure comparison. */

const file = (name: string, content: string, mode = '0644'): Spec => ({ path: `web/${name}.txt`, content, mode });
const create = (name: string, spec: Spec): Change => ({ id: `File/${name}`, action: 'create', diff: diffCreate(spec, []), dependsOn: [], reason: 'new' });
const update = (name: string, want: Spec, was: Spec): Change => ({
  id: `File/${name}`,
  action: 'update',
  diff: diffSpecs(want, was, undefined, []),
  dependsOn: [],
  reason: 'spec changed',
});
const remove = (name: string, was: Spec): Change => ({
  id: `File/${name}`,
  action: 'delete',
  diff: diffDelete(was),
  dependsOn: [],
  reason: 'no longer declared',
});

const a = create('a', file('a', 'A\n'));
const b = create('b', file('b', 'B\n'));
const c = update('c', file('c', 'new\n', '0600'), file('c', 'old\n', '0644'));
const d = remove('d', file('d', 'D\n'));
const reviewed = [a, b, c, d];

describe('checkRemainder', () => {
  it('the reviewed plan itself, in any order, is the same', () => {
    expect(checkRemainder(reviewed, new Set(), [d, c, b, a])).toEqual({ same: true });
    expect(checkRemainder(reviewed, new Set(['File/a']), reviewed)).toEqual({ same: true });
  });

  it('without the changes the journal shows done, it is the same', () => {
    expect(checkRemainder(reviewed, new Set(['File/a', 'File/d']), [b, c])).toEqual({ same: true });
    expect(checkRemainder(reviewed, new Set(['File/a', 'File/b', 'File/c', 'File/d']), [])).toEqual({ same: true });
  });

  it('a reviewed change missing while the journal never touched it is a difference', () => {
    expect(checkRemainder(reviewed, new Set(['File/a']), [c, d])).toEqual({
      same: false,
      difference: 'File/b: the reviewed create is no longer planned, and the interrupted apply did not get to it',
    });
  });

  it('nothing outside the reviewed plan is accepted, whatever the journal shows', () => {
    const e = create('e', file('e', 'E\n'));
    expect(checkRemainder(reviewed, new Set(['File/a', 'File/e']), [b, c, d, e])).toEqual({
      same: false,
      difference: 'File/e: create was not in the reviewed plan',
    });
    // Another action on a reviewed resource: an object deleted outside is created, not updated.
    const recreated = create('c', file('c', 'new\n', '0600'));
    expect(checkRemainder(reviewed, new Set(['File/c']), [a, b, recreated, d])).toEqual({
      same: false,
      difference: 'File/c: create where the reviewed plan has update',
    });
  });

  it('a change that differs from the reviewed one names the first field that differs', () => {
    const other = update('c', file('c', 'other\n', '0600'), file('c', 'old\n', '0644'));
    expect(checkRemainder(reviewed, new Set(), [a, b, other, d])).toEqual({
      same: false,
      difference: 'File/c: update changes /spec/content other than reviewed',
    });
    const less = update('c', file('c', 'new\n', '0644'), file('c', 'old\n', '0644'));
    expect(checkRemainder(reviewed, new Set(), [a, b, less, d])).toEqual({ same: false, difference: 'File/c: update no longer changes /spec/mode' });
  });

  it('for a resource the journal touched, part of the reviewed change is what is left of it', () => {
    // The mode was set before the stop, the content was not.
    const rest = update('c', file('c', 'new\n', '0600'), file('c', 'old\n', '0600'));
    expect(rest.diff.map((e) => e.path)).toEqual(['/spec/content']);
    expect(checkRemainder(reviewed, new Set(['File/c']), [a, b, rest, d])).toEqual({ same: true });
    expect(checkRemainder(reviewed, new Set(), [a, b, rest, d])).toMatchObject({ same: false });
    // But never a field change the reviewed one did not have.
    const worse = update('c', file('c', 'new\n', '0600'), file('c', 'tampered\n', '0600'));
    expect(checkRemainder(reviewed, new Set(['File/c']), [a, b, worse, d])).toEqual({
      same: false,
      difference: 'File/c: update changes /spec/content other than reviewed',
    });
  });

  it('a replace whose delete happened leaves a create with the reviewed values', () => {
    const want = file('r', 'R\n');
    const was = { ...want, path: 'web/old-r.txt' };
    const replace: Change = {
      id: 'File/r',
      action: 'replace',
      diff: diffSpecs(want, was, undefined, []),
      dependsOn: [],
      reason: '/spec/path cannot change in place',
    };
    const left = create('r', want);
    expect(checkRemainder([replace], new Set(['File/r']), [left])).toEqual({ same: true });
    expect(checkRemainder([replace], new Set(), [left])).toEqual({ same: false, difference: 'File/r: create where the reviewed plan has replace' });
    const elsewhere = create('r', { ...want, path: 'web/elsewhere.txt' });
    expect(checkRemainder([replace], new Set(['File/r']), [elsewhere])).toEqual({
      same: false,
      difference: 'File/r: create after the interrupted replace gives /spec/path a value other than reviewed',
    });
  });
});
