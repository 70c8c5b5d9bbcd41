import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Run the CLI in-process with captured output (no TTY unless asked). */
export async function runCli(args: string[], opts: { tty?: boolean; answer?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (c) => (chunks.out += c));
  err.on('data', (c) => (chunks.err += c));
  const io: Io = {
    out,
    err,
    stdinIsTTY: !!opts.tty,
    env: { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) },
    async ask() {
      return opts.answer ?? '';
    },
  };
  const code = await main(args, io);
  return { code, out: chunks.out, err: chunks.err };
}
