import { noteIncident } from '../audit/request-context.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, ephemeralIn } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { renderDeclaredReply } from '../templates/notices.js';
import { declareMetadata } from '../templates/payloads.js';
import { channelLink } from '../templates/text.js';
import { parseDeclareForm } from './parse-declare-form.js';

const STALE_TEXT = 'This form is out of date; close it and open a new one.';
const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was declared. Submit again in a minute.';

/** The declare form opened from a warning alert's notice: declared as typed, with the alert linked to the incident. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.declare, async ({ ack, view, body, client, logger }) => {
    const meta = declareMetadata.decode(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.declareTitle]: STALE_TEXT } });
      return;
    }
    const parsed = parseDeclareForm((view.state?.values ?? {}) as unknown as Parameters<typeof parseDeclareForm>[0]);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const userId = body.user.id;
    const tell = ephemeralIn(client, meta.channelId, userId);
    await afterAck(
      { ack: () => ack(), gate: deps.gate, logger, tell },
      async () => {
        await deps.limits.declare(userId);
        const r = await deps.alerts.declareFromAlert(meta.alertId, {
          teamId: body.team?.id ?? body.user.team_id ?? '',
          userId,
          ...parsed.value,
          requestKey: `view:${view.id}`,
        });
        if (r.kind === 'retry') return;
        noteIncident(r.incident.id);
        const where = r.incident.channelId ? ` in ${channelLink(r.incident.channelId)}` : '';
        if (r.kind === 'already') {
          await tell(`:information_source: This alert is already in incident #${r.incident.number}${where}.`);
        } else if (r.kind === 'existing') {
          await tell(
            `:information_source: You declared this a moment ago: incident #${r.incident.number}${where}. No second incident was opened.`,
          );
        } else {
          await tell(renderDeclaredReply(r.incident, r.problems));
        }
      },
      {
        admit: 'gate',
        refuse: () => ack({ response_action: 'errors', errors: { [BLOCK.declareTitle]: BUSY_FORM_TEXT } }),
      },
    );
  });
}
