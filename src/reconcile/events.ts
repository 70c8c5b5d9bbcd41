import type { JobSpec } from './queue.js';
import { parseCommand } from './commands.js';

/** What the service needs to know about the repository it serves. */
export interface EventContext {
  owner: string;
  repo: string;
  branch: string;
}

export interface EventDecision {
  /** Why nothing is done (another repository, an action we do not handle…); absent when jobs follow. */
  ignored?: string;
  jobs: JobSpec[];
  /** A merged pull request's merge commit, remembered for the apply that follows. */
  merged?: { sha: string; pr: number };
}

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PR_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

/** Is this payload about the configured repository? */
export function isOurRepository(payload: Payload, ctx: EventContext): boolean {
  const full = payload?.repository?.full_name;
  return typeof full === 'string' && full.toLowerCase() === `${ctx.owner}/${ctx.repo}`.toLowerCase();
}

/**
 * Plan a pull request. With `base`, only at a merge ref that includes that commit of the branch; such
 * a job does not supersede a queued plan of the PR (which may not wait for GitHub's merge ref).
 */
export function prPlanJob(pr: number, headSha: string, trigger: string, dedupe?: string, base?: string): JobSpec {
  return {
    kind: 'pr-plan',
    lane: `pr:${pr}`,
    dedupeKey: dedupe ?? `pr-plan:${pr}:${headSha}`,
    supersede: !base,
    payload: { pr, headSha, trigger, ...(base ? { base } : {}) },
  };
}

export function branchJob(sha: string, trigger: string): JobSpec {
  return { kind: 'branch', lane: 'branch', dedupeKey: `branch:${sha}`, supersede: true, payload: { sha, trigger } };
}

/**
 * Map one GitHub webhook (event name + parsed payload) to the jobs it asks for. Pure: no I/O, and
 * only the fields the jobs need are kept (payloads are never stored whole).
 */
export function decideEvent(event: string, payload: Payload, ctx: EventContext): EventDecision {
  if (event === 'ping') return { ignored: 'ping', jobs: [] };
  if (!isOurRepository(payload, ctx)) return { ignored: `repository ${payload?.repository?.full_name ?? '(none)'} is not ${ctx.owner}/${ctx.repo}`, jobs: [] };
  switch (event) {
    case 'pull_request': {
      const pr = payload.pull_request;
      const number = Number(pr?.number ?? payload.number);
      if (!pr || !Number.isInteger(number)) return { ignored: 'pull_request without a pull request', jobs: [] };
      if (pr.base?.ref !== ctx.branch) return { ignored: `pull request #${number} targets ${pr.base?.ref}, not ${ctx.branch}`, jobs: [] };
      if (payload.action === 'closed') {
        if (!pr.merged || !pr.merge_commit_sha) return { ignored: `pull request #${number} closed without merging`, jobs: [] };
        return { jobs: [branchJob(pr.merge_commit_sha, `merge of #${number}`)], merged: { sha: pr.merge_commit_sha, pr: number } };
      }
      if (!PR_ACTIONS.has(payload.action)) return { ignored: `pull_request action ${payload.action}`, jobs: [] };
      if (pr.draft) return { ignored: `pull request #${number} is a draft`, jobs: [] };
      return { jobs: [prPlanJob(number, String(pr.head?.sha), `pull_request ${payload.action}`)] };
    }
    case 'push': {
      if (payload.ref !== `refs/heads/${ctx.branch}`) return { ignored: `push to ${payload.ref}`, jobs: [] };
      if (payload.deleted || !payload.after || /^0+$/.test(payload.after)) return { ignored: 'branch deleted', jobs: [] };
      return { jobs: [branchJob(String(payload.after), `push ${String(payload.after).slice(0, 12)}`)] };
    }
    case 'issue_comment': {
      if (payload.action !== 'created') return { ignored: `issue_comment action ${payload.action}`, jobs: [] };
      if (!payload.issue?.pull_request) return { ignored: 'comment on an issue, not a pull request', jobs: [] };
      if (payload.comment?.user?.type === 'Bot' || payload.sender?.type === 'Bot') return { ignored: 'comment by a bot', jobs: [] };
      const cmd = parseCommand(String(payload.comment?.body ?? ''));
      if (!cmd) return { ignored: 'not a driftless command', jobs: [] };
      const pr = Number(payload.issue.number);
      const commentId = Number(payload.comment.id);
      return {
        jobs: [
          {
            kind: 'command',
            lane: `pr:${pr}`,
            dedupeKey: `command:${commentId}`,
            payload: { pr, commentId, user: String(payload.comment.user?.login ?? payload.sender?.login ?? ''), command: cmd },
          },
        ],
      };
    }
    case 'commit_comment': {
      // `/driftless apply` on a commit releases an apply held for it (a push without a pull request).
      if (payload.action !== 'created') return { ignored: `commit_comment action ${payload.action}`, jobs: [] };
      if (payload.comment?.user?.type === 'Bot' || payload.sender?.type === 'Bot') return { ignored: 'comment by a bot', jobs: [] };
      const cmd = parseCommand(String(payload.comment?.body ?? ''));
      if (!cmd) return { ignored: 'not a driftless command', jobs: [] };
      const commit = String(payload.comment?.commit_id ?? '');
      if (!/^[0-9a-f]{40}$/.test(commit)) return { ignored: 'commit_comment without a commit', jobs: [] };
      const commentId = Number(payload.comment.id);
      return {
        jobs: [
          {
            kind: 'command',
            lane: `commit:${commit}`,
            dedupeKey: `commit-command:${commentId}`,
            payload: { pr: null, commit, commentId, user: String(payload.comment.user?.login ?? payload.sender?.login ?? ''), command: cmd },
          },
        ],
      };
    }
    default:
      return { ignored: `event ${event}`, jobs: [] };
  }
}
