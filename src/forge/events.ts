/**
 * Forge-neutral events: what a forge's webhook (or poll) says happened, in the words the reconciler
 * understands. Each forge's parser (forge/NAME/webhook.ts) turns its payloads into these.
 */

/** A change request (pull request, merge request) was opened, reopened, updated or marked ready. */
export interface ChangeRequestUpdated {
  type: 'change-request';
  number: number;
  headSha: string;
  baseRef: string;
  draft: boolean;
  /** How a person would say what happened (`pull_request synchronize`): recorded as the job's trigger. */
  trigger: string;
  /**
   * A rollback pull request (opened by `driftless rollback` or the service: a `driftless/rollback-`
   * branch of this repository whose description carries the rollback marker): it quarantines its stack.
   */
  rollback?: { branch: string; stack: string; target: string; undoes: string[] };
}

/** A change request was merged into `baseRef` as `mergeCommit`. */
export interface ChangeRequestMerged {
  type: 'change-request-merged';
  number: number;
  baseRef: string;
  mergeCommit: string;
}

/** A change request was closed without being merged. */
export interface ChangeRequestClosed {
  type: 'change-request-closed';
  number: number;
  baseRef: string;
}

/** Commits were pushed to a branch (`after` is its new head). */
export interface Push {
  type: 'push';
  /** The full ref (`refs/heads/main`), and the branch it names (null for tags and others). */
  ref: string;
  branch: string | null;
  after: string;
  /** The branch was deleted. */
  deleted: boolean;
  trigger: string;
}

/** A comment that may hold a `/driftless` command, on a change request, a commit or an issue (a drift issue). */
export interface CommentCreated {
  type: 'comment';
  on: { changeRequest: number } | { commit: string } | { issue: number };
  commentId: number;
  user: string;
  body: string;
}

/** Nothing for driftless (another repository, an action it does not handle, a bot…), and why. */
export interface Ignored {
  type: 'ignored';
  reason: string;
}

export type ForgeEvent = ChangeRequestUpdated | ChangeRequestMerged | ChangeRequestClosed | Push | CommentCreated | Ignored;

/** A verified webhook delivery, parsed. */
export interface Delivery {
  /** The forge's delivery id: a repeated delivery is acknowledged and ignored. */
  id: string;
  /** The forge's event name, for logs. */
  name: string;
  event: ForgeEvent;
}

/** Why a webhook request is refused, with the HTTP status to answer. */
export interface Refusal {
  status: 400 | 401;
  error: string;
}
