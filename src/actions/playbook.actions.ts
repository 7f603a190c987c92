import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { DomainError } from '../incidents/errors.js';
import type { PastRollback } from '../incidents/ports.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo, type Tell, type WorkResult } from '../slack/handle.js';
import { incidentInChannel } from '../slack/incident-in-channel.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { playbookHostAt } from '../slack/playbook-host-at.js';
import { runStep } from '../slack/run-step.js';
import { ACTION } from '../templates/ids.js';
import {
  approvalRef,
  denyMetadata,
  rollbackAgainRef,
  rollbackRef,
  runMetadata,
  stepRef,
} from '../templates/payloads.js';
import {
  denyModal,
  renderDeployedOver,
  renderRollbackAgain,
  runParamsModal,
  settledDeployments,
} from '../templates/playbook.js';

interface Click {
  body: BlockAction<ButtonAction>;
  action: ButtonAction;
  client: WebClient;
  tell: Tell;
}

const ROLLBACK_HERE = 'Roll back from the incident channel.';

/** The buttons of playbook steps, approvals and roll back. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const on = (actionId: string, work: (click: Click) => WorkResult) => {
    app.action<BlockAction<ButtonAction>>(actionId, ({ ack, body, action, respond, client, logger }) => {
      const tell = replyTo(respond);
      // Admitted always: these run runbook commands (a step, an approved step, a roll back) that may take minutes, and
      // through the work gate each would hold one of its few places all that time, turning incident changes away.
      return afterAck({ ack: () => ack(), deps, logger, tell }, () => work({ body, action, client, tell }), {
        admit: 'always',
      });
    });
  };

  // A Run/Check button on a playbook step: steps with parameters open a form; the others run at once.
  on(ACTION.runStep, async ({ body, action, client, tell }) => {
    const ref = stepRef.decode(action.value);
    if (!ref) {
      throw new DomainError(
        'bad_step',
        'That button is out of date; attach the playbook again with `/incident playbook`.',
      );
    }
    const channelId = body.channel?.id ?? '';
    const host = await playbookHostAt(
      deps,
      channelId,
      ref.r,
      'Run playbook steps from the incident channel.',
      body.message,
    );
    const { playbook, step } = deps.playbooks.step(ref.p, ref.s);
    // Someone who may not run it is refused now, not after filling its form and confirming.
    await deps.playbooks.checkMayRun(host, ref.p, ref.s, body.user.id);
    const owner = host.kind === 'run' ? { runId: host.run.id } : { incidentId: host.incident.id };
    if (step.type === 'command' && Object.keys(step.params).length > 0) {
      const meta = runMetadata.encode({ ...owner, channelId, playbookId: ref.p, stepKey: ref.s });
      await openModal(client, body.trigger_id, runParamsModal(step, playbook, meta));
      return;
    }
    await runStep(deps, tell, { host, playbookId: ref.p, stepKey: ref.s }, body.user.id);
  });

  // Roll back: the card's button lists the deployments (to someone who may roll back; others are refused now); a
  // version's button (after Slack's confirm) rolls back to it.
  on(ACTION.rollback, async ({ body }) => {
    const incident = await incidentInChannel(deps, body.channel?.id, ROLLBACK_HERE);
    await deps.rollback.showDeployments(incident.id, body.user.id);
  });
  const rollbackHost = (body: Click['body'], runId: number | undefined) =>
    runId !== undefined
      ? playbookHostAt(deps, body.channel?.id, runId, ROLLBACK_HERE, body.message)
      : incidentInChannel(deps, body.channel?.id, ROLLBACK_HERE).then(
          (incident) => ({ kind: 'incident', incident }) as const,
        );
  on(ACTION.rollbackTo, async ({ body, action, client, tell }) => {
    // In a playbook run's thread (a deployment that failed its checks) the button names the run; else the incident.
    const inRun = rollbackRef.decode(action.value);
    const host = await rollbackHost(body, inRun?.r);
    const version = inRun ? inRun.v : (action.value ?? '');
    const list = body.message;
    // A list kept when posted is redrawn by the rollback service once out of date; one not kept, from its click.
    const kept = list?.ts && body.channel?.id ? await deps.rollback.lists?.find(body.channel.id, list.ts) : null;
    // A list older than a deploy shows a current version no longer so: nothing runs, and the person is told why.
    if (kept?.outOfDate?.kind === 'deploy') {
      await tell(renderDeployedOver(kept.outOfDate));
      return;
    }
    // A list older than a rollback shows versions no longer right: say what happened, mark it so, and ask first. The
    // rollback may have been another incident's (the history is the service's): the list kept says so then.
    const since =
      (list?.ts ? await deps.rollback.rolledBackSince(host, new Date(Number(list.ts) * 1000)) : null) ??
      (kept?.outOfDate?.kind === 'rollback' ? kept.outOfDate.past : null);
    if (since) {
      if (!kept) await settleList(client, body, since);
      await tell(renderRollbackAgain(since, version, inRun?.r ?? null));
      return;
    }
    await deps.limits.run(body.user.id);
    const verdict = await deps.rollback.rollbackAt(host, version, body.user.id);
    if (verdict && !kept) await settleList(client, body, { at: new Date(), by: body.user.id, verdict });
  });
  // Asked first (the list was older than a rollback), and confirmed: roll back to that version again.
  on(ACTION.rollbackAgain, async ({ body, action }) => {
    const again = rollbackAgainRef.decode(action.value);
    if (!again)
      throw new DomainError(
        'bad_rollback',
        'That button is out of date; `/incident rollback` lists the deployments again.',
      );
    const host = await rollbackHost(body, again.r);
    await deps.limits.run(body.user.id);
    await deps.rollback.rollbackAt(host, again.v, body.user.id);
  });

  /** The list of deployments clicked, once a rollback made it out of date: updated to say so (best effort). */
  const settleList = async (client: WebClient, body: Click['body'], past: PastRollback) => {
    const list = body.message;
    const channel = body.channel?.id;
    if (!list?.ts || !channel || !Array.isArray(list.blocks) || body.container?.is_ephemeral) return;
    const msg = settledDeployments(list.blocks as unknown[], past);
    await client.chat.update({ channel, ts: list.ts, text: msg.text, blocks: msg.blocks }).catch(() => undefined); // the rollback is done and said; an old list left as it was is only untidy
  };

  const approvalId = (value: string | undefined) => {
    const id = approvalRef.decode(value);
    if (!id) throw new DomainError('bad_approval', 'That approval request is out of date.');
    return id;
  };
  on(ACTION.approveStep, ({ body, action }) => deps.approvals.approve(approvalId(action.value), body.user.id));
  on(ACTION.denyStep, async ({ body, action, client }) => {
    const id = approvalId(action.value);
    // Someone who may not deny it is refused now, not after writing why.
    await deps.approvals.checkMayDeny(id, body.user.id);
    const meta = denyMetadata.encode({ approvalId: id, channelId: body.channel?.id ?? '' });
    await openModal(client, body.trigger_id, denyModal(id, meta));
  });
}
