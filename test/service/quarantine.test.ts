import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, REPO_CONFIG, OWNER, REPO, webFile, opsFile, until } from './harness.js';
import { pullRequestPayload } from '../../testkit/webhooks.js';
import { rollbackMarker } from '../../src/git/rollback.js';

/**
 * The quarantine of a rollback pull request, seen from the other pull requests, from polling
 * (no webhook for the close) and from a reopen.
 */
describe('serve: a rollback quarantine shows on other pull requests, ends when polling finds it closed, and comes back on reopen', () => {
  let w: World;
  const RB = 7;
  const target = 'a'.repeat(40);
  const quarantined = async (): Promise<number[]> => (await w.svc!.ctx.records.openRollbacks('web')).map((r) => r.pr);

  beforeAll(async () => {
    w = await World.create({ 'driftless.yaml': REPO_CONFIG, ...webFile('a', 'one\n'), ...opsFile('o', 'ops\n') }, { poll: '*/1 * * * * *' });
    await w.start();
    // An open rollback pull request of stack web, as the CLI opens one (its record made as the webhook would).
    const { head } = w.openPr(RB, webFile('a', 'zero\n'));
    await w.svc!.ctx.records.addRollback({
      pr: RB,
      stack: 'web',
      branch: 'driftless/rollback-web-aaaaaaaaaaaa',
      commit: head,
      target,
      undoes: [],
      requestedBy: null,
    });
    await w.idle();
  });
  afterAll(async () => {
    await w.close();
  });

  it('the plan of another pull request that touches the stack says it is quarantined; one that does not, does not', async () => {
    w.openPr(8, webFile('b', 'bee\n'));
    w.openPr(9, opsFile('p', 'pea\n'));
    const web = await until('plan of #8 (by polling)', () => w.planComment(8));
    const ops = await until('plan of #9 (by polling)', () => w.planComment(9));
    expect(web).toContain(`Stack \`web\` is quarantined by rollback PR #${RB}`);
    expect(ops).not.toContain('quarantined');
    // The rollback pull request's own plan does not warn about itself.
    expect(await until('plan of the rollback', () => w.planComment(RB))).not.toContain('quarantined by rollback');
    // The dashboard's overview and stack page show it too.
    const overview = await (await fetch(`${w.url()}/`)).text();
    // Stacks are listed by name: ops, then web.
    const webRow = overview.slice(overview.indexOf('id="stack-web"'));
    expect(webRow).toContain(`quarantined by rollback <a href="/pulls/${RB}">#${RB}</a>`);
    expect(overview.slice(overview.indexOf('id="stack-ops"'), overview.indexOf('id="stack-web"'))).not.toContain('quarantined');
    expect(await (await fetch(`${w.url()}/stacks/web`)).text()).toContain(`Quarantined by rollback <a href="/pulls/${RB}">#${RB}</a>`);
  });

  it('closed on the forge with no webhook: the poll ends the quarantine', async () => {
    expect(await quarantined()).toEqual([RB]);
    w.gh.pulls.get(RB)!.state = 'closed';
    await until('quarantine lifted by the poll', async () => (await quarantined()).length === 0 || undefined);
    expect((await w.svc!.ctx.records.rollback(RB))?.state).toBe('closed');
  });

  it('reopened: the stack is quarantined again', async () => {
    const pr = w.gh.pulls.get(RB)!;
    pr.state = 'open';
    const d = await w.hook(
      'pull_request',
      pullRequestPayload({ owner: OWNER, repo: REPO }, 'reopened', {
        number: RB,
        headSha: pr.headSha,
        baseSha: pr.baseSha,
        headRef: 'driftless/rollback-web-aaaaaaaaaaaa',
        body: `Restores stack web.\n\n${rollbackMarker('web', target, [])}`,
      }),
    );
    expect(d.status).toBe(202);
    expect(await quarantined()).toEqual([RB]);
  });
});
