import type { Job } from '../durable/queue.js';
import type { ServiceContext } from '../context.js';
import { runApply } from './apply.js';
import { runBranch } from './branch.js';
import { runCommand } from './command.js';
import { runDrift } from './drift.js';
import { runPrPlan } from './pr-plan.js';
import type { JobKind, JobPayloads, JobResult } from './specs.js';

/** The job handlers, one per kind: a new kind is one file and one line here. */
const handlers: { [K in JobKind]: (ctx: ServiceContext, payload: JobPayloads[K]) => Promise<JobResult> } = {
  'pr-plan': runPrPlan,
  branch: runBranch,
  apply: runApply,
  command: runCommand,
  drift: runDrift,
};

function isKind(kind: string): kind is JobKind {
  return Object.hasOwn(handlers, kind);
}

/** Run a claimed job with its kind's handler. The payload is the one its spec queued (specs.ts). */
export function runJob(ctx: ServiceContext, job: Job): Promise<JobResult> {
  const kind = job.kind;
  if (!isKind(kind)) return Promise.resolve({ status: 'failed', error: `no handler for jobs of kind ${kind}` });
  const handler = handlers[kind] as (ctx: ServiceContext, payload: unknown) => Promise<JobResult>;
  return handler(ctx, job.payload);
}
