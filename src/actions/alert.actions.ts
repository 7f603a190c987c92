import type { BlockAction, ButtonAction } from '@slack/bolt';
import { noteIncident } from '../audit/request-context.js';
import { TITLE_MAX } from '../commands/subcommands.js';
import { NOT_ATTACHED } from '../incidents/alert-attach.js';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { renderReopenedForAlert } from '../templates/alert-moves.js';
import { alreadyInIncident } from '../templates/alert-notice.js';
import { attachModal, nothingToAttachTo, renderDetachedReply } from '../templates/attach-modal.js';
import { declareModal } from '../templates/declare-modal.js';
import { ACTION } from '../templates/ids.js';
import { alertRef, attachedRef, attachMetadata, declareMetadata } from '../templates/payloads.js';

/**
 * A warning alert's notice: Declare incident (the declare form, prefilled from the alert and its runbook row) and Add
 * to an open incident (a form to pick which).
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.declareFromAlert, ({ ack, body, action, respond, client, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const alertId = alertRef.decode(action.value);
        const form = alertId ? await deps.alerts.declareForm(alertId) : null;
        if (!alertId || !form) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
        if (form.kind === 'declared') {
          await tell(alreadyInIncident(form.incident));
          return;
        }
        const channelId = body.channel?.id ?? body.container?.channel_id ?? '';
        await openModal(
          client,
          body.trigger_id,
          declareModal(deps.severities, declareMetadata.encode({ from: 'alert', alertId, channelId }), TITLE_MAX, {
            title: form.title,
            severity: form.severity,
            ...(form.about ? { about: form.about } : {}),
            ...(form.private ? { private: true } : {}),
          }),
        );
      },
      { admit: 'gate' },
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION.attachAlert, ({ ack, body, action, respond, client, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const alertId = alertRef.decode(action.value);
        const teamId = body.team?.id ?? body.user.team_id ?? '';
        const r = alertId ? await deps.alerts.attachChoices(alertId, teamId, body.user.id) : null;
        if (!alertId || !r) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
        if (r.kind === 'declared') {
          await tell(alreadyInIncident(r.incident));
          return;
        }
        if (r.incidents.length === 0) {
          await tell(nothingToAttachTo(r.alert));
          return;
        }
        const channelId = body.channel?.id ?? body.container?.channel_id ?? '';
        await openModal(
          client,
          body.trigger_id,
          attachModal(r.alert, r.incidents, r.total, attachMetadata.encode({ alertId, channelId })),
        );
      },
      { admit: 'gate' },
    );
  });

  // A resolved incident's channel told its alert fired again and joined another incident (storm control): Reopen
  // (Slack asks first) works on it again, the alert followed there again.
  app.action<BlockAction<ButtonAction>>(ACTION.reopenForAlert, ({ ack, body, action, respond, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const alertId = alertRef.decode(action.value);
        if (!alertId) throw new DomainError('alert_not_found', 'That alert is no longer recorded.');
        const r = await deps.alerts.reopenForAlert(alertId, body.user.id, `action:${body.trigger_id}`);
        noteIncident(r.incident.id);
        await tell(renderReopenedForAlert(r));
        return r;
      },
      { admit: 'gate' },
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION.detachAlerts, ({ ack, body, action, respond, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const id = attachedRef.decode(action.value);
        if (!id) throw new DomainError('not_attached', NOT_ATTACHED);
        const message =
          body.channel?.id && body.message?.ts ? { channel: body.channel.id, ts: body.message.ts } : undefined;
        const r = await deps.alerts.detach(id, body.user.id, message);
        noteIncident(r.incident.id);
        await tell(renderDetachedReply(r.incident, r.alerts));
        return r;
      },
      { admit: 'gate', done: 'Taken out' },
    );
  });
}
