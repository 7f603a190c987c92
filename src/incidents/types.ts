import type { Severity } from './severity.js';

export const INCIDENT_STATUSES = ['investigating', 'mitigated', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The runbook's incident process, in order. */
export const INCIDENT_PHASES = ['detection', 'assessment', 'mitigation', 'resolution', 'postmortem'] as const;
export type IncidentPhase = (typeof INCIDENT_PHASES)[number];

export const STATUS_LABELS: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
};

export const PHASE_LABELS: Record<IncidentPhase, string> = {
  detection: 'Detection',
  assessment: 'Assessment',
  mitigation: 'Mitigation',
  resolution: 'Resolution',
  postmortem: 'Post-mortem',
};

/**
 * Part of a result that did nothing: what the person asked for was done already, or by someone else meanwhile
 * (someone else commands, the role was paged, the same declaration moments ago). The reason, in a few words, is what
 * the audit records as the request's outcome (`noop`); the person is told in words of the result's own.
 */
export interface Unchanged {
  unchanged: string;
}

export interface Incident {
  id: number;
  teamId: string;
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  phase: IncidentPhase;
  reporterId: string;
  commanderId: string | null;
  channelId: string | null;
  channelName: string | null;
  cardTs: string | null;
  createdAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  mitigatedAt: Date | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionSummary: string | null;
  /** When it was last reopened after a resolution (`/incident reopen`), and by whom; its timed rules count from then. */
  reopenedAt: Date | null;
  reopenedBy: string | null;
  /** When the severity was last changed (the paging rounds of nobody acknowledging count from then); null: never. */
  severityChangedAt: Date | null;
  customerImpact: boolean;
  dataLossRisk: boolean;
  /**
   * What was said with each flag as it was raised (`/incident impact enterprise tenants cannot log in`), while it is
   * raised: its page says it. null: nothing said, or raised by a status update (whose fields say it).
   */
  customerImpactNote: string | null;
  dataLossNote: string | null;
  affected: string | null;
  currentImpact: string | null;
  currentStatus: string | null;
  mitigationSteps: string | null;
  nextUpdateAt: Date | null;
  /**
   * The next update the status page promises (the latest published update's), when it is not `nextUpdateAt`: an
   * unpublished update moves that one only. Null or absent: the page promises none.
   */
  publicNextUpdateAt?: Date | null;
  lastUpdateAt: Date | null;
  /**
   * A private (security) incident: a private channel, announced nowhere public, listed only to its people, never on
   * the status page. Made public on purpose (`/incident public`); nothing makes a public one private.
   */
  private: boolean;
  /** The maintenance window that was open when it was declared (its title), or null. */
  maintenance: string | null;
  /** Who opened it: a person, or the bot for a monitoring alert (a page says so). */
  source: DeclareSource;
  /**
   * The recovery time objective of its procedure (the first attached playbook that has one), counted from the
   * declaration: its escalation rules tell the channel when the lower bound and the RTO pass. null: none attached.
   */
  recovery: RecoveryTime | null;
}

/** A flag that pages at once: customer impact, or a data-loss risk. */
export type RaisedFlag = 'customer_impact' | 'data_loss';

/** A playbook's RTO as an incident keeps it: the playbook's id and the bounds (equal for a single duration). */
export interface RecoveryTime {
  playbook: string;
  minMs: number;
  maxMs: number;
}

