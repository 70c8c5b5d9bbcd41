import type { Annotation, ApplyPermission, Check, CommitState, Forge, ForgeWebhook, ChangeRequestInfo, WebLinks } from '../forge.js';
import type { GitHubClient } from './client.js';
import { readGitHubDelivery } from './webhook.js';

/** GitHub's repository roles; these may apply. */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
export function canApply(p: Permission): boolean {
  return p === 'admin' || p === 'maintain' || p === 'write';
}

/** Check runs take at most 50 annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;

type PullData = {
  number: number;
  head: { sha: string; ref?: string };
  base: { ref: string; sha: string };
  mergeable?: boolean | null;
  merged?: boolean | null;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  draft?: boolean;
  state: string;
  user?: { login: string } | null;
  labels?: ({ name?: string } | string)[];
};

function pullInfo(p: PullData): ChangeRequestInfo {
  return {
    number: p.number,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    baseSha: p.base.sha,
    mergeable: p.mergeable ?? null,
    merged: !!(p.merged ?? p.merged_at),
    mergeCommitSha: p.merge_commit_sha ?? null,
    draft: !!p.draft,
    state: p.state === 'closed' ? 'closed' : 'open',
    author: p.user?.login ?? null,
    labels: (p.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    headRef: p.head.ref ?? null,
  };
}

/**
 * Make a family of comments (found among `existing` by `isPart`) read `bodies`: unchanged parts are
 * left alone, changed ones edited, missing ones created, parts beyond the new count deleted.
 */
async function syncComments(
  existing: { id: number; body?: string | null }[],
  isPart: (body: string) => number,
  bodies: string[],
  onlyIfExists: boolean,
  api: { create(body: string): Promise<void>; update(id: number, body: string): Promise<void>; remove(id: number): Promise<void> },
): Promise<void> {
  const ours = new Map<number, { id: number; body: string }>();
  for (const c of existing) {
    const part = isPart(c.body ?? '');
    if (part >= 0 && !ours.has(part)) ours.set(part, { id: c.id, body: c.body ?? '' });
  }
  if (onlyIfExists && ours.size === 0) return;
  for (let i = 0; i < bodies.length; i++) {
    const have = ours.get(i);
    if (have && have.body === bodies[i]) continue;
    if (have) await api.update(have.id, bodies[i]);
    else await api.create(bodies[i]);
  }
  for (const [part, c] of ours) {
    if (part >= bodies.length) await api.remove(c.id);
  }
}

/** The Forge on GitHub's REST API (github.com or Enterprise), through octokit. */
export class GitHubForge implements Forge {
  readonly name = 'github';
  readonly webhook: ForgeWebhook;
  constructor(
    private readonly gh: GitHubClient,
    readonly owner: string,
    readonly repo: string,
    webhookSecret?: string,
    readonly links?: WebLinks,
  ) {
    this.webhook = { path: 'github', read: (headers, raw) => readGitHubDelivery(headers, raw, webhookSecret, { owner, repo }) };
  }

  changeRefs(number: number): { merge: string; head: string } {
    return { merge: `refs/pull/${number}/merge`, head: `refs/pull/${number}/head` };
  }

  async applyPermission(user: string): Promise<ApplyPermission> {
    const role = await this.permission(user);
    return { allowed: canApply(role), role };
  }

  async readPermission(user: string): Promise<ApplyPermission> {
    const role = await this.permission(user);
    return { allowed: role !== 'none', role };
  }

  /** A 4xx other than a rate limit: repeating will not help. */
  isPermanent(err: unknown): boolean {
    const status = (err as { status?: number }).status;
    if (typeof status !== 'number') return false;
    if (status === 429) return false;
    if (status === 403 && /rate limit/i.test(String((err as Error).message))) return false;
    return status >= 400 && status < 500;
  }

