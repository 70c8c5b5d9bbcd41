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
