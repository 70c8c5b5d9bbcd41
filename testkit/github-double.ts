import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { checkRequest } from './openapi.js';
import { OAuthDouble, type OAuthApp } from './github-oauth.js';

/**
 * A GitHub double on loopback: a real HTTP server that checks every request against GitHub's
 * published OpenAPI description (unknown operation: 404; invalid parameters or body: 422), records
 * it, and keeps just enough state for driftless: pull requests, comments, statuses, check runs,
 * deployments, issues and collaborator permissions. Failures can be injected per operation.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string | null;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  authorization: string | undefined;
  /** The double's message when it refused or failed the request. */
  message?: string;
  /** performance.now() when the request arrived (before the double looked at it). */
  receivedAt: number;
}

export interface Pull {
  number: number;
  /** Set for pull requests opened through the API. */
  title?: string;
  body?: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  baseSha: string;
  mergeable: boolean | null;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  draft: boolean;
  user: string;
  labels?: string[];
}

/** A review of a pull request (GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews). */
export interface Review {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  /** The head the review was given at. */
  commitId: string;
}

export interface Comment {
  id: number;
  issue: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}
export interface CommitComment {
  id: number;
  sha: string;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}
export interface Status {
  sha: string;
  state: string;
  context: string;
  description: string;
}
export interface CheckRun {
  id: number;
  sha: string;
  name: string;
  conclusion: string;
  title: string;
  annotations: any[];
} // eslint-disable-line @typescript-eslint/no-explicit-any
export interface Deployment {
  id: number;
  sha: string;
  environment: string;
  statuses: { state: string; description: string }[];
}
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
}

export interface GitHubDouble {
  url: string;
  owner: string;
  repo: string;
  requests: RecordedRequest[];
  pulls: Map<number, Pull>;
  comments: Comment[];
  commitComments: CommitComment[];
  statuses: Status[];
  checkRuns: CheckRun[];
  deployments: Deployment[];
  issues: Issue[];
  permissions: Map<string, string>;
  /** Merged pull requests of a commit (GET /repos/{owner}/{repo}/commits/{sha}/pulls). */
  commitPulls: Map<string, number[]>;
  /** Reviews per pull request, in submission order. */
  reviews: Map<number, Review[]>;
  /** Team members per `org/team-slug` (GET /orgs/{org}/teams/{team_slug}/memberships/{username}): login → state. */
  teams: Map<string, Map<string, 'active' | 'pending'>>;
  /** Answer the next `times` requests of `operationId` with `status` (and no effect). */
  failNext(operationId: string, status: number, times?: number): void;
  /**
   * Answer the next `times` requests of `operationId` as GitHub does when a rate limit is hit:
   * primary (403, `x-ratelimit-remaining: 0`, reset in `waitS`) or secondary (403 with `retry-after`).
   */
  rateLimitNext(operationId: string, o: { kind: 'primary' | 'secondary'; waitS: number; times?: number }): void;
  /** Hold every response of `operationId` until `release(operationId)` (a slow GitHub); the request is recorded on arrival. */
  hold(operationId: string): void;
  release(operationId: string): void;
  /** Requests that arrived for an operation (answered or held). */
  arrived(operationId: string): number;
  /** Requests that the double refused (404/422/401): a correct client makes none. */
  rejected(): RecordedRequest[];
  commentsOn(issue: number): Comment[];
  commentsOnCommit(sha: string): CommitComment[];
  /** The OAuth app's web flow (github-oauth.ts), when the double was given `oauth`. */
  oauth?: OAuthDouble;
  close(): Promise<void>;
}

export interface DoubleOptions {
  owner: string;
  repo: string;
  token: string;
  /** Serve under a path prefix, as GitHub Enterprise Server does (`/api/v3`). */
  prefix?: string;
  /** A GitHub App: JWTs signed with the key of `publicKeyPem` buy installation tokens for `installationId`. */
  app?: { id: string; installationId: string; publicKeyPem: string };
  /** The commit a branch of the repository names (for `pulls/create`); null when there is no such branch. */
  resolveBranch?: (branch: string) => string | null;
  /** An OAuth app: its web flow at /login/oauth/* (outside the prefix, as on GitHub Enterprise), and GET /user for its tokens. */
  oauth?: OAuthApp;
}

