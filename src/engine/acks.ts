import { ACKS_FILE, checkAckTargets, parseAcks, type ParsedAcks } from '../manifests/acks.js';
import { decodeUtf8 } from '../manifests/utf8.js';
import { DEFAULT_ACK_MAX_DAYS } from '../config/server-config.js';
import type { Diagnostic } from '../manifests/diagnostics.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import type { Workspace } from './workspace.js';

/** The repository's drift acknowledgements at a commit (none when it has no `.driftless/acks.yaml`). */
export async function acksAt(ws: Workspace, commit: string, now: Date): Promise<ParsedAcks> {
  const f = await ws.repo.readFileAt(commit, ACKS_FILE);
  if (!f) return { acks: [], diagnostics: [] };
  const decoded = decodeUtf8(ACKS_FILE, f.content);
  if ('error' in decoded) return { acks: [], diagnostics: [decoded.error] };
  return parseAcks(decoded.text, { now, maxDays: ws.config.acks?.maxDays ?? DEFAULT_ACK_MAX_DAYS });
}

/**
 * Every problem of the acks file at a commit, for `validate`: its own, and acks of resources the
 * stacks do not declare there. A stack whose manifests do not load is not judged (its own errors say why).
 */
export async function ackDiagnostics(ws: Workspace, commit: string, repoConfig: RepoConfig, registry: SchemaRegistry, now: Date): Promise<Diagnostic[]> {
  const parsed = await acksAt(ws, commit, now);
  const ids = new Map<string, Set<string> | null>();
  for (const stack of new Set(parsed.acks.map((a) => a.stack))) {
    if (!repoConfig.stacks[stack]) continue;
    const loaded = await ws.loader.loadStack(commit, stack, repoConfig.stacks[stack], registry);
    ids.set(stack, loaded.diagnostics.length ? null : new Set(loaded.resources.map((r) => r.id)));
  }
  const judged = parsed.acks.filter((a) => ids.get(a.stack) !== null);
  return [...parsed.diagnostics, ...checkAckTargets(judged, (s) => ids.get(s) ?? undefined)];
}
