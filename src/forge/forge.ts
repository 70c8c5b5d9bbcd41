import type { Delivery, Refusal } from './events.js';

/**
 * What the reconciler needs from a code-hosting forge, in forge-neutral words: change requests
 * (pull requests, merge requests), comments, commit statuses, checks, deployments and issues, and
 * its webhooks. GitHub is the first implementation (forge/github/); the reconciler never sees
 * octokit. Reads are called by jobs; writes by the outbox worker, which retries them, so every
 * write must be safe to repeat.
 */
export interface ChangeRequestInfo {
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
  /** Its labels (policies read them as `pr.labels`). */
  labels?: string[];
  /** The branch it merges from. */
  headRef?: string | null;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface Annotation {
  path: string;
  line: number;
  message: string;
}

export interface Check {
  name: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  annotations: Annotation[];
}

/** Whether a user may apply (`/driftless apply`), and the role the forge gave them (for the reply). */
export interface ApplyPermission {
  allowed: boolean;
  role: string;
}

export interface ForgeWebhook {
  /** The route's last segment: `POST /webhooks/<path>`. */
  readonly path: string;
  /** Verify a request (signature over the raw body) and parse it into a forge-neutral event. */
  read(headers: Record<string, string | string[] | undefined>, raw: string): Promise<Delivery | Refusal>;
}

/** Where people see a commit or a change request on the forge (links on the dashboard). */
export interface WebLinks {
  commit(sha: string): string;
  pull(number: number): string;
}

export interface Forge {
  readonly name: string;
  readonly webhook: ForgeWebhook;
  readonly links?: WebLinks;

  /** The refs a mirror fetches for a change request: the forge's test merge with its base, and its head. */
  changeRefs(number: number): { merge: string; head: string };
  listOpenPulls(base: string): Promise<ChangeRequestInfo[]>;
  getPull(number: number): Promise<ChangeRequestInfo>;
  /** Numbers of merged change requests that contain a commit (the one it was merged in first). */
  pullsForCommit(sha: string): Promise<number[]>;
  applyPermission(user: string): Promise<ApplyPermission>;
  /** Whether a user may read the repository (the dashboard's login), and their role. */
  readPermission(user: string): Promise<ApplyPermission>;
  /** Users whose latest review of a change request approves it at `headSha` (an approval of an older head does not count). */
  approvals(number: number, headSha: string): Promise<string[]>;
  /** Is `user` an active member of team `team` (its slug) of organisation `org`? A team or user the forge does not know: false. */
  teamMember(org: string, team: string, user: string): Promise<boolean>;

  /** Create or edit in place the comments of a family (found by their hidden markers) on a change request. */
  upsertComments(number: number, isPart: (body: string) => number, bodies: string[], onlyIfExists?: boolean): Promise<void>;
  /** The same for the comments on a commit (a push straight to the branch has no change request). */
  upsertCommitComments(sha: string, isPart: (body: string) => number, bodies: string[]): Promise<void>;
  setStatus(sha: string, context: string, state: CommitState, description: string): Promise<void>;
  /** A completed check with annotations on lines (GitHub: a check run, in batches of its per-request maximum). */
  publishCheck(sha: string, check: Check): Promise<void>;
  createDeployment(sha: string, environment: string, description: string): Promise<number>;
  setDeploymentStatus(id: number, environment: string, state: 'success' | 'failure' | 'error', description: string): Promise<void>;
  /**
   * Open a change request from branch `head` into `base`. Not idempotent on every forge (GitHub
   * refuses a second open pull request of one head): callers remember what they opened.
   */
  /** Open a change request of branch `head` into `base`; when one is already open for `head`, that one is returned. */
  openChangeRequest(o: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string }>;
  openIssue(title: string, body: string): Promise<number>;
  updateIssue(number: number, change: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<void>;
  /** An error that repeating will not fix (the outbox gives up on it after a few tries). */
  isPermanent(err: unknown): boolean;
}

/** Someone the forge vouched for at login. */
export interface ForgeUser {
  login: string;
  id: number;
}

/**
 * Logging users in through the forge (GitHub: the OAuth web flow). The user's token is used to ask
 * who they are and then dropped: it is never stored, logged or put in a cookie.
 */
export interface ForgeLogin {
  /** The forge page that asks the user to log in and comes back to `redirectUri` with a code and `state`. */
  authorizeUrl(o: { state: string; redirectUri: string }): string;
  /** Trade the code the forge sent back for the user it belongs to; an error says why the forge refused. */
  user(code: string, redirectUri: string): Promise<ForgeUser>;
}
