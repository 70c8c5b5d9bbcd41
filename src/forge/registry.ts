import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import type { Forge, ForgeLogin } from './forge.js';
import { GitHubOAuth } from './github/oauth.js';
import { githubClient, type GitHubTimings } from './github/client.js';
import { GitHubForge } from './github/github-forge.js';
import { githubLinks } from './github/links.js';

/** Forge-specific options a test or benchmark may pass (timings of the client). */
export interface ForgeOptions {
  github?: GitHubTimings;
}

type ForgeFactory = (config: ServerConfig, log: Logger, o: ForgeOptions) => Forge | undefined;

/** The forges driftless speaks, by their section in the server config: a second forge is one folder and one line here. */
const forges: Record<string, ForgeFactory> = {
  github: (config, log, o) => {
    const g = config.github;
    if (!g) return undefined;
    if (!g.token && !g.app) throw new Error('github: give a token or an app (id, privateKey, installationId)');
    return new GitHubForge(githubClient(g, log, o.github), g.owner, g.repo, g.webhookSecret?.reveal(), githubLinks(g.baseUrl, g.owner, g.repo));
  },
};

/** The forge the server config names (at most one), or undefined when none is configured. */
export function createForge(config: ServerConfig, log: Logger, o: ForgeOptions = {}): Forge | undefined {
  for (const make of Object.values(forges)) {
    const forge = make(config, log, o);
    if (forge) return forge;
  }
  return undefined;
}

/** The login of `dashboard.auth` (a forge's name), or undefined for `none`. */
export function createLogin(config: ServerConfig): ForgeLogin | undefined {
  const d = config.dashboard;
  if (d?.auth === 'github' && d.oauth && config.github) {
    return new GitHubOAuth({ webUrl: d.oauth.webUrl, apiUrl: config.github.baseUrl, clientId: d.oauth.clientId, clientSecret: d.oauth.clientSecret });
  }
  return undefined;
}
