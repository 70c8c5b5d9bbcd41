import { verify } from '@octokit/webhooks-methods';
import type { Delivery, ForgeEvent, Refusal } from '../events.js';
import { payloadProblem } from './payloads.js';
import { parseRollbackMarker } from '../../git/rollback.js';

/** GitHub webhooks: signature check (HMAC over the raw body) and payloads turned into forge-neutral events. */

type Payload = Record<string, any>;

const PR_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

export interface RepositoryName {
  owner: string;
  repo: string;
}

/** Is this payload about the configured repository? */
export function isOurRepository(payload: Payload, r: RepositoryName): boolean {
  const full = payload?.repository?.full_name;
  return typeof full === 'string' && full.toLowerCase() === `${r.owner}/${r.repo}`.toLowerCase();
}

const ignored = (reason: string): ForgeEvent => ({ type: 'ignored', reason });

function fromBot(payload: Payload): boolean {
  return payload.comment?.user?.type === 'Bot' || payload.sender?.type === 'Bot';
}

/** One GitHub event (name + parsed payload) as a forge-neutral event. Pure. */
export function parseGitHubEvent(event: string, payload: Payload, r: RepositoryName): ForgeEvent {
  if (event === 'ping') return ignored('ping');
  if (!isOurRepository(payload, r)) return ignored(`repository ${payload?.repository?.full_name ?? '(none)'} is not ${r.owner}/${r.repo}`);
  switch (event) {
    case 'pull_request': {
      const pr = payload.pull_request;
      const number = Number(pr?.number ?? payload.number);
      if (!pr || !Number.isInteger(number)) return ignored('pull_request without a pull request');
      const baseRef = String(pr.base?.ref);
      if (payload.action === 'closed') {
        if (!pr.merged) return { type: 'change-request-closed', number, baseRef };
        if (!pr.merge_commit_sha) return ignored(`pull request #${number} merged without a merge commit`);
        return { type: 'change-request-merged', number, baseRef, mergeCommit: String(pr.merge_commit_sha) };
      }
      if (!PR_ACTIONS.has(payload.action)) return ignored(`pull_request action ${payload.action}`);
      const e: ForgeEvent = {
        type: 'change-request',
        number,
        headSha: String(pr.head?.sha),
        baseRef,
        draft: !!pr.draft,
        trigger: `pull_request ${payload.action}`,
      };
      // Only a branch of this repository (pushing one needs write access) may carry a rollback; a fork's may not.
      const branch = String(pr.head?.ref ?? '');
      const marker = typeof pr.body === 'string' ? parseRollbackMarker(pr.body) : null;
      if (marker && branch.startsWith('driftless/rollback-') && isOurRepository({ repository: pr.head?.repo }, r))
        return { ...e, rollback: { branch, ...marker } };
      return e;
    }
    case 'push': {
      const ref = String(payload.ref ?? '');
      const after = String(payload.after ?? '');
      const deleted = !!payload.deleted || !payload.after || /^0+$/.test(after);
      const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
      return { type: 'push', ref, branch, after, deleted, trigger: `push ${after.slice(0, 12)}` };
    }
    case 'issue_comment': {
      if (payload.action !== 'created') return ignored(`issue_comment action ${payload.action}`);
      if (fromBot(payload)) return ignored('comment by a bot');
      const number = Number(payload.issue?.number);
      return {
        type: 'comment',
        // GitHub sends comments on pull requests and on issues alike; only a pull request's issue has `pull_request`.
        on: payload.issue?.pull_request ? { changeRequest: number } : { issue: number },
        commentId: Number(payload.comment?.id),
        user: String(payload.comment?.user?.login ?? payload.sender?.login ?? ''),
        body: String(payload.comment?.body ?? ''),
      };
    }
    case 'commit_comment': {
      if (payload.action !== 'created') return ignored(`commit_comment action ${payload.action}`);
      if (fromBot(payload)) return ignored('comment by a bot');
      return {
        type: 'comment',
        on: { commit: String(payload.comment?.commit_id ?? '') },
        commentId: Number(payload.comment?.id),
        user: String(payload.comment?.user?.login ?? payload.sender?.login ?? ''),
        body: String(payload.comment?.body ?? ''),
      };
    }
    default:
      return ignored(`event ${event}`);
  }
}

/**
 * Verify a delivery's `X-Hub-Signature-256` over the exact bytes (constant time), then parse it.
 * Unsigned or forged requests are refused with 401 and leave no trace.
 */
export async function readGitHubDelivery(
  headers: Record<string, string | string[] | undefined>,
  raw: string,
  secret: string | undefined,
  r: RepositoryName,
): Promise<Delivery | Refusal> {
  const signature = headers['x-hub-signature-256'];
  if (!secret) return { status: 401, error: 'webhooks are not accepted: github.webhookSecret is not configured' };
  if (typeof signature !== 'string' || !signature.startsWith('sha256=')) return { status: 401, error: 'missing X-Hub-Signature-256' };
  let valid = false;
  try {
    valid = await verify(secret, raw, signature);
  } catch {
    valid = false;
  }
  if (!valid) return { status: 401, error: 'signature does not match' };
  const name = String(headers['x-github-event'] ?? '');
  const id = String(headers['x-github-delivery'] ?? '');
  if (!name || !id) return { status: 400, error: 'missing X-GitHub-Event or X-GitHub-Delivery' };
  let payload: Payload;
  try {
    payload = JSON.parse(raw) as Payload;
  } catch {
    return { status: 400, error: 'the body is not JSON' };
  }
  // Another repository's delivery is acknowledged and ignored whatever it holds; ours must be well formed.
  const event = payload !== null && typeof payload === 'object' ? parseGitHubEvent(name, payload, r) : undefined;
  if (event?.type === 'ignored') return { id, name, event };
  const problem = payloadProblem(name, payload);
  if (problem) return { status: 400, error: problem };
  return { id, name, event: event ?? parseGitHubEvent(name, payload, r) };
}
