import type { Change } from '../model.js';

/** Changes that are the same on several members (hosts): one manifest, one action, one diff. */
export interface ChangeGroup {
  /** The change as on the first member (its id and reason with the member taken out when grouped). */
  change: Change;
  /** The members it happens on, in plan order; empty for a change of a resource that is not spread. */
  members: string[];
}

const MEMBER = /@([^@/\s]+)$/;

/**
 * Group identical changes of spread resources (`Package/nginx@web-1`, `…@web-2`): same manifest,
 * action, diff and reason once the member is taken out. Others stay alone. Keeps plan order. Pure.
 */
export function collapseChanges(changes: Change[]): ChangeGroup[] {
  const out: ChangeGroup[] = [];
  const byKey = new Map<string, ChangeGroup>();
  for (const ch of changes) {
    const m = MEMBER.exec(ch.id);
    if (!m) {
      out.push({ change: ch, members: [] });
      continue;
    }
    const member = m[1];
    const base = ch.id.slice(0, m.index);
    const own = new RegExp(`@${member.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9._-])`, 'g');
    const strip = (s: string) => s.replace(own, '');
    const reason = strip(ch.reason);
    const diff = strip(JSON.stringify(ch.diff));
    const key = JSON.stringify([base, ch.action, reason, diff]);
    const g = byKey.get(key);
    if (g) g.members.push(member);
    else {
      const group = { change: { ...ch, id: base, reason, diff: JSON.parse(diff) as Change['diff'] }, members: [member] };
      byKey.set(key, group);
      out.push(group);
    }
  }
  // A group of one is the change itself, with its own id.
  return out.map((g) => (g.members.length === 1 ? { change: changes.find((c) => c.id === `${g.change.id}@${g.members[0]}`)!, members: [] } : g));
}

/** `web-1, web-2, web-3`, or the first and last few of a long list. */
export function memberList(members: string[], max = 8): string {
  if (members.length <= max) return members.join(', ');
  return `${members.slice(0, max - 2).join(', ')}, … ${members.slice(-2).join(', ')}`;
}
