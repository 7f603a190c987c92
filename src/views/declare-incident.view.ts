import { noteError } from '../audit/outcome.js';
import { noteIncident } from '../audit/request-context.js';
import type { ListenerDeps } from '../slack/deps.js';
import { directMessageTo, ephemeralElseDirect } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { alreadyInIncident } from '../templates/alert-notice.js';
import { renderResolvedBeforeDeclared } from '../templates/alert-resolved.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { renderAlreadyDeclared, renderDeclaredAboutMessage, renderDeclaredReply } from '../templates/notices.js';
import { declareMetadata } from '../templates/payloads.js';
import { parseDeclareForm } from './parse-declare.js';

/** What a declaration from the form answers: an alert's (from its notice) may say the alert had resolved before. */
type FromForm = Awaited<ReturnType<ListenerDeps['alerts']['declareFromAlert']>>;

const STALE_TEXT = 'This form is out of date; close it and open a new one.';
const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was declared. Submit again in a minute.';

/**
 * The declare form: declares through the same service as `/incident sev1 <title>` (rate limit, channel, card,
 * announcement, pages), then posts the description in the new channel; the view id makes a double submit one
 * incident. From the Home tab the answer is a direct message, for a form has no channel; from a warning alert's
 * notice the alert is linked to the incident (through the alert service) and the answer goes to that channel.
 */
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
    const user = body.user.id;
    const teamId = body.team?.id ?? body.user.team_id ?? view.team_id;
    // Over the declaration limit, the form stays open with what was typed (a refusal after it closed lost it), unless
    // it repeats the declaration just made, which is shown as `/incident` shows it.
    const refused = await deps.limits.declarationRefusal(user).catch(() => null);
    if (refused) {
      const repeat = await deps.incidents
        .repeatOf({ teamId, reporterId: user, title: parsed.value.title })
        .catch(() => null);
      if (!repeat) {
        noteError(refused); // rate_limited, as a refused /incident declaration is
        await ack({ response_action: 'errors', errors: { [BLOCK.declareTitle]: refused.message } });
        return;
      }
    }
    const tell =
      meta.from === 'home' ? directMessageTo(client, user) : ephemeralElseDirect(client, meta.channelId, user);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const { severity, title, description, private: isPrivate } = parsed.value;
        const requestKey = `view:${view.id}`;
        const r = await deps.limits.declaring<FromForm>(
          user,
          () =>
            meta.from === 'alert'
              ? deps.alerts.declareFromAlert(meta.alertId, {
                  teamId,
                  userId: user,
                  severity,
                  title,
                  requestKey,
                  private: isPrivate,
                })
              : deps.incidents.declare({ teamId, reporterId: user, title, severity, requestKey, private: isPrivate }),
          (r) => r.kind === 'declared',
          () => deps.incidents.repeatOf({ teamId, reporterId: user, title }),
        );
        if (r.kind === 'retry') return null;
        noteIncident(r.incident.id);
        if (r.kind === 'already') {
          await tell(alreadyInIncident(r.incident));
          return r;
        }
        if (r.kind === 'existing') {
          await tell(renderAlreadyDeclared(r.incident, severity));
          return r;
        }
        const warnings = description ? await deps.notes.describe(r.incident, user, description) : [];
        const reply = renderDeclaredReply(r.incident, r.problems, r.privateWhy);
        // Declared from an alert's notice after the alert resolved: said, with when.
        const resolved = 'resolvedBefore' in r && r.resolvedBefore ? r.resolvedBefore : null;
        await tell(resolved ? `${reply}\n${renderResolvedBeforeDeclared(resolved)}` : reply);
        // Those who saw the message learn of the incident in its thread; a private one is not named there.
        if (meta.from === 'message' && !r.incident.private) {
          await client.chat
            .postMessage({ channel: meta.channelId, thread_ts: meta.ts, text: renderDeclaredAboutMessage(r.incident) })
            .catch((err: unknown) => logger.debug('could not tell the message thread of the incident', err));
        }
        return { warnings };
      },
      {
        admit: 'heavy',
        whenDown: 'declare',
        refuse: () => ack({ response_action: 'errors', errors: { [BLOCK.declareTitle]: BUSY_FORM_TEXT } }),
        done: 'Declared',
      },
    );
  });
}
