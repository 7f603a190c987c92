import type { BlockAction, ButtonAction } from '@slack/bolt';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { approvalRef, denyMetadata, runMetadata, stepRef } from '../slack/payloads.js';
import { reportErrors } from '../slack/report-error.js';
import { ACTION } from '../templates/ids.js';
import { denyModal, runParamsModal } from '../templates/playbook.js';

/** A Run/Check button on a playbook step: steps with parameters open a form; the others run at once. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.runStep, async ({ ack, body, action, respond, client, logger }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await reportErrors(logger, tell, async () => {
      const ref = stepRef.decode(action.value);
      if (!ref) {
        throw new DomainError(
          'bad_step',
          'That button is out of date; attach the playbook again with `/incident playbook`.',
        );
      }
      const channelId = body.channel?.id ?? '';
      const incident = await deps.incidents.findByChannel(channelId);
      if (!incident) throw new DomainError('not_incident_channel', 'Run playbook steps from the incident channel.');
      const { playbook, step } = deps.playbooks.step(ref.p, ref.s);
      if (step.type === 'command' && Object.keys(step.params).length > 0) {
        const meta = runMetadata.encode({ incidentId: incident.id, channelId, playbookId: ref.p, stepKey: ref.s });
        await openModal(client, body.trigger_id, runParamsModal(step, playbook, meta));
        return;
      }
      const r = await deps.playbooks.run(incident.id, ref.p, ref.s, body.user.id);
      if (r.kind === 'approval_requested')
        await tell(':raised_hand: Approval requested: an approver must approve before it runs.');
    });
  });

  // Roll back: the card's button lists the deployments; a version's button (after Slack's confirm) rolls back to it.
  app.action<BlockAction<ButtonAction>>(ACTION.rollback, async ({ ack, body, respond, logger }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await reportErrors(logger, tell, async () => {
      const incident = await deps.incidents.findByChannel(body.channel?.id ?? '');
      if (!incident) throw new DomainError('not_incident_channel', 'Roll back from the incident channel.');
      await deps.playbooks.showDeployments(incident.id, body.user.id);
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTION.rollbackTo, async ({ ack, body, action, respond, logger }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await reportErrors(logger, tell, async () => {
      const incident = await deps.incidents.findByChannel(body.channel?.id ?? '');
      if (!incident) throw new DomainError('not_incident_channel', 'Roll back from the incident channel.');
      await deps.playbooks.rollbackTo(incident.id, action.value ?? '', body.user.id);
    });
  });

  const approvalId = (value: string | undefined) => {
    const id = approvalRef.decode(value);
    if (!id) throw new DomainError('bad_approval', 'That approval request is out of date.');
    return id;
  };

  app.action<BlockAction<ButtonAction>>(ACTION.approveStep, async ({ ack, body, action, respond, logger }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await reportErrors(logger, tell, () => deps.playbooks.approve(approvalId(action.value), body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.denyStep, async ({ ack, body, action, respond, client, logger }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await reportErrors(logger, tell, async () => {
      const id = approvalId(action.value);
      await openModal(
        client,
        body.trigger_id,
        denyModal(id, denyMetadata.encode({ approvalId: id, channelId: body.channel?.id ?? '' })),
      );
    });
  });
}
