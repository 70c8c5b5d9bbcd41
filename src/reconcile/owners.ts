import type { Forge } from '../forge/forge.js';

/**
 * Who counts as a policy owner or an approver: `@login` (a user) or `@org/team` (the active
 * members of a team, asked of the forge). Team answers are kept briefly, so one judgement (a plan
 * of several stacks, a list of reviewers) asks once per user and team.
 */

export type Principal = { kind: 'user'; login: string } | { kind: 'team'; org: string; team: string };

const USER = /^@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)$/;
const TEAM = /^@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

/** `@login` or `@org/team`, lower case (GitHub's logins and team slugs are case-insensitive); null when it is neither. Pure. */
export function parsePrincipal(s: string): Principal | null {
  const t = TEAM.exec(s);
  if (t) return { kind: 'team', org: t[1].toLowerCase(), team: t[2].toLowerCase() };
  const u = USER.exec(s);
  return u ? { kind: 'user', login: u[1].toLowerCase() } : null;
}

/** How a principal is written: `@ada`, `@acme/sre`. Pure. */
export function principalLabel(p: Principal): string {
  return p.kind === 'user' ? `@${p.login}` : `@${p.org}/${p.team}`;
}

/** The principals of a config list (the server config's schema has checked each one). Pure. */
export function principals(list: readonly string[] | undefined): Principal[] {
  return (list ?? []).map(parsePrincipal).filter((p): p is Principal => p !== null);
}

/** How long a team membership answer is reused. */
export const MEMBERSHIP_TTL_MS = 60_000;

const answers = new WeakMap<Forge, Map<string, { member: Promise<boolean>; until: number }>>();

/** Is `user` an active member of the team? Asked of the forge once per `MEMBERSHIP_TTL_MS`. */
function teamMember(forge: Forge, org: string, team: string, user: string, now = Date.now()): Promise<boolean> {
  let cache = answers.get(forge);
  if (!cache) answers.set(forge, (cache = new Map()));
  const key = `${org}/${team}\0${user}`;
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.member;
  if (cache.size > 10_000) cache.clear();
  const member = forge.teamMember(org, team, user);
  cache.set(key, { member, until: now + MEMBERSHIP_TTL_MS });
  // A failed question is not an answer: asked again next time.
  member.catch(() => cache.delete(key));
  return member;
}

/**
 * Is `user` one of `among`: named, or an active member of a named team. Without a forge, a team's
 * members are unknown and count as none.
 */
export async function isAmong(forge: Forge | undefined, among: readonly Principal[], user: string): Promise<boolean> {
  const login = user.toLowerCase();
  if (among.some((p) => p.kind === 'user' && p.login === login)) return true;
  if (!forge) return false;
  for (const p of among) {
    if (p.kind === 'team' && (await teamMember(forge, p.org, p.team, login))) return true;
  }
  return false;
}

/** The users of `users` who are among `among` (in their order). */
export async function filterAmong(forge: Forge | undefined, among: readonly Principal[], users: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const u of users) if (await isAmong(forge, among, u)) out.push(u);
  return out;
}
