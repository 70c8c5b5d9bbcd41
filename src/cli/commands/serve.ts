import type { Flags } from '../args.js';
import type { Io } from '../output.js';

/** `driftless serve` arrives with the service (webhooks, polling, PR plans, apply after merge). */
export async function serveCommand(_flags: Flags, io: Io): Promise<number> {
  io.err.write('error: serve is not available in this build yet\n');
  return 1;
}
