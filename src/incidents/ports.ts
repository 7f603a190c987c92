import type { Severity } from './severity.js';
import type { Incident, StatusUpdateInput } from './types.js';

/** What happened, for the chat surface to show. The domain says what; the chat adapter decides how. */
export type IncidentNotice =
  | { kind: 'severity_changed'; from: Severity; to: Severity; actorId: string }
  | { kind: 'acknowledged'; actorId: string; previousCommanderId: string | null }
  | { kind: 'status_update'; update: StatusUpdateInput; authorId: string }
  | { kind: 'mitigated'; actorId: string }
  | { kind: 'resolved'; actorId: string; summary: string };

/**
 * The domain's view of the chat platform. src/slack implements it with the Web API and the templates; the domain
 * never imports Slack.
 */
export interface IncidentChat {
  /** Creates the incident's channel (choosing another name when taken), sets its topic and invites the reporter. */
  openChannel(incident: Incident): Promise<{ channelId: string; channelName: string }>;
  /** Best-effort clean-up of a channel made for an incident that could not be recorded. */
  abandonChannel(channelId: string): Promise<void>;
  /** Posts the incident card; returns its message ts. */
  postCard(incident: Incident): Promise<string>;
  /** Pins the posted card. */
  pinCard(incident: Incident): Promise<void>;
  /** Re-renders the pinned card from the incident's current state. */
  refreshCard(incident: Incident): Promise<void>;
  /** Announces a new incident in the incidents channel, when one is configured. */
  announce(incident: Incident): Promise<void>;
  /** Posts what happened in the incident channel (and, for status updates, the incidents channel). */
  notify(incident: Incident, notice: IncidentNotice): Promise<void>;
}
