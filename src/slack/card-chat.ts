import type { AlertCardView } from '../incidents/alert-types.js';
import type { EscalationView, FollowUpCardView, IncidentChat, ObjectivesView } from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';
import { type Message, renderIncidentCard } from '../templates/incident-card.js';
import { ShownCards } from './shown-cards.js';
import { type SlackChatCore, SlackChatPart } from './slack-chat-core.js';
import { slackErrorCode, toChatPlatformError } from './slack-errors.js';

/**
 * The incident card side of the Slack chat (see SlackChat): the card posted in the incident channel (found again after
 * an interruption), pinned, and refreshed, leaving out an update that would show the same again.
 */
export class SlackCardChat
  extends SlackChatPart
  implements Pick<IncidentChat, 'postCard' | 'findCard' | 'pinCard' | 'refreshCard' | 'cardMayDiffer'>
{
  constructor(core: SlackChatCore) {
    super(core);
    this.shownCards = new ShownCards(core.opts.shared);
  }

  /** What each card was last put in Slack as: an update that would show the same again is left out. */
  private readonly shownCards: ShownCards;

  /** The card of the incident as it stands now, with the sections read for it. */
  private card(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ) {
    return renderIncidentCard(incident, new Date(), this.opts.severities, escalation, alerts, objectives, followUp);
  }

  async postCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<string> {
    const channel = incident.channelId!;
    const card = this.card(incident, escalation, alerts, objectives, followUp);
    const res = await this.core.call('post the incident card', () =>
      this.client.chat.postMessage({
        channel,
        text: card.text,
        blocks: card.blocks,
        unfurl_links: false,
        // So that the card can be found again if the bot stops before recording it (findCard).
        metadata: { event_type: CARD_EVENT, event_payload: { incident_id: incident.id } },
      }),
    );
    await this.shownCards.showing(channel, res.ts!, cardBody(card));
    return res.ts!;
  }

  /**
   * The card already posted in the incident's channel, if the bot posted one (its metadata names the incident): a
   * declaration interrupted between posting its card and recording it finds it, instead of posting a second one.
   * Needs the `channels:history` (private: `groups:history`) scope; without it, or if Slack fails, null.
   */
  async findCard(incident: Incident): Promise<string | null> {
    if (!incident.channelId) return null;
    try {
      const res = await this.client.conversations.history({
        channel: incident.channelId,
        limit: 50,
        include_all_metadata: true,
      });
      const card = res.messages?.find(
        (m) =>
          m.metadata?.event_type === CARD_EVENT &&
          Number((m.metadata.event_payload as { incident_id?: unknown } | undefined)?.incident_id) === incident.id,
      );
      return card?.ts ?? null;
    } catch (err) {
      this.opts.log?.warn(
        `could not look for incident ${incident.id}'s card in its channel (${slackErrorCode(err) ?? String(err)}); posting it`,
      );
      return null;
    }
  }

  async pinCard(incident: Incident): Promise<void> {
    if (!incident.channelId || !incident.cardTs) return;
    try {
      await this.client.pins.add({ channel: incident.channelId, timestamp: incident.cardTs });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_pinned') throw toChatPlatformError(err, 'pin the incident card');
    }
  }

  async refreshCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<void> {
    if (!incident.channelId || !incident.cardTs) return;
    const card = this.card(incident, escalation, alerts, objectives, followUp);
    const [channel, ts, body] = [incident.channelId, incident.cardTs, cardBody(card)];
    // Put in Slack as exactly this already (posted or last updated so, by any replica): the card would not change.
    if (await this.shownCards.shows(channel, ts, body)) return;
    try {
      await this.core.call('update the incident card', () =>
        this.client.chat.update({ channel, ts, text: card.text, blocks: card.blocks }),
      );
    } catch (err) {
      await this.shownCards.forget(channel, ts);
      throw err;
    }
    await this.shownCards.showing(channel, ts, body);
  }

  async cardMayDiffer(incident: Incident): Promise<void> {
    if (incident.channelId && incident.cardTs) await this.shownCards.forget(incident.channelId, incident.cardTs);
  }
}

/** The metadata event type of an incident card (its payload names the incident). */
const CARD_EVENT = 'incident_card';

/** A card as sent: its text and blocks. */
const cardBody = (card: Message) => JSON.stringify([card.text, card.blocks]);
