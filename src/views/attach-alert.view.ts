import { noteIncident } from '../audit/request-context.js';
import { NOT_OPEN_TO_ADD } from '../incidents/alert-by-hand.js';
import type { ListenerDeps } from '../slack/deps.js';
import { ephemeralElseDirect } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { alreadyInIncident } from '../templates/alert-notice.js';
import { renderAttachedReply } from '../templates/attach-modal.js';
import { BLOCK, INPUT, VIEW } from '../templates/ids.js';
import { attachMetadata } from '../templates/payloads.js';

const STALE_TEXT = 'This form is out of date; close it and press Add to an open incident again.';

/**
 * A warning's Add to an open incident form: the alert (and its group's firing alerts in no incident) join the incident
 * picked, through the alert service; the answer goes to the person in the notice's channel.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.attachAlert, async ({ ack, view, body, client, logger }) => {
    const meta = attachMetadata.decode(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.attachIncident]: STALE_TEXT } });
      return;
    }
    const values = (view.state?.values ?? {}) as Record<
      string,
      Record<string, { selected_option?: { value?: string } | null } | undefined> | undefined
    >;
    const picked = Number(values[BLOCK.attachIncident]?.[INPUT.select]?.selected_option?.value ?? '');
    if (!Number.isSafeInteger(picked) || picked <= 0) {
      await ack({ response_action: 'errors', errors: { [BLOCK.attachIncident]: 'Pick the incident to add it to.' } });
      return;
    }
    const user = body.user.id;
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    // An incident resolved while the form was open is refused in the form, which stays open to pick another. A
    // database that does not answer leaves it to the work below, which says so.
    if (!(await deps.alerts.mayAttachTo(picked, teamId, user).catch(() => true))) {
      await ack({ response_action: 'errors', errors: { [BLOCK.attachIncident]: NOT_OPEN_TO_ADD } });
      return;
    }
    const tell = ephemeralElseDirect(client, meta.channelId, user);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const r = await deps.alerts.attach(meta.alertId, { teamId, userId: user, incidentId: picked });
        noteIncident(r.incident.id);
        await tell(r.kind === 'already' ? alreadyInIncident(r.incident) : renderAttachedReply(r.incident, r.alerts));
        return r;
      },
      { admit: 'gate', done: 'Added' },
    );
  });
}
