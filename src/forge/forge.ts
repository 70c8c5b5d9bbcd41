/**
 * What the reconciler needs from a code-hosting forge. GitHub is the first implementation
 * (src/forge/github/); the reconciler never sees octokit. Reads are called by jobs; writes by the
 * outbox worker, which retries them, so every write must be safe to repeat.
 */
export interface PullRequestInfo {
  number: number;
  headSha: string;
  baseRef: string;
  baseSha: string;
  /** null: the forge has not computed it yet. */
  mergeable: boolean | null;
  merged: boolean;
  mergeCommitSha: string | null;
  draft: boolean;
  state: 'open' | 'closed';
  author: string | null;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface Annotation {
  path: string;
  line: number;
  message: string;
}

export interface Forge {
  readonly name: string;

  listOpenPulls(base: string): Promise<PullRequestInfo[]>;
  getPull(number: number): Promise<PullRequestInfo>;
  /** Numbers of merged pull requests that contain a commit (the one it was merged in first). */
  pullsForCommit(sha: string): Promise<number[]>;
  permission(user: string): Promise<Permission>;

  /** Create or edit in place the comments of a family (found by their hidden markers). */
  upsertComments(issue: number, isPart: (body: string) => number, bodies: string[], onlyIfExists?: boolean): Promise<void>;
  createComment(issue: number, body: string): Promise<void>;
  /** The same for the comments on a commit (a push straight to the branch has no pull request). */
  upsertCommitComments(sha: string, isPart: (body: string) => number, bodies: string[]): Promise<void>;
  setStatus(sha: string, context: string, state: CommitState, description: string): Promise<void>;
  /** A completed check run; annotations beyond the per-request maximum are sent in follow-up updates. */
  createCheckRun(
    sha: string,
    name: string,
    conclusion: 'success' | 'failure' | 'neutral',
    title: string,
    summary: string,
    annotations: Annotation[],
  ): Promise<void>;
  createDeployment(sha: string, environment: string, description: string): Promise<number>;
  setDeploymentStatus(id: number, environment: string, state: 'success' | 'failure' | 'error', description: string): Promise<void>;
  openIssue(title: string, body: string): Promise<number>;
  updateIssue(number: number, change: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<void>;
}

export function canApply(p: Permission): boolean {
  return p === 'admin' || p === 'maintain' || p === 'write';
}

/** An error from the forge that repeating will not fix (a 4xx other than rate limits). */
export function isPermanent(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  if (typeof status !== 'number') return false;
  if (status === 429) return false;
  if (status === 403 && /rate limit/i.test(String((err as Error).message))) return false;
  return status >= 400 && status < 500;
}
