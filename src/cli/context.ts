import { loadServerConfig, type ServerConfig } from '../config/server-config.js';
import { Workspace } from '../engine/workspace.js';
import type { Flags } from './args.js';
import type { Io } from './output.js';

/** Load the config (with --repo / --data-dir overrides) and open the workspace. */
export async function openWorkspace(flags: Flags, io: Io, command: string): Promise<{ config: ServerConfig; ws: Workspace }> {
  const config = loadServerConfig(flags.config, { repo: flags.repo, dataDir: flags['data-dir'], breakLock: flags['break-lock'], env: io.env });
  if (flags.parallelism) config.parallelism = Number(flags.parallelism);
  const ws = await Workspace.open(config, command, { oneShot: true });
  return { config, ws };
}
