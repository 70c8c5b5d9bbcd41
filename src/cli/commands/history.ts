import type { Flags } from '../args.js';
import type { Io } from '../output.js';
import { openWorkspace } from '../context.js';
import { summaryLine } from '../../plan/model.js';

export async function historyCommand(flags: Flags, io: Io): Promise<number> {
  const { ws } = await openWorkspace(flags, io, 'history');
  try {
    const store = await ws.store();
    const runs = await store.runs({ repo: ws.repoName, stack: flags.stack, limit: Number(flags.limit ?? 20) });
    if (flags.format === 'json') {
      io.out.write(JSON.stringify({ runs }, null, 2) + '\n');
      return 0;
    }
    if (runs.length === 0) {
      io.out.write('No runs yet.\n');
      return 0;
    }
    for (const r of runs) {
      const who = [r.actor ? `by ${r.actor}` : '', r.pr ? `PR #${r.pr}` : ''].filter(Boolean).join(' ');
      io.out.write(
        `#${r.id}  ${r.startedAt.replace('T', ' ').slice(0, 19)}Z  ${r.stack}  ${r.kind}  ${r.outcome}  commit ${r.commit?.slice(0, 12) ?? '-'}  trigger: ${r.trigger}${who ? ` (${who})` : ''}\n`,
      );
      if (r.summary) io.out.write(`      ${summaryLine(r.summary)}\n`);
      for (const x of r.results ?? []) io.out.write(`      ${x.outcome === 'ok' ? ' ' : '!'} ${x.action} ${x.id}${x.error ? `: ${x.error}` : ''}\n`);
      if (r.error) io.out.write(`      error: ${r.error}\n`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
