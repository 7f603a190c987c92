import type { BlockAction, ButtonAction } from '@slack/bolt';
import { IncidentNotFoundError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { ACTION } from '../templates/ids.js';
import { modalMetadata, parseIncidentRef } from '../templates/payloads.js';
import { postmortemModal } from '../templates/postmortem-modal.js';

/** The resolved card's Write post-mortem: opens the post-mortem form, prefilled with what was written before. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.writePostmortem, ({ ack, body, action, respond, client, logger }) =>
    afterAck(
      { ack: () => ack(), deps, logger, tell: replyTo(respond) },
      async () => {
        const incidentId = parseIncidentRef(action.value, action.block_id);
        // A value naming no incident id at all: none was ever given.
        if (!incidentId) throw new IncidentNotFoundError(false);
        const form = await deps.postmortems.form(incidentId);
        const meta = modalMetadata.encode({
          incidentId,
          channelId: form.incident.channelId ?? body.channel?.id ?? '',
          seen: form.seen,
        });
        await openModal(client, body.trigger_id, postmortemModal(form, meta));
      },
      { admit: 'gate' },
    ),
  );
}
