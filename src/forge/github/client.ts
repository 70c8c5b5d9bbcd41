import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import { createAppAuth } from '@octokit/auth-app';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';

/** Timings of octokit's throttling and retry plugins (GitHub's defaults unless a test shortens them). */
export interface GitHubTimings {
  /** Minimum gap between writes (plugin-throttling: 1000 ms). */
  writeMinMs?: number;
  /** Minimum gap between writes that notify people, e.g. comments (plugin-throttling: 3000 ms). */
  notificationMinMs?: number;
  /** Base of the retry back-off, multiplied by retryCount² (plugin-retry: 1000 ms). */
  retryBaseMs?: number;
  /** Retries of a failed request before the outbox takes over (plugin-retry: 3). */
  retries?: number;
  /** Wait for a rate limit reset at most this many seconds before giving up (the outbox retries later). */
  maxRateLimitWaitS?: number;
}

const DriftlessOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof DriftlessOctokit>;

/**
 * An octokit for the configured repository: a token or a GitHub App installation (tokens made and
 * refreshed by @octokit/auth-app), GitHub Enterprise through baseUrl, throttling and retry. Its log
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
  const groupOpts = (minTime: number): Record<string, unknown> => ({ maxConcurrent: 1, minTime });
  return new DriftlessOctokit({
    ...auth,
    baseUrl: github.baseUrl,
    userAgent: 'driftless',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string) => log.warn({ source: 'octokit' }, String(msg)),
      error: (msg: string) => log.error({ source: 'octokit' }, String(msg)),
    },
    retry: { retries: t.retries ?? 3, retryAfterBaseValue: t.retryBaseMs ?? 1000 },
    throttle: {
      write: new Bottleneck.Group(groupOpts(t.writeMinMs ?? 1000)),
      notifications: new Bottleneck.Group(groupOpts(t.notificationMinMs ?? 3000)),
      retryAfterBaseValue: t.retryBaseMs ?? 1000,
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter }, 'GitHub rate limit reached');
        return retryCount < 2 && retryAfter <= maxWait;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter }, 'GitHub secondary rate limit reached');
        return retryCount < 2 && retryAfter <= maxWait;
      },
    },
  });
}