export const EVENT_KINDS = [
  'declared',
  'channel_created',
  'severity_changed',
  'acknowledged',
  'command_taken',
  /** Someone named the commander (`/incident commander @person`): `from` (or null), `to`. */
  'command_handed',
  'status_update',
  'mitigated',
  'resolved',
  /** A resolved incident reopened: `why` when given, and the resolution it undid (`resolvedAt`, `resolvedBy`, `summary`). */
  'reopened',
  'phase_changed',
  /** The title changed (`/incident rename`): `from`, `to`. */
  'renamed',
  'flag_set',
  'paged',
  'page_skipped',
  /**
   * A flag's page not sent to roles paged for the incident moments before (RECENT_PAGE_MS): `roles`, `rule`, `reason`.
   */
  'page_held',
  /** A paging job given up before its pages of `roles` went out (their DMs failing try after try): `rule`, `error`. */
  'page_failed',
  /**
   * A round of nobody acknowledging paged `role` again and nobody further up: `held`, the roles left in the contact
   * order, each with the conditions (`when`, in words) the runbook pages it on, none of which held. Once an incident.
   */
  'climb_held',
  'escalation_requested',
  'reminder_sent',
  'playbook_attached',
  'step_run',
  /**
   * What the post-deployment verification found after a rollback (`version`): `result` passed, failed (`failed`: each
   * check that failed, with what it saw), unchecked (some could not be checked), or not_run (the rollback itself
   * failed); `running`, the version `atom-cli status` showed, when it showed one.
   */
  'rollback_verified',
  'step_refused',
  'approval_requested',
  'approval_decided',
  /**
   * A request nobody decided, closed as it no longer stands (`why`: its step skipped or done, its playbook detached,
   * the incident resolved): it runs nothing. Its step named by `playbook`, `step`, `title`, `text`.
   */
  'approval_closed',
  /** A checklist step ticked Done, skipped (with its reason), or either undone by who ticked it. */
  'step_done',
  'step_skipped',
  'step_undone',
  'playbook_detached',
  'note',
  'action_item_added',
  'action_item_closed',
  'action_items_completed',
  'action_item_reminded',
  'postmortem_written',
  /** A monitoring alert fired in this incident (its first firing, or joining it firing; not every repeat). */
  'alert_fired',
  'alert_resolved',
  /**
   * The bot offered to raise the severity: critical alerts joined an incident less severe than their runbook rows
   * declare (`severity`, `alerts`: their names). Not offered again at that severity until the severity changes.
   */
  'raise_offered',
  /** A page's later step reached someone (email, PagerDuty, Slack again), or PagerDuty took an acknowledge/resolve. */
  'notified',
  /** A page's later step failed after its attempts, or could not be used (no address, not configured). */
  'notify_failed',
  /** Someone acknowledged, or resolved, the role's incident in PagerDuty. */
  'pagerduty_acknowledged',
  'pagerduty_resolved',
  /** A paged person acknowledged their own page after the incident was acknowledged: its remaining steps stopped. */
  'page_acknowledged',
  /** A private incident made public (who asked, when); it is then announced and listed. */
  'made_public',
  /** Someone joined the channel of a private incident made public, with its Join button. */
  'joined',
  /** The bot invited someone into a private incident's channel (`why`: `action_item_owner`), recorded as a member. */
  'member_added',
  /** Someone archived the incident's channel in Slack while it was open: nothing the bot posts reaches it. */
  'channel_archived',
  /** Someone unarchived it: the bot back in it (`invited`: the people it brought back, a public channel's). */
  'channel_unarchived',
] as const;
export type IncidentEventKind = (typeof EVENT_KINDS)[number];

export interface IncidentEvent {
  id: number;
  incidentId: number;
  at: Date;
  actorId: string | null;
  kind: IncidentEventKind;
  details: Record<string, unknown>;
}

/** What a person writes in the status update form (the runbook's communication template). */
export interface StatusUpdateInput {
  status: IncidentStatus;
  affected: string;
  currentImpact: string;
  currentStatus: string;
  mitigationSteps: string;
  nextUpdateAt: Date | null;
  customerImpact: boolean;
  dataLossRisk: boolean;
  /**
   * Publish to the public status page: its AFFECTED, CURRENT IMPACT and CURRENT STATUS (with the status and the next
   * update) become the incident's latest public update; nothing else of the update is ever public.
   */
  publish: boolean;
}

/** Who declared an incident: a person (`/incident`, the App Home form) or an alert. */
export const DECLARE_SOURCES = ['person', 'alert'] as const;
export type DeclareSource = (typeof DECLARE_SOURCES)[number];

/** An open incident that paged a person, and whether that person's page is still unanswered. */
export interface PagedIncident {
  incident: Incident;
  /** Some page of it to them is not answered: neither acknowledged by them nor before the incident's acknowledgement. */
  unanswered: boolean;
}