function verifyJwt(jwt: string, publicKeyPem: string, appId: string): boolean {
  const [h, p, sig] = jwt.split('.');
  if (!h || !p || !sig) return false;
  const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(publicKeyPem), Buffer.from(sig, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string | number; exp?: number };
  return ok && String(claims.iss) === appId && (claims.exp ?? 0) * 1000 > Date.now();
}

export async function startGitHubDouble(opts: DoubleOptions): Promise<GitHubDouble> {
  const tokens = new Set<string>([opts.token]);
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, { status: number; times: number }>();
  const rateLimits = new Map<string, { kind: 'primary' | 'secondary'; waitS: number; times: number }>();
  const held = new Map<string, (() => void)[]>();
  const arrivals = new Map<string, number>();
  let nextId = 1000;
  const oauth = opts.oauth ? new OAuthDouble(opts.oauth) : undefined;
  const d = {
    owner: opts.owner,
    repo: opts.repo,
    requests,
    pulls: new Map<number, Pull>(),
    comments: [] as Comment[],
    commitComments: [] as CommitComment[],
    statuses: [] as Status[],
    checkRuns: [] as CheckRun[],
    deployments: [] as Deployment[],
    issues: [] as Issue[],
    permissions: new Map<string, string>(),
    commitPulls: new Map<string, number[]>(),
    reviews: new Map<number, Review[]>(),
    teams: new Map<string, Map<string, 'active' | 'pending'>>(),
  };
  let url = '';
  const repoUrl = (): string => `${url}/repos/${opts.owner}/${opts.repo}`;
  const prefix = opts.prefix ?? '';
  const pullJson = (p: Pull) => ({
    url: `${repoUrl()}/pulls/${p.number}`,
    id: p.number * 7,
    number: p.number,
    state: p.state,
    draft: p.draft,
    title: p.title ?? `PR ${p.number}`,
    body: p.body ?? null,
    html_url: `${url}/pull/${p.number}`,
    user: { login: p.user, id: 1, type: 'User' },
    head: { sha: p.headSha, ref: p.headRef, label: `${opts.owner}:${p.headRef}` },
    base: { sha: p.baseSha, ref: p.baseRef, label: `${opts.owner}:${p.baseRef}` },
    mergeable: p.mergeable,
    merged: p.merged,
    merged_at: p.merged ? new Date().toISOString() : null,
    merge_commit_sha: p.mergeCommitSha,
    labels: (p.labels ?? []).map((name, i) => ({
      id: i + 1,
      node_id: `LA_${i + 1}`,
      url: `${repoUrl()}/labels/${name}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    })),
  });
  const commentJson = (c: Comment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user, type: 'Bot' },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    html_url: `${url}/c/${c.id}`,
  });
  const commitCommentJson = (c: CommitComment) => ({
    id: c.id,
    body: c.body,
    commit_id: c.sha,
    user: { login: c.user, type: 'Bot' },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    html_url: `${url}/commit/${c.sha}#commitcomment-${c.id}`,
    path: null,
    position: null,
    line: null,
  });
  const issueJson = (i: Issue) => ({ id: i.number * 11, number: i.number, title: i.title, body: i.body, state: i.state, html_url: `${url}/i/${i.number}` });

  type Handler = (params: Record<string, string>, body: any, query: URLSearchParams, token: string) => [number, unknown]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Create, edit and delete over one list of comments (on issues and pull requests, or on commits). */
  const commentsOf = <C extends { id: number; body: string; createdAt: string; updatedAt: string }>(
    list: C[],
    json: (c: C) => unknown,
    make: (params: Record<string, string>, base: Omit<Comment, 'issue'>) => C,
  ): { create: Handler; update: Handler; remove: Handler } => ({
    create: (p, b) => {
      const now = new Date().toISOString();
      const c = make(p, { id: nextId++, body: b.body, user: 'driftless[bot]', createdAt: now, updatedAt: now });
      list.push(c);
      return [201, json(c)];
    },
    update: (p, b) => {
      const c = list.find((x) => x.id === Number(p.comment_id));
      if (!c) return [404, { message: 'Not Found' }];
      c.body = b.body;
      c.updatedAt = new Date().toISOString();
      return [200, json(c)];
    },
    remove: (p) => {
      const i = list.findIndex((x) => x.id === Number(p.comment_id));
      if (i < 0) return [404, { message: 'Not Found' }];
      list.splice(i, 1);
      return [204, null];
    },
  });
  const issueComments = commentsOf(d.comments, commentJson, (p, c) => ({ ...c, issue: Number(p.issue_number) }));
  const commitComments = commentsOf(d.commitComments, commitCommentJson, (p, c) => ({ ...c, sha: p.commit_sha }));
  const handlers: Record<string, Handler> = {
    'pulls/list': (_p, _b, q) => [
      200,
      [...d.pulls.values()]
        .filter((p) => (q.get('state') ?? 'open') === 'all' || p.state === (q.get('state') ?? 'open'))
        .filter((p) => !q.get('base') || p.baseRef === q.get('base'))
        .filter((p) => !q.get('head') || `${opts.owner}:${p.headRef}` === q.get('head'))
        .map(pullJson),
    ],
    'pulls/create': (_p, b) => {
      const headSha = opts.resolveBranch?.(b.head) ?? null;
      if (!headSha) return [422, { message: `Validation Failed: head ${b.head} is not a branch` }];
      const baseSha = opts.resolveBranch?.(b.base) ?? null;
      if (!baseSha) return [422, { message: `Validation Failed: base ${b.base} is not a branch` }];
      if ([...d.pulls.values()].some((x) => x.state === 'open' && x.headRef === b.head)) {
        return [422, { message: `Validation Failed: A pull request already exists for ${opts.owner}:${b.head}.` }];
      }
      const number = Math.max(0, ...d.pulls.keys(), ...d.issues.map((i) => i.number)) + 1;
      const pr: Pull = {
        number,
        title: b.title,
        body: b.body ?? '',
        headSha,
        headRef: b.head,
        baseRef: b.base,
        baseSha,
        mergeable: null,
        state: 'open',
        merged: false,
        mergeCommitSha: null,
        draft: !!b.draft,
        user: 'driftless[bot]',
      };
      d.pulls.set(number, pr);
      return [201, pullJson(pr)];
    },
    'pulls/get': (p) => {
      const pr = d.pulls.get(Number(p.pull_number));
      return pr ? [200, pullJson(pr)] : [404, { message: 'Not Found' }];
    },
    'repos/list-pull-requests-associated-with-commit': (p) => [
      200,
      (d.commitPulls.get(p.commit_sha) ?? [])
        .map((n) => d.pulls.get(n))
        .filter(Boolean)
        .map((x) => pullJson(x!)),
    ],
    'pulls/list-reviews': (p, _b, q) => {
      const all = d.reviews.get(Number(p.pull_number)) ?? [];
      const per = Number(q.get('per_page') ?? 30);
      const page = Number(q.get('page') ?? 1);
      const slice = all.slice((page - 1) * per, page * per);
      return [
        200,
        slice.map((r, i) => ({
          id: Number(p.pull_number) * 1000 + (page - 1) * per + i,
          node_id: `PRR_${i}`,
          user: { login: r.user, id: 1, type: 'User' },
          body: '',
          state: r.state,
          html_url: `${url}/pull/${p.pull_number}#review`,
          pull_request_url: `${repoUrl()}/pulls/${p.pull_number}`,
          _links: { html: { href: `${url}/pull/${p.pull_number}` }, pull_request: { href: `${repoUrl()}/pulls/${p.pull_number}` } },
          submitted_at: new Date().toISOString(),
          commit_id: r.commitId,
          author_association: 'MEMBER',
        })),
      ];
    },
    'repos/get-collaborator-permission-level': (p) => {
      const perm = d.permissions.get(p.username);
      if (!perm) return [404, { message: `${p.username} is not a user` }];
      return [200, { permission: perm === 'maintain' ? 'write' : perm === 'triage' ? 'read' : perm, role_name: perm, user: { login: p.username } }];
    },
    'teams/get-membership-for-user-in-org': (p) => {
      // Slugs are lower case; logins are matched as GitHub does, without regard to case.
      const members = d.teams.get(`${p.org}/${p.team_slug}`.toLowerCase());
      const state = [...(members ?? [])].find(([u]) => u.toLowerCase() === p.username.toLowerCase())?.[1];
      if (!state) return [404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/teams/members' }];
      return [200, { url: `${url}/organizations/1/team/7/memberships/${p.username}`, role: 'member', state }];
    },
    // Only the OAuth app's user tokens reach this far (the double's own token is not a user's).
    'users/get-authenticated': (_p, _b, _q, token) => {
      const login = oauth?.userTokens.get(token);
      if (!login) return [403, { message: 'Resource not accessible by integration' }];
      const id = oauth!.idOf(login);
      return [
        200,
        { login, id, node_id: `U_${id}`, avatar_url: `${url}/avatars/${login}`, html_url: `${url}/${login}`, type: 'User', site_admin: false, name: null },
      ];
    },
    'issues/list-comments': (p) => [200, d.comments.filter((c) => c.issue === Number(p.issue_number)).map(commentJson)],
    'issues/create-comment': issueComments.create,
    'issues/update-comment': issueComments.update,
    'issues/delete-comment': issueComments.remove,
    'repos/list-comments-for-commit': (p) => [200, d.commitComments.filter((c) => c.sha === p.commit_sha).map(commitCommentJson)],
    'repos/create-commit-comment': commitComments.create,
    'repos/update-commit-comment': commitComments.update,
    'repos/delete-commit-comment': commitComments.remove,
    'repos/create-commit-status': (p, b) => {
      d.statuses.push({ sha: p.sha, state: b.state, context: b.context ?? 'default', description: b.description ?? '' });
      return [201, { id: nextId++, state: b.state, context: b.context, description: b.description }];
    },
    'checks/create': (_p, b) => {
      const run: CheckRun = {
        id: nextId++,
        sha: b.head_sha,
        name: b.name,
        conclusion: b.conclusion,
        title: b.output?.title ?? '',
        annotations: [...(b.output?.annotations ?? [])],
      };
      d.checkRuns.push(run);
      return [201, { id: run.id, head_sha: run.sha, name: run.name, status: 'completed', conclusion: run.conclusion }];
    },
    'checks/update': (p, b) => {
      const run = d.checkRuns.find((r) => r.id === Number(p.check_run_id));
      if (!run) return [404, { message: 'Not Found' }];
      run.annotations.push(...(b.output?.annotations ?? []));
      return [200, { id: run.id }];
    },
    'repos/create-deployment': (_p, b) => {
      const dep: Deployment = { id: nextId++, sha: b.ref, environment: b.environment ?? 'production', statuses: [] };
      d.deployments.push(dep);
      return [201, { id: dep.id, sha: dep.sha, ref: dep.sha, environment: dep.environment }];
    },
    'repos/create-deployment-status': (p, b) => {
      const dep = d.deployments.find((x) => x.id === Number(p.deployment_id));
      if (!dep) return [404, { message: 'Not Found' }];
      dep.statuses.push({ state: b.state, description: b.description ?? '' });
      return [201, { id: nextId++, state: b.state }];
    },
    'issues/create': (_p, b) => {
      // Issues and pull requests share one sequence of numbers, as on GitHub.
      const i: Issue = { number: Math.max(0, ...d.pulls.keys(), ...d.issues.map((x) => x.number)) + 1, title: b.title, body: b.body ?? '', state: 'open' };
      d.issues.push(i);
      return [201, issueJson(i)];
    },
    'apps/create-installation-access-token': (p) => {
      if (!opts.app || p.installation_id !== opts.app.installationId) return [404, { message: 'Not Found' }];
      const token = `ghs_${randomBytes(12).toString('hex')}`;
      tokens.add(token);
      return [201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: 'all' }];
    },
    'issues/update': (p, b) => {
      const i = d.issues.find((x) => x.number === Number(p.issue_number));
      if (!i) return [404, { message: 'Not Found' }];
      Object.assign(i, { ...(b.title ? { title: b.title } : {}), ...(b.body !== undefined ? { body: b.body } : {}), ...(b.state ? { state: b.state } : {}) });
      return [200, issueJson(i)];
    },
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const raw = Buffer.concat(chunks).toString('utf8');
      if (oauth && u.pathname.startsWith('/login/oauth/')) {
        const a = oauth.handle(method, u, req.headers, raw);
        const recorded = a.operationId === 'oauth/access-token' ? Object.fromEntries(new URLSearchParams(raw)) : null;
        requests.push({
          method,
          path: u.pathname + u.search,
          operationId: a.operationId,
          body: recorded,
          status: a.status,
          authorization: undefined,
          message: a.refusal,
          receivedAt,
        });
        res.writeHead(a.status, a.headers);
        res.end(a.body);
        return;
      }
      let body: unknown;
      let hasBody = raw.length > 0;
      const send = (status: number, data: unknown, operationId: string | null, headers: Record<string, string> = {}): void => {
        const message = status >= 400 ? (data as { message?: string } | null)?.message : undefined;
        requests.push({ method, path: u.pathname + u.search, operationId, body, status, authorization: req.headers.authorization, message, receivedAt });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(status === 204 || data === null ? undefined : JSON.stringify(data));
      };
      if (hasBody) {
        try {
          body = JSON.parse(raw);
        } catch {
          send(400, { message: 'Problems parsing JSON' }, null);
          return;
        }
      } else if (method === 'GET' || method === 'DELETE') hasBody = false;
      if (!u.pathname.startsWith(prefix + '/')) {
        send(404, { message: `not under ${prefix}` }, null);
        return;
      }
      const path = u.pathname.slice(prefix.length);
      let check: ReturnType<typeof checkRequest>;
      try {
        check = checkRequest(method, path, u.searchParams, body, hasBody);
      } catch (err) {
        send(500, { message: `the GitHub double could not check this request: ${(err as Error).message}` }, null);
        return;
      }
      if (!check.op || check.error) {
        send(check.status ?? 422, { message: check.error, documentation_url: 'https://docs.github.com/rest' }, check.op?.operationId ?? null);
        return;
      }
      const { op } = check;
      const auth = req.headers.authorization ?? '';
      const [scheme, credential] = auth.split(' ');
      const authorised =
        op.operationId === 'apps/create-installation-access-token'
          ? /^bearer$/i.test(scheme) && !!opts.app && verifyJwt(credential ?? '', opts.app.publicKeyPem, opts.app.id)
          : /^(token|bearer)$/i.test(scheme) && (tokens.has(credential ?? '') || !!oauth?.userTokens.has(credential ?? ''));
      if (!authorised) {
        send(401, { message: 'Bad credentials' }, op.operationId);
        return;
      }
      // A user's token asked for no scope: it reads who the user is, and nothing of a private repository.
      if (oauth?.userTokens.has(credential ?? '') && op.operationId !== 'users/get-authenticated') {
        send(404, { message: 'Not Found' }, op.operationId);
        return;
      }
      if (op.params.owner !== undefined && (op.params.owner !== opts.owner || op.params.repo !== opts.repo)) {
        send(404, { message: 'Not Found' }, op.operationId);
        return;
      }
      arrivals.set(op.operationId, (arrivals.get(op.operationId) ?? 0) + 1);
      const waiting = held.get(op.operationId);
      if (waiting) {
        waiting.push(() => answer());
        return;
      }
      answer();
      function answer(): void {
        const limited = rateLimits.get(op.operationId);
        if (limited && limited.times > 0) {
          limited.times--;
          const docs = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
          if (limited.kind === 'primary') {
            send(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: docs }, op.operationId, {
              'x-ratelimit-limit': '5000',
              'x-ratelimit-remaining': '0',
              'x-ratelimit-used': '5000',
              'x-ratelimit-resource': 'core',
              'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + limited.waitS),
            });
          } else {
            send(
              403,
              { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: docs },
              op.operationId,
              {
                'retry-after': String(limited.waitS),
              },
            );
          }
          return;
        }
        const fail = failures.get(op.operationId);
        if (fail && fail.times > 0) {
          fail.times--;
          send(fail.status, { message: 'Server Error (injected by the GitHub double)' }, op.operationId);
          return;
        }
        const h = handlers[op.operationId];
        if (!h) {
          send(501, { message: `the GitHub double does not implement ${op.operationId}` }, op.operationId);
          return;
        }
        const [status, data] = h(op.params, body, u.searchParams, credential ?? '');
        send(status, data, op.operationId);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.prefix ?? ''}`;
  return {
    ...d,
    url,
    oauth,
    failNext(operationId, status, times = 1) {
      failures.set(operationId, { status, times });
    },
    rateLimitNext(operationId, o) {
      rateLimits.set(operationId, { kind: o.kind, waitS: o.waitS, times: o.times ?? 1 });
    },
    hold(operationId) {
      if (!held.has(operationId)) held.set(operationId, []);
    },
    release(operationId) {
      const list = held.get(operationId) ?? [];
      held.delete(operationId);
      for (const f of list) f();
    },
    arrived: (operationId) => arrivals.get(operationId) ?? 0,
    rejected: () =>
      requests.filter(
        (r) =>
          (r.status === 404 && r.operationId === null) ||
          r.status === 422 ||
          r.status === 401 ||
          r.status === 501 ||
          (r.status === 500 && r.operationId === null) ||
          (r.operationId?.startsWith('oauth/') === true && r.message !== undefined),
      ),
    commentsOn: (issue) => d.comments.filter((c) => c.issue === issue),
    commentsOnCommit: (sha) => d.commitComments.filter((c) => c.sha === sha),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
