import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import { createAppAuth } from '@octokit/auth-app';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';
import { Pacer } from './pacer.js';
import { requestCost } from './pacing.js';

/** Pacing and the timings of octokit's throttling and retry plugins (GitHub's defaults unless a test shortens them). */
export interface GitHubTimings {
  /**
   * The pacing of requests within GitHub's secondary rate limits (pacing.ts): by default a Pacer of
   * its own with GitHub's documented limits; a test passes one to read its counters, or `false` to
   * send every request at once.
   */
  pacer?: Pacer | false;
  /** Base of the retry back-off, multiplied by retryCount² (plugin-retry: 1000 ms). */
  retryBaseMs?: number;
  /** Retries of a failed request before the outbox takes over (plugin-retry: 3). */
  retries?: number;
  /** Wait for a rate limit reset at most this many seconds before giving up (the outbox retries later). */
  maxRateLimitWaitS?: number;
  /** Told the status of every answer the API gives (metrics); 0 when the request got none. */
  onResponse?: (status: number) => void;
}

/**
 * An octokit plugin: every request (retries too) waits for the pacer given as the `pacer` option.
 * Registered before throttling and retry, so it runs inside them, next to the HTTP call.
 */
const pacing: Parameters<typeof Octokit.plugin>[0] = (octokit, options) => {
  const pacer = options.pacer as Pacer | undefined;
  if (!pacer) return {};
  octokit.hook.wrap('request', async (request, opts) => {
    await pacer.admit(requestCost(opts.method, opts.url));
    return request(opts);
  });
  return {};
};

/**
 * An octokit plugin: every HTTP answer (retries too) is told to the `onResponse` option, with its
 * status (0 when none came back). Registered first, so it sits next to the HTTP call.
 */
const counting: Parameters<typeof Octokit.plugin>[0] = (octokit, options) => {
  const onResponse = options.onResponse as ((status: number) => void) | undefined;
  if (!onResponse) return {};
  octokit.hook.wrap('request', async (request, opts) => {
    try {
      const res = await request(opts);
      onResponse(res.status);
      return res;
    } catch (err) {
      onResponse(Number((err as { status?: number }).status ?? 0));
      throw err;
    }
  });
  return {};
};

const DriftlessOctokit = Octokit.plugin(counting, pacing, throttling, retry);
export type GitHubClient = InstanceType<typeof DriftlessOctokit>;

/**
 * An octokit for the configured repository: a token or a GitHub App installation (tokens made and
 * refreshed by @octokit/auth-app), GitHub Enterprise through baseUrl, pacing, throttling and retry. Its log
 * goes to pino without request options (they hold the Authorization header).
 */
export function githubClient(github: NonNullable<ServerConfig['github']>, log: Logger, t: GitHubTimings = {}): GitHubClient {
  const auth = github.app
    ? {
        authStrategy: createAppAuth,
        auth: { appId: github.app.id, privateKey: github.app.privateKey.reveal(), installationId: Number(github.app.installationId) },
      }
    : github.token
      ? { auth: github.token.reveal() }
      : {};
  const maxWait = t.maxRateLimitWaitS ?? 60;
  const retryBase = t.retryBaseMs ?? 1000;
  const pacer = t.pacer === false ? undefined : (t.pacer ?? new Pacer());
  // The pacer replaces plugin-throttling's flat spacing (writes 1 s apart, comments 3 s apart): its
  // groups are kept only without a gap; the plugin still waits out rate limit answers and retries.
  const unpaced = (): Bottleneck.Group => new Bottleneck.Group({ maxConcurrent: null, minTime: 0 });
  return new DriftlessOctokit({
    ...auth,
    baseUrl: github.baseUrl,
    userAgent: 'driftless',
    pacer,
    onResponse: t.onResponse,
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string) => log.warn({ source: 'octokit' }, String(msg)),
      error: (msg: string) => log.error({ source: 'octokit' }, String(msg)),
    },
    retry: { retries: t.retries ?? 3, retryAfterBaseValue: retryBase },
    throttle: {
      write: unpaced(),
      notifications: unpaced(),
      retryAfterBaseValue: retryBase,
      // GitHub said when to try again: this request waits that long (when it is near), and so does
      // every other request of this client, through the pacer.
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter }, 'GitHub rate limit reached');
        pacer?.pause(retryAfter * retryBase);
        return retryCount < 2 && retryAfter <= maxWait;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter }, 'GitHub secondary rate limit reached');
        pacer?.pause(retryAfter * retryBase);
        return retryCount < 2 && retryAfter <= maxWait;
      },
    },
  });
}
