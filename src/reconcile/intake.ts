import type { ForgeEvent } from '../forge/events.js';
import { parseCommand } from '../forge/commands.js';
import type { JobSpec } from './durable/queue.js';
import { branchJob, prPlanJob } from './jobs/specs.js';

/** Intake: a forge-neutral event becomes the jobs it asks for. Pure: no I/O. */

export interface EventDecision {
  /** Why nothing is done (another repository, an action we do not handle…); absent when jobs follow. */
  ignored?: string;
  jobs: JobSpec[];
  /** A merged change request's merge commit, remembered for the apply that follows. */
  merged?: { sha: string; pr: number };
  /** A change request was merged or closed: a quarantine it holds (an open rollback) ends. */
  ended?: { pr: number; merged: boolean };
  /** An open rollback pull request: its stack is quarantined (a record, if the service did not open it itself). */
  rollback?: { pr: number; branch: string; commit: string; stack: string; target: string; undoes: string[] };
}

export function decide(e: ForgeEvent, ctx: { branch: string }): EventDecision {
  switch (e.type) {
    case 'ignored':
      return { ignored: e.reason, jobs: [] };
    case 'change-request-merged':
      if (e.baseRef !== ctx.branch) return { ignored: `pull request #${e.number} targets ${e.baseRef}, not ${ctx.branch}`, jobs: [] };
      return {
        jobs: [branchJob(e.mergeCommit, `merge of #${e.number}`)],
        merged: { sha: e.mergeCommit, pr: e.number },
        ended: { pr: e.number, merged: true },
      };
    case 'change-request-closed':
      return { ignored: `pull request #${e.number} closed without merging`, jobs: [], ended: { pr: e.number, merged: false } };
    case 'change-request':
      if (e.baseRef !== ctx.branch) return { ignored: `pull request #${e.number} targets ${e.baseRef}, not ${ctx.branch}`, jobs: [] };
      if (e.draft) return { ignored: `pull request #${e.number} is a draft`, jobs: [] };
      return {
        jobs: [prPlanJob(e.number, e.headSha, e.trigger)],
        ...(e.rollback ? { rollback: { pr: e.number, commit: e.headSha, ...e.rollback } } : {}),
      };
    case 'push':
      if (e.branch !== ctx.branch) return { ignored: `push to ${e.ref}`, jobs: [] };
      if (e.deleted) return { ignored: 'branch deleted', jobs: [] };
      return { jobs: [branchJob(e.after, e.trigger)] };
    case 'comment': {
      const cmd = parseCommand(e.body);
      if (!cmd) return { ignored: 'not a driftless command', jobs: [] };
      if ('changeRequest' in e.on) {
        const pr = e.on.changeRequest;
        return {
          jobs: [
            { kind: 'command', lane: `pr:${pr}`, dedupeKey: `command:${e.commentId}`, payload: { pr, commentId: e.commentId, user: e.user, command: cmd } },
          ],
        };
      }
      if ('issue' in e.on) {
        const issue = e.on.issue;
        return {
          jobs: [
            {
              kind: 'command',
              lane: `issue:${issue}`,
              dedupeKey: `issue-command:${e.commentId}`,
              payload: { pr: null, issue, commentId: e.commentId, user: e.user, command: cmd },
            },
          ],
        };
      }
      const commit = e.on.commit;
      if (!/^[0-9a-f]{40}$/.test(commit)) return { ignored: 'commit_comment without a commit', jobs: [] };
      return {
        jobs: [
          {
            kind: 'command',
            lane: `commit:${commit}`,
            dedupeKey: `commit-command:${e.commentId}`,
            payload: { pr: null, commit, commentId: e.commentId, user: e.user, command: cmd },
          },
        ],
      };
    }
  }
}
