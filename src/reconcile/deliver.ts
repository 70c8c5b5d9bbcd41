import type { ServiceContext } from './context.js';
import type { OutboxItem, OutboxOp } from './durable/outbox.js';
import { markerPart } from '../forge/messages.js';

/**
 * Deliver one outbox entry to the forge or the git remote. Every delivery is safe to repeat:
 * comments are found again by their markers, multi-step writes remember their progress.
 */
export async function deliver(ctx: ServiceContext, item: OutboxItem): Promise<void> {
  const op: OutboxOp = item.op;
  if (op.type === 'git-note') {
    await ctx.ws.repo.publishNote(op.commit, op.text, op.marker);
    return;
  }
  const forge = ctx.forge;
  if (!forge) throw new Error(`no forge is configured to deliver ${op.type}`);
  switch (op.type) {
    case 'comment.upsert':
      await forge.upsertComments(op.issue, (body) => markerPart(body, op.marker), op.bodies, op.onlyIfExists);
      return;
    case 'commit-comment.upsert':
      await forge.upsertCommitComments(op.sha, (body) => markerPart(body, op.marker), op.bodies);
      return;
    case 'status':
      await forge.setStatus(op.sha, op.context, op.state, op.description);
      return;
    case 'check-run':
      await forge.publishCheck(op.sha, { name: op.name, conclusion: op.conclusion, title: op.title, summary: op.summary, annotations: op.annotations });
      return;
    case 'deployment': {
      let id = item.progress?.deploymentId as number | undefined;
      if (id === undefined) {
        id = await forge.createDeployment(op.sha, op.environment, op.description);
        await ctx.outbox.saveProgress(item.id, { deploymentId: id });
      }
      await forge.setDeploymentStatus(id, op.environment, op.state, op.description);
      return;
    }
    case 'drift-issue': {
      const number = await ctx.records.driftIssue(op.stack);
      if (op.open) {
        if (number !== null) await forge.updateIssue(number, { title: op.title, body: op.body, state: 'open' });
        else await ctx.records.setDriftIssue(op.stack, await forge.openIssue(op.title, op.body));
      } else if (number !== null) {
        await forge.updateIssue(number, { body: op.body, state: 'closed' });
        await ctx.records.setDriftIssue(op.stack, null);
      }
      return;
    }
  }
}
