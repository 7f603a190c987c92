import type { BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { AlreadyDoneError, DomainError, IncidentNotFoundError } from '../incidents/errors.js';
import { mustTakeUpdates } from '../incidents/refusal-phrases.js';
import { parseSeverityToken, SEVERITIES, type Severity, severityLabel } from '../incidents/severity.js';
import { publishesByDefault } from '../incidents/status-page.js';
import type { ListenerDeps } from '../slack/deps.js';
import { directMessageTo, ephemeralElseDirect } from '../slack/direct-tell.js';
import { downWords } from '../slack/down-words.js';
import { afterAck, replyTo, type Tell, type WorkResult } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { type WhenDown, within, ZONE_WAIT_MS } from '../slack/report-error.js';
import { renderCommandHeld, renderPageAcknowledged } from '../templates/commander.js';
import { renderAlreadyEscalated, renderEscalationReply } from '../templates/escalation.js';
import { ACTION } from '../templates/ids.js';
import { resolveModal, statusUpdateMetadata, statusUpdateModal } from '../templates/modals.js';
import { ackRef, clickedIncident, escalateRef, modalMetadata } from '../templates/payloads.js';

type CardAction = ButtonAction | StaticSelectAction;

interface CardClick {
  incidentId: number;
  userId: string;
  action: CardAction;
  body: BlockAction;
  client: WebClient;
  tell: Tell;
  /**
   * When the button was on a private reply (the question a declaration typed in an incident channel gets), replaces
   * that reply with what was done, so its buttons are not left to press again; on a message in a channel (the card, an
   * alert's notice), nothing.
   */
  settle: (text: string) => Promise<void>;
}

/** The buttons and the severity select on the incident card. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const { incidents } = deps;

  const on = (
    actionId: string,
    work: (click: CardClick) => WorkResult,
    whenDown?: WhenDown | ((action: CardAction) => WhenDown),
  ) => {
    app.action<BlockAction<CardAction>>(actionId, ({ ack, body, action, respond, client, logger }) => {
      const tell = replyTo(respond);
      // An error is told in the channel (ephemeral), else by direct message, when Slack refuses the response_url.
      const channelId = body.channel?.id;
      const tellElse = channelId
        ? ephemeralElseDirect(client, channelId, body.user.id)
        : directMessageTo(client, body.user.id);
      return afterAck(
        { ack: () => ack(), deps, logger, tell, tellElse },
        () => {
          const value = action.type === 'button' ? action.value : undefined;
          const incidentId = clickedIncident(value, action.block_id);
          // A value naming no incident id at all: none was ever given.
          if (!incidentId) throw new IncidentNotFoundError(false);
          const onReply = body.container?.is_ephemeral === true;
          const settle = async (text: string) => {
            if (onReply) await respond({ response_type: 'ephemeral', replace_original: true, text }).catch(() => {});
          };
          return work({ incidentId, userId: body.user.id, action, body, client, tell, settle });
        },
        { admit: 'gate', whenDown: downWords(typeof whenDown === 'function' ? whenDown(action) : whenDown, deps) },
      );
    });
  };

  // A click's trigger_id is unique; a Slack retry of the same click carries it again and is a silent no-op.
  const key = (body: BlockAction) => `action:${body.trigger_id}`;
  // Acknowledge (card, page): the first makes the commander; later ones are told who commands and offered Take
  // command, whose value names the commander it showed.
  on(
    ACTION.acknowledge,
    async ({ incidentId, userId, action, body, tell }) => {
      const takeFrom = ackRef.decode(action.type === 'button' ? action.value : undefined)?.takeFrom;
      const r = takeFrom
        ? await incidents.takeCommand(incidentId, userId, takeFrom, key(body))
        : await incidents.acknowledge(incidentId, userId, key(body));
      if (r?.kind === 'commanded') await tell(renderCommandHeld(r));
      if (r?.kind === 'page_acknowledged') await tell(renderPageAcknowledged(r));
      return r;
    },
    'ack',
  );
  // A resolved incident's card: Reopen (Slack asked first).
  on(
    ACTION.reopen,
    async ({ incidentId, userId, body, settle }) => {
      const r = await incidents.reopen(incidentId, userId, null, key(body));
      if (r) await settle(`:repeat: You reopened incident #${r.incident.number}: it is Investigating again.`);
      return r;
    },
    'update',
  );
  on(
    ACTION.markMitigated,
    ({ incidentId, userId, body }) => incidents.markMitigated(incidentId, userId, key(body)),
    'update',
  );
  // A critical alert's notice, or the reply to a declaration typed in the incident's channel: Raise to SEV-N (its
  // value `sev1`), unless the incident is that severe already.
  on(
    ACTION.raiseSeverity,
    async ({ incidentId, userId, action, body, settle }) => {
      const parsed = parseSeverityToken(action.type === 'button' ? (action.value ?? '') : '');
      if (!parsed.ok) return null;
      const { severity } = parsed;
      const i = await incidents.get(incidentId);
      if (i.severity <= severity) {
        throw new AlreadyDoneError(
          `Incident #${i.number} is ${severityLabel(i.severity)} already; nothing was changed.`,
        );
      }
      const r = await incidents.changeSeverity(incidentId, userId, severity, key(body));
      if (r) await settle(`:arrow_up: You raised incident #${i.number} to ${severityLabel(severity)}.`);
      return r;
    },
    // Only a SEV-0 pages at once; a raise to another severity changes the incident's timers.
    (action) => (action.type === 'button' && /^sev-?0$/i.test(action.value ?? '') ? 'page' : 'change'),
  );
  on(
    ACTION.changeSeverity,
    async ({ incidentId, userId, action, body }) => {
      const raw = action.type === 'static_select' ? Number(action.selected_option?.value) : Number.NaN;
      const severity = SEVERITIES.find((s) => s === raw) as Severity | undefined;
      // Not an option the select offers (a forged or an old payload): said, and audited refused.
      if (severity === undefined)
        throw new DomainError('bad_value', 'That is not a severity this bot knows; nothing was changed.');
      return incidents.changeSeverity(incidentId, userId, severity, key(body));
    },
    (action) => (action.type === 'static_select' && action.selected_option?.value === '0' ? 'page' : 'change'),
  );
  // The page's "Open the incident channel" is a link button; Slack still sends the click, which only needs an ack.
  app.action(ACTION.openChannel, async ({ ack }) => {
    await ack();
  });
  // Escalate now pages the role the button showed (its value carries it), or says that role was paged meanwhile.
  on(
    ACTION.escalate,
    async ({ incidentId, userId, action, body, tell }) => {
      const shownRole = escalateRef.decode(action.type === 'button' ? action.value : undefined)?.role ?? undefined;
      const r = await incidents.escalateNow(incidentId, userId, {
        requestKey: key(body),
        ...(shownRole ? { shownRole } : {}),
      });
      if (r?.kind === 'already') await tell(renderAlreadyEscalated(r, new Date()));
      // The channel hears of it when the page goes; the clicker is answered now.
      else if (r?.kind === 'paging') await tell(renderEscalationReply(r));
      return r;
    },
    'page',
  );
  on(
    ACTION.postUpdate,
    async ({ incidentId, body, client }) => {
      const i = await incidents.get(incidentId);
      mustTakeUpdates(i);
      // The writer's clock, said under Next update (Slack shows and reads the picker on it); briefly, the form waits.
      const [firing, zone] = await Promise.all([
        deps.alerts.firingOf(i.id),
        within(deps.notes.timeZoneOf(body.user.id), ZONE_WAIT_MS, null),
      ]);
      const now = new Date();
      const meta = statusUpdateMetadata(i, i.channelId ?? body.channel?.id ?? '', now, firing);
      await openModal(
        client,
        body.trigger_id,
        statusUpdateModal(i, meta, now, publishesByDefault(i.severity, deps.severities), {}, firing, zone),
      );
    },
    'update',
  );
  on(
    ACTION.resolve,
    async ({ incidentId, body, client }) => {
      const i = await incidents.get(incidentId);
      if (i.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
      const firing = await deps.alerts.firingOf(i.id);
      const meta = modalMetadata.encode({ incidentId, channelId: i.channelId ?? body.channel?.id ?? '', firing });
      await openModal(client, body.trigger_id, resolveModal(i, meta, firing));
    },
    'update',
  );
}
