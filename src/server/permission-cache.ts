import type { ApplyPermission } from '../forge/forge.js';

/** Users remembered at most (the oldest answer is forgotten first). */
const MAX_USERS = 10_000;

/**
 * Each user's read permission as the forge last said it, for `ttlMs`; concurrent requests of one
 * user share one question. Errors are not remembered: the next request asks again. Per process:
 * a replica asks the forge itself, which keeps a revoked permission from lasting beyond `ttlMs`.
 */
export class PermissionCache {
  private readonly known = new Map<string, { perm: Promise<ApplyPermission>; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly ask: (user: string) => Promise<ApplyPermission>,
    private readonly now: () => number = Date.now,
  ) {}

  get(user: string): Promise<ApplyPermission> {
    const hit = this.known.get(user);
    if (hit && hit.until > this.now()) return hit.perm;
    return this.refresh(user);
  }

  /** Ask the forge now (at login), and remember the answer. */
  refresh(user: string): Promise<ApplyPermission> {
    const perm = this.ask(user);
    this.known.delete(user);
    if (this.known.size >= MAX_USERS) this.known.delete(this.known.keys().next().value!);
    const entry = { perm, until: this.now() + this.ttlMs };
    this.known.set(user, entry);
    perm.catch(() => {
      if (this.known.get(user) === entry) this.known.delete(user);
    });
    return perm;
  }
}
