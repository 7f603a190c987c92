import type { BlockAction, ButtonAction } from '@slack/bolt';
import { noteIncident } from '../audit/request-context.js';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { ACTION } from '../templates/ids.js';
import { parseIncidentRef } from '../templates/payloads.js';
import { channelLink } from '../templates/text.js';

const incidentIdOf = (value: string | undefined): number => {
  // Read as every incident button's value is (a row id Postgres keeps).
  const id = parseIncidentRef(value);
  if (id === null) throw new DomainError('bad_button', 'That button is out of date.');
  return id;
};

/**
 * `/incident public`'s Make public (after Slack's confirmation): the incident is made public, recorded, announced.
 * An announcement's Join: the clicker is invited to the incident's channel (it stays private).
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.makePublic, ({ ack, body, action, respond, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const incidentId = incidentIdOf(action.value);
        noteIncident(incidentId);
        const r = await deps.privateIncidents.makePublic(incidentId, body.user.id, `public:${body.trigger_id}`);
        if (r) await tell(`:unlock: Incident #${r.incident.number} is public now.`);
        return r;
      },
      { admit: 'gate' },
    );
  });
  app.action<BlockAction<ButtonAction>>(ACTION.joinIncident, ({ ack, body, action, respond, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const incidentId = incidentIdOf(action.value);
        noteIncident(incidentId);
        const r = await deps.privateIncidents.join(incidentId, body.user.id);
        const where = r.incident.channelId ? channelLink(r.incident.channelId) : 'its channel';
        await tell(
          r.already
            ? `:information_source: You are in ${where} already.`
            : `:white_check_mark: You were invited to ${where}.`,
        );
      },
      { admit: 'gate' },
    );
  });
}