  private get r(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  async listOpenPulls(base: string): Promise<ChangeRequestInfo[]> {
    const pulls = await this.gh.paginate(this.gh.rest.pulls.list, { ...this.r, state: 'open', base, per_page: 100 });
    return pulls.map((p) => pullInfo(p as PullData));
  }

  async getPull(number: number): Promise<ChangeRequestInfo> {
    const { data } = await this.gh.rest.pulls.get({ ...this.r, pull_number: number });
    return pullInfo(data as PullData);
  }

  async approvals(number: number, headSha: string): Promise<string[]> {
    const reviews = await this.gh.paginate(this.gh.rest.pulls.listReviews, { ...this.r, pull_number: number, per_page: 100 });
    const latest = new Map<string, { state: string; commit: string | null }>();
    for (const r of reviews) {
      const user = r.user?.login;
      // A comment leaves the user's verdict as it was; approving, requesting changes or dismissal replaces it.
      if (!user || r.state === 'COMMENTED' || r.state === 'PENDING') continue;
      latest.set(user.toLowerCase(), { state: r.state, commit: r.commit_id ?? null });
    }
    return [...latest].filter(([, v]) => v.state === 'APPROVED' && v.commit === headSha).map(([u]) => u);
  }

  async teamMember(org: string, team: string, user: string): Promise<boolean> {
    try {
      const { data } = await this.gh.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: user });
      return data.state === 'active';
    } catch (err) {
      // 404: no such team, or the user is not in it (a pending invitation is not a membership).
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async pullsForCommit(sha: string): Promise<number[]> {
    const { data } = await this.gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...this.r, commit_sha: sha, per_page: 100 });
    return data.filter((p) => p.merged_at).map((p) => p.number);
  }

  async permission(user: string): Promise<Permission> {
    try {
      const { data } = await this.gh.rest.repos.getCollaboratorPermissionLevel({ ...this.r, username: user });
      const role = (data as { role_name?: string }).role_name;
      if (role === 'maintain' || role === 'triage') return role;
      return (data.permission as Permission) ?? 'none';
    } catch (err) {
      if ((err as { status?: number }).status === 404) return 'none';
      throw err;
    }
  }

  async upsertComments(issue: number, isPart: (body: string) => number, bodies: string[], onlyIfExists = false): Promise<void> {
    const existing = await this.gh.paginate(this.gh.rest.issues.listComments, { ...this.r, issue_number: issue, per_page: 100 });
    await syncComments(existing, isPart, bodies, onlyIfExists, {
      create: async (body) => void (await this.gh.rest.issues.createComment({ ...this.r, issue_number: issue, body })),
      update: async (id, body) => void (await this.gh.rest.issues.updateComment({ ...this.r, comment_id: id, body })),
      remove: async (id) => void (await this.gh.rest.issues.deleteComment({ ...this.r, comment_id: id })),
    });
  }

  async upsertCommitComments(sha: string, isPart: (body: string) => number, bodies: string[]): Promise<void> {
    const existing = await this.gh.paginate(this.gh.rest.repos.listCommentsForCommit, { ...this.r, commit_sha: sha, per_page: 100 });
    await syncComments(existing, isPart, bodies, false, {
      create: async (body) => void (await this.gh.rest.repos.createCommitComment({ ...this.r, commit_sha: sha, body })),
      update: async (id, body) => void (await this.gh.rest.repos.updateCommitComment({ ...this.r, comment_id: id, body })),
      remove: async (id) => void (await this.gh.rest.repos.deleteCommitComment({ ...this.r, comment_id: id })),
    });
  }

  async setStatus(sha: string, context: string, state: CommitState, description: string): Promise<void> {
    await this.gh.rest.repos.createCommitStatus({ ...this.r, sha, state, context, description: description.slice(0, 140) });
  }

  async publishCheck(sha: string, check: Check): Promise<void> {
    const { name, conclusion, title, summary, annotations } = check;
    const toGh = (a: Annotation): { path: string; start_line: number; end_line: number; annotation_level: 'failure'; message: string } => ({
      path: a.path,
      start_line: a.line,
      end_line: a.line,
      annotation_level: 'failure',
      message: a.message,
    });
    const batches: Annotation[][] = [];
    for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
    const output = (batch: Annotation[] = []) => ({ title, summary: summary.slice(0, 65_000), annotations: batch.map(toGh) });
    const { data } = await this.gh.rest.checks.create({ ...this.r, name, head_sha: sha, status: 'completed', conclusion, output: output(batches[0]) });
    for (const batch of batches.slice(1)) {
      await this.gh.rest.checks.update({ ...this.r, check_run_id: data.id, output: output(batch) });
    }
  }

  async createDeployment(sha: string, environment: string, description: string): Promise<number> {
    const { data } = await this.gh.rest.repos.createDeployment({
      ...this.r,
      ref: sha,
      environment,
      description: description.slice(0, 140),
      auto_merge: false,
      required_contexts: [],
      task: 'deploy',
      production_environment: false,
    });
    if (!('id' in data)) throw new Error(`GitHub did not create the deployment: ${(data as { message?: string }).message ?? 'no id'}`);
    return data.id;
  }

  async setDeploymentStatus(id: number, environment: string, state: 'success' | 'failure' | 'error', description: string): Promise<void> {
    await this.gh.rest.repos.createDeploymentStatus({
      ...this.r,
      deployment_id: id,
      state,
      environment,
      description: description.slice(0, 140),
      auto_inactive: true,
    });
  }

  async openChangeRequest(o: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string }> {
    // Idempotent: a job retried after a crash finds the pull request it opened (GitHub refuses a second one for a head with 422).
    const { data: open } = await this.gh.rest.pulls.list({ ...this.r, state: 'open', head: `${this.r.owner}:${o.head}`, base: o.base, per_page: 1 });
    if (open[0]) return { number: open[0].number, url: open[0].html_url };
    const { data } = await this.gh.rest.pulls.create({ ...this.r, head: o.head, base: o.base, title: o.title, body: o.body.slice(0, 60_000) });
    return { number: data.number, url: data.html_url };
  }

  async openIssue(title: string, body: string): Promise<number> {
    const { data } = await this.gh.rest.issues.create({ ...this.r, title, body });
    return data.number;
  }

  async updateIssue(number: number, change: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<void> {
    await this.gh.rest.issues.update({ ...this.r, issue_number: number, ...change });
  }
}
