import { createInterface } from 'node:readline/promises';
import { commandUsage, parseCommandLine, USAGE, UsageError, type Command, type Flags } from './args.js';
import type { Io } from './output.js';

export function processIo(): Io {
  return {
    out: process.stdout,
    err: process.stderr,
    stdinIsTTY: !!process.stdin.isTTY,
    env: process.env,
    async ask(q) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(q);
      } finally {
        rl.close();
      }
    },
  };
}

type Handler = (flags: Flags, io: Io) => Promise<number>;

/** Each command is loaded when it runs: `--help` and a small `validate` do not pay for the others (the service, PGlite, pg). */
const handlers: Record<string, () => Promise<Handler>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  drift: async () => (await import('./commands/drift.js')).driftCommand,
  adopt: async () => (await import('./commands/adopt.js')).adoptCommand,
  graph: async () => (await import('./commands/graph.js')).graphCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  policy: async () => (await import('./commands/policy.js')).policyCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
};

/** Commands that read and print, holding the repository's and the state's model until they exit. */
const READ_ONLY = new Set<string>(['validate', 'plan', 'drift', 'graph', 'history', 'policy', 'help']);

/**
 * The V8 flags for the process a command line starts (bin/driftless.js sets them first). A command
 * that only reads holds the repository's and the state's model, prints, and exits: its peak is its
 * live data times V8's growth. It keeps the young generation at its first size (1 MB semi-spaces,
 * not up to 16 MB) and lets the old one grow by half of what survives a full collection (instead of
 * up to 4 times): a cold plan of 10,000 manifests peaks at 125 MB instead of 195 MB. A command that
 * writes (apply, adopt, rollback, demo, drift --remediate) allocates far more than it keeps (the
 * journal, the store's writes): there either flag cost CPU (an apply from empty: 10-20% more), so it
 * keeps V8's defaults, as the service does (it runs for long, and throughput counts).
 */
export function heapFlags(argv: string[]): string[] {
  try {
    const { command, flags } = parseCommandLine(argv);
    if (!READ_ONLY.has(command) || (command === 'drift' && flags.remediate)) return [];
  } catch {
    /* a command line in error: a usage message */
  }
  return ['--semi-space-growth-factor=1', '--heap-growing-percent=50'];
}

/** Run the CLI; returns the exit code. Errors a user can cause are printed without a stack trace. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let command: string;
  let flags: Flags;
  let topic: Command | undefined;
  try {
    ({ command, flags, topic } = parseCommandLine(argv));
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`error: ${err.message}\n\n${USAGE}`);
      return 1;
    }
    throw err;
  }
  if (command === 'help') {
    io.out.write(topic ? commandUsage(topic) : USAGE);
    return 0;
  }
  try {
    return await (await handlers[command]())(flags, io);
  } catch (err) {
    io.err.write(`error: ${(err as Error).message}\n`);
    if (io.env.DRIFTLESS_DEBUG) io.err.write(`${(err as Error).stack}\n`);
    return 1;
  }
}
