import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';

/**
 * Webhook payloads as GitHub sends them: taken from @octokit/webhooks-examples and adjusted to the
 * repository, pull request and commits of a test; signed like GitHub signs them.
 */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const require = createRequire(import.meta.url);
const examples: { name: string; examples: Json[] }[] = require('@octokit/webhooks-examples/api.github.com/index.json');

function example(event: string, action?: string): Json {
  const list = examples.find((e) => e.name === event)?.examples ?? [];
  const ex = list.find((x) => action === undefined || x.action === action) ?? list[0];
  if (!ex) throw new Error(`no example of ${event} ${action ?? ''}`);
  return structuredClone(ex);
}

export interface RepoRef {
  owner: string;
  repo: string;
}

function setRepository(p: Json, r: RepoRef): void {
  p.repository.name = r.repo;
  p.repository.full_name = `${r.owner}/${r.repo}`;
  p.repository.owner.login = r.owner;
}

export function pullRequestPayload(
  r: RepoRef,
  action: string,
  pr: {
    number: number;
    headSha: string;
    baseSha: string;
    baseRef?: string;
    merged?: boolean;
    mergeCommitSha?: string | null;
    draft?: boolean;
    /** A branch of the repository itself, and the description. */
    headRef?: string;
    body?: string;
  },
): Json {
  const p = example('pull_request', action);
  setRepository(p, r);
  p.action = action;
  p.number = pr.number;
  Object.assign(p.pull_request, {
    number: pr.number,
    draft: pr.draft ?? false,
    merged: pr.merged ?? false,
    merge_commit_sha: pr.mergeCommitSha ?? null,
    state: action === 'closed' ? 'closed' : 'open',
  });
  p.pull_request.head.sha = pr.headSha;
  p.pull_request.base.sha = pr.baseSha;
  p.pull_request.base.ref = pr.baseRef ?? 'main';
  p.pull_request.base.repo.full_name = `${r.owner}/${r.repo}`;
  if (pr.headRef) {
    p.pull_request.head.ref = pr.headRef;
    p.pull_request.head.repo = { ...p.pull_request.base.repo };
  }
  if (pr.body !== undefined) p.pull_request.body = pr.body;
  return p;
}

export function pushPayload(r: RepoRef, push: { ref?: string; before: string; after: string }): Json {
  const p = example('push');
  setRepository(p, r);
  Object.assign(p, { ref: push.ref ?? 'refs/heads/main', before: push.before, after: push.after, deleted: false, created: false });
  if (p.head_commit) p.head_commit.id = push.after;
  return p;
}

/** A comment written by a person (`user`), as the sender of the event. */
function setComment(p: Json, c: { body: string; user: string; commentId: number }): void {
  p.comment.id = c.commentId;
  p.comment.body = c.body;
  p.comment.user.login = c.user;
  p.comment.user.type = 'User';
  p.sender.login = c.user;
  p.sender.type = 'User';
}

/** A comment on pull request `pr`, or (`onIssue`) on an issue that is not a pull request. */
export function issueCommentPayload(r: RepoRef, c: { pr: number; body: string; user: string; commentId: number; onIssue?: boolean }): Json {
  const p = example('issue_comment', 'created');
  setRepository(p, r);
  p.issue.number = c.pr;
  if (c.onIssue) delete p.issue.pull_request;
  else
    p.issue.pull_request = {
      url: `https://api.github.com/repos/${r.owner}/${r.repo}/pulls/${c.pr}`,
      html_url: `https://github.com/${r.owner}/${r.repo}/pull/${c.pr}`,
    };
  setComment(p, c);
  return p;
}

export function commitCommentPayload(r: RepoRef, c: { sha: string; body: string; user: string; commentId: number }): Json {
  const p = example('commit_comment', 'created');
  setRepository(p, r);
  setComment(p, c);
  p.comment.commit_id = c.sha;
  return p;
}

export interface Delivered {
  status: number;
  body: Json;
  delivery: string;
}

/** POST a webhook to the service, signed with `secret` (or with the given signature header). */
export async function deliver(
  url: string,
  event: string,
  payload: Json,
  o: { secret?: string; signature?: string | null; delivery?: string } = {},
): Promise<Delivered> {
  const raw = JSON.stringify(payload);
  const delivery = o.delivery ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'user-agent': 'GitHub-Hookshot/test',
  };
  const signature = o.signature !== undefined ? o.signature : o.secret ? await sign(o.secret, raw) : null;
  if (signature) headers['x-hub-signature-256'] = signature;
  const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, delivery };
}
