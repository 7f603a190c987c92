import type { Severity } from './severity.js';

/** How urgent an alert is: critical opens an incident, warning asks a person, info is recorded. */
export const ALERT_LEVELS = ['critical', 'warning', 'info'] as const;
/**
 * Why storm control sent alerts past the cap to an incident (said where they are told): `storm`, no open incident of
 * their source had alerts of their name or runbook row, so the storm's incident; `same_row`, one had alerts of their
 * row (of their name: nothing new to tell). Absent: their group's alerts were there already.
 */
export type JoinedWhy = 'storm' | 'same_row';

export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What a row of the runbook's Alert Thresholds table says to do during a maintenance window. */
export const MAINTENANCE_BEHAVIOURS = ['declare', 'record'] as const;
export type MaintenanceBehaviour = (typeof MAINTENANCE_BEHAVIOURS)[number];

/** One row of the runbook's Alert Thresholds table (the runbook file's `alerts:`). */
export interface AlertRule {
  /** The alert's name as monitoring sends it (Alertmanager's `alertname`), e.g. `HighErrorRate`. */
  name: string;
  /** The metric it watches, e.g. `error_rate`. */
  metric: string;
  /** As the runbook writes it: `> 10%`. */
  threshold: string;
  /** How long the threshold must hold, as written (`2m`), and in ms; '' and 0 where the runbook gives none. */
  duration: string;
  durationMs: number;
  level: AlertLevel;
  /** The runbook's action text: "Check logs, identify root cause". */
  action: string;
  /** The playbook (id) it points to, suggested on the incident. */
  playbook: string | null;
  /** The severity an incident opened from it is declared with (and a warning's form starts with). */
  severity: Severity;
  /** Resolve the incident once every alert of it has resolved (otherwise the channel is offered Resolve). */
  autoResolve: boolean;
  /** During a maintenance window: declare as usual, or only record and show. */
  duringMaintenance: MaintenanceBehaviour;
  /** Words of a typed title that mean this row's trouble (a row without a playbook): such a title is suggested none. */
  match?: readonly string[];
  /** A heartbeat row: its silence for this long (from a source that sent it) is told in the incidents channel. */
  heartbeatMs?: number;
  /**
   * Its playbook is a security one (a DDoS attack, a breach): an incident its alerts open is private, as one whose title
   * suggests such a playbook is, and its alerts join only private ones.
   */
  security?: boolean;
}

/** The label that says how many of an alert's labels were left out, past the most kept (alert-formats). */
export const LABELS_LEFT_OUT = 'incident_bot_labels_left_out';

/** One alert as a delivery carried it, whatever the format, before it is recorded. */
export interface IncomingAlert {
  /** Identity within its source and format: Alertmanager's fingerprint, or the generic format's `key`. */
  fingerprint: string;
  /** The alert's name: Alertmanager's `alertname`, or the generic `metric` (else its key). */
  name: string;
  status: AlertStatus;
  /** As classified at intake: the matching rule's level, else the alert's own. */
  level: AlertLevel;
  /** The matching rule's name, if a row matched. */
  rule: string | null;
  summary: string;
  service: string | null;
  metric: string | null;
  value: string | null;
  threshold: string | null;
  labels: Record<string, string>;
  url: string | null;
  /** Its runbook (Alertmanager's `runbook_url` annotation); absent in deliveries written before the bot kept it. */
  runbookUrl?: string | null;
  /** Where it is silenced (Grafana's silenceURL, Alertmanager's silence form); absent in older deliveries. */
  silenceUrl?: string | null;
  /** Where its graph is (Grafana's panelURL, else its dashboardURL); absent in older deliveries. */
  dashboardUrl?: string | null;
  /** What fired in more words than its summary (the `description` annotation or field); absent when none was given. */
  description?: string | null;
  /**
   * When the alert's current firing started and when it ended, as the source says (ISO 8601, UTC); null when it does
   * not say (the generic format), endsAt also while it fires.
   */
  startsAt: string | null;
  endsAt: string | null;
  /**
   * What a resolution did not say (the generic format's resolve may send its key alone, as PagerDuty's resolve event
   * does): these stay as the alert's firing said them, on its row and its card. Absent: everything was said (an
   * Alertmanager alert is sent whole, a firing always).
   */
  unsaid?: UnsaidField[];
}

/** What describes an alert, which a resolution may leave unsaid (IncomingAlert.unsaid). */
export type UnsaidField =
  | 'name'
  | 'rule'
  | 'level'
  | 'summary'
  | 'service'
  | 'metric'
  | 'value'
  | 'threshold'
  | 'labels'
  | 'url'
  | 'runbookUrl';

/** The formats the hooks take; with its source and fingerprint (or key), part of an alert's identity. */
export const ALERT_FORMATS = ['alertmanager', 'generic'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/** A delivery as the hooks accept it: one request's alerts, from one source, of one group. */
export interface AlertDelivery {
  /** `alertmanager` (or the hook's `?source=`), or the generic format's `source`. */
  source: string;
  format: AlertFormat;
  /** Alerts of one group go to one incident: Alertmanager's groupKey, or the generic `key`. */
  groupKey: string;
  alerts: IncomingAlert[];
  /** Alerts of the group the source left out (Alertmanager's `truncatedAlerts`, past its receiver's `max_alerts`). */
  truncated?: number;
  /**
   * The sender's own id of the delivery, the same on each of its retries (QStash's `Upstash-Message-Id`): a retry is
   * known by it, however late and whatever came between, not by its body within the duplicate window.
   */
  senderId?: string;
  /**
   * What proved where it came from, when it can be used once only (a signature over its timestamp and body, a QStash
   * JWT): the same proof again is a replay of this delivery (someone who captured it sending it again while its
   * timestamp is still good), answered as a duplicate and not recorded again.
   */
  proof?: string;
}

/** An alert as recorded, as the card and `/incident alerts` show it. */
export interface AlertView {
  id: number;
  source: string;
  /** Its hook's format (a generic alert gives no start time: a report after its incident is over is a new firing). */
  format?: AlertFormat;
  name: string;
  level: AlertLevel;
  status: AlertStatus;
  summary: string;
  service: string | null;
  metric: string | null;
  value: string | null;
  threshold: string | null;
  url: string | null;
  /** Its runbook, when the source gave one apart from `url`. */
  runbookUrl?: string | null;
  /** Where it is silenced, for a source that has silences (Alertmanager, Grafana). */
  silenceUrl?: string | null;
  /** Where its graph is, for a source that says (Grafana's panel or dashboard). */
  dashboardUrl?: string | null;
  /** What fired in more words than its summary, when the source said. */
  description?: string | null;
  /** When it first fired: the source's start when it gave one (and it was earlier), else when the bot heard of it. */
  firstSeen: Date;
  lastSeen: Date;
  /** When it resolved: the source's end when it gave one (never later than the bot heard), else when heard. */
  resolvedAt: Date | null;
  /**
   * Set when it was still firing in its incident, resolved, and fired again (a new firing, followed by a row of its own
   * from then on): when that was heard. Such a row is closed (`resolved`, at that time) but did not resolve.
   */
  firedAgainAt?: Date | null;
  /** How many deliveries carried it while firing. */
  count: number;
  /** Recorded during a maintenance window and, as its rule says, not declared. */
  maintenance: boolean;
  /** Its labels (Alertmanager's, the generic `labels`): those that tell it from the others listed are shown. */
  labels?: Record<string, string>;
}

/**
 * Of the alerts counted as firing (`firingInfo`: info alerts among them), those that keep an incident open: all but
 * the info alerts, which are recorded only.
 */
export const pressingCount = (c: { firing: number; firingInfo?: number }) => c.firing - (c.firingInfo ?? 0);

/** What the incident card shows about the alerts of an incident opened from (or joined by) alerts. */
export interface AlertCardView {
  sources: string[];
  /** The sources whose alerts opened it (not those people added later); absent: every source of `sources`. */
  openedFrom?: string[];
  firing: number;
  /** Of the firing, the info alerts: recorded only, they keep no incident open (nor its offer to resolve away). */
  firingInfo?: number;
  resolved: number;
  total: number;
  /** The alerts shown (firing first, latest first); `total - alerts.length` more are not shown. */
  alerts: AlertView[];
  /** The runbook rows of these alerts: their action text, threshold and duration. */
  rules: Pick<AlertRule, 'name' | 'action' | 'threshold' | 'duration' | 'metric'>[];
  /** Storm control sent further critical alerts of its source here. */
  storm: { source: string; maxIncidents: number } | null;
  /**
   * Alerts their sources left out of the groups' latest deliveries (Alertmanager's max_alerts), by source; `groups`:
   * of this incident's own group (`one`), or of the groups of a storm (`storm`: its own and those that joined it).
   */
  truncated: { source: string; count: number; groups: 'one' | 'storm' }[];
  /** The resolved incident the same alerts opened before; a private one is not named (it may not be this one's people's). */
  follows: { number: number; channelId: string | null } | { private: true } | null;
}

/** What `/incident alerts WORDS from N` asks: only the alerts holding every word (lower case), from the Nth on. */
export interface AlertQuery {
  words: string[];
  /** The first to show, counted from 1 in the list's order. */
  from: number;
}

/** How many alerts a narrowed list matches (`words` given), of the whole's `total` and `firing`. */
export interface AlertMatches {
  total: number;
  firing: number;
}

/** What `/incident alerts` lists: the alerts (firing first, at most a limit), how many in all, what was left out. */
export interface AlertList {
  alerts: AlertView[];
  firing: number;
  /** Of the firing, the info alerts (recorded only). */
  firingInfo?: number;
  total: number;
  /** What was asked (absent, or no words from 1: the whole list). */
  query?: AlertQuery;
  /** With words: how many match them (the list is of those). */
  matches?: AlertMatches | null;
  /** Alerts their sources left out of the groups' latest deliveries (see AlertCardView). */
  truncated: AlertCardView['truncated'];
}

/** Where an alert firing now is: its incident (as the person asking may see it), its notice, or recorded only. */
export type FiringAlertPlace =
  | { kind: 'incident'; number: number; channelId: string | null; resolved: boolean }
  | { kind: 'private' }
  /** A security alert in no incident: its details went to on-call only. */
  | { kind: 'security' }
  | { kind: 'notice'; channelId: string }
  | { kind: 'recorded' };

/** The alerts firing now across sources (`/incident alerts` outside an incident channel): the first, and how many. */
export interface FiringAlerts {
  alerts: (AlertView & { place: FiringAlertPlace })[];
  total: number;
  /** What was asked (absent, or no words from 1: everything firing); `total` counts what matches it. */
  query?: AlertQuery;
}

/** A warning alert's notice in the incidents channel. */
export interface AlertNoticeView {
  /** The notice's lead: the first alert of its group it was posted for. */
  alert: AlertView;
  /**
   * Set when the notice shows several alerts of one group (a delivery of many warnings is one notice): the first few
   * (each as it is now, the firing first), how many it shows in all, and how many of them fire.
   */
  group?: {
    alerts: AlertView[];
    total: number;
    firing: number;
    /** Alerts of the group its source left out of its latest delivery (Alertmanager's max_alerts): not recorded. */
    leftOut?: number;
  };
  rule:
    | (Pick<AlertRule, 'name' | 'action' | 'threshold' | 'duration' | 'severity'> & {
        /** The playbook the row points at (suggested on an incident declared from it), by its title. */
        playbook?: { id: string; title: string } | null;
      })
    | null;
  /**
   * Set once someone declared an incident from it (or it joined one). A private incident is not named in the
   * incidents channel: neither its number, nor its channel, nor who declared it.
   */
  declared:
    | {
        number: number;
        channelId: string | null;
        by: string;
        /** Added to the incident, already open, rather than declared from the notice (Add to incident). */
        attached?: true;
        /** Sent by storm control to an incident opened for other alerts (its source past its cap): it joined, not declared. */
        joined?: true;
      }
    | { private: true; attached?: true; joined?: true }
    | null /**
   * The incident the lead alert was in before this firing (resolved since: it fired again), while none holds it now;
   * a private one is not named.
   */;
  before?: { number: number; channelId: string | null } | { private: true } | null;
  /**
   * A security alert among those it shows (its row's playbook a security one, or its title reading as one): the
   * incidents channel is everyone's, so the notice there says only that one fired, at which level; what fired, and its
   * Declare incident, go to on-call directly (AlertChat.sendAlertNotice).
   */
  security?: true;
  /**
   * With `security`: no alert of it reads as a security matter, but they joined a private incident (their group's,
   * a security alert's). The incidents channel's notice is withdrawn, naming nothing of the alert, nor security; so is
   * on-call's direct copy, if it was sent one (none is sent now).
   */
  withdrawn?: true;
}

/**
 * What a recorded delivery still has to do outside the database, in order; each step is done once (recorded as done)
 * and can be tried again: declare an alert incident, refresh its card, post or update a warning's notice, tell the
 * channel that every alert resolved (or resolve, when the row says auto_resolve).
 */
export type AlertStep =
  | { kind: 'declare'; alertIncident: number }
  /** `incident`: the incident it was declared as, when the plan was made (older plans: read then). */
  | { kind: 'card'; alertIncident: number; incident?: number }
  | { kind: 'notice'; alert: number }
  | { kind: 'all_resolved'; alertIncident: number }
  /** An alert fired again after every alert of the incident had resolved (and its channel was offered to resolve). */
  | { kind: 'fired_again'; alertIncident: number }
  /**
   * Critical alerts joined an incident declared before them (in one delivery, or added by hand at once): its channel
   * is told, once, if the incident is less severe than they declare. `alert`: the first (all of them in `alerts`; a
   * step planned before `alerts` existed has only `alert`).
   */
  | { kind: 'outranked'; alert: number; alerts?: number[]; incident: number }
  /**
   * Storm control first sent a source's further critical alerts to this alert incident's incident: its channel and the
   * incidents channel are told, once (the card says it from then on). `back`: they come back to it after the storm had
   * left it (the how-manieth return told): told again, once per return. `quiet`: they come back to it within
   * ALERTS_STORM_RETURN_GAP (a flap), told nowhere: the incidents channel's storm message is only updated to name the
   * incident the storm joins now (no post, no reply in its thread).
   */
  | { kind: 'storm'; alertIncident: number; source: string; maxIncidents: number; back?: number; quiet?: true }
  /**
   * Storm control opened this alert incident past the source's cap: its alerts declare `severity`, more severe than
   * every incident of the source open on their side (the most severe `than`), so none took them. Its channel and the
   * incidents channel (for a public incident) are told why, once it is declared; its timeline notes it.
   */
  | {
      kind: 'past_cap';
      alertIncident: number;
      source: string;
      maxIncidents: number;
      severity: Severity;
      than: Severity;
    }
  /**
   * Alerts of names new to a storm's incident joined it (storm control sent them there): its channel is told, in one
   * line for those of one recording (a delivery, or a batch's of its group), as their card alone said it before.
   */
  | { kind: 'joined'; alertIncident: number; alerts: number[]; why?: JoinedWhy }
  /**
   * Alerts fired again after the incident they were in (`from`) was resolved, and joined this alert incident's (storm
   * control: their source past its cap): the resolved incident's channel is told where they went, with Reopen.
   */
  | { kind: 'fired_elsewhere'; alertIncident: number; from: number; alerts: number[] }
  /** A heartbeat row's alert went quiet from a source (`quiet`), or came back; `since`: its last delivery then. */
  | { kind: 'heartbeat'; rule: string; source: string; quiet: boolean; since: string; resolved?: boolean };

/** Where alerts a storm sent to an incident went once declared apart: the incident, or only that it is private. */
export type DeclaredApart =
  /** `reopened`: not declared apart, but back in the incident they were in before, reopened for them. */
  { number: number; channelId: string | null; reopened?: true } | { private: true };

/** Why storm control opened an incident past its source's cap (AlertStep `past_cap`). */
export interface PastCapView {
  source: string;
  maxIncidents: number;
  /** What its alerts declare. */
  severity: Severity;
  /** The most severe incident of the source open on their side when they came (less severe than they). */
  than: Severity;
}

/** Critical alerts that joined an incident less severe than their runbook rows declare (AlertStep `outranked`). */
export interface OutrankedView {
  /** The one whose row declares the most severe (its row is `rule`). */
  alert: AlertView;
  /** The others that joined with it, still firing. */
  others: AlertView[];
  /** The severity its row declares (SEV-1 without a row), and the row. */
  severity: Severity;
  rule: Pick<AlertRule, 'name' | 'threshold' | 'duration'> | null;
}

/**
 * Slack's channel budget is spent while incidents from alerts wait to be declared: the incidents channel is told when
 * the next comes, once a window (no titles: a private incident may be among them; no count: those being declared at
 * that moment are not told apart from those that wait).
 */
export interface ChannelBudgetView {
  /** The limit in words (`Slack lets the bot create only 20 channels a minute`), all used. */
  limit: string;
  nextInMs: number;
}

/**
 * A critical alert whose incident could not be declared: Slack refused (`slackError`) what the declaration needs. Its
 * title is null for a security alert (said nowhere public, nor in a DM that may be forwarded).
 */
export interface NotDeclaredView {
  title: string | null;
  severity: Severity;
  source: string;
  slackError: string;
}

/**
 * A critical alert whose incident waits for Slack's channel budget: what its on-call is sent at once, for the page goes
 * out only with the incident, once its channel exists. Its title is null for a security alert.
 */
export interface WaitingForChannelView {
  title: string | null;
  severity: Severity;
  source: string;
  /** When the next channel may be made, about. */
  nextInMs: number;
}

/** What the incidents channel is told of a heartbeat (see AlertStep `heartbeat`). */
export interface HeartbeatView {
  rule: Pick<AlertRule, 'name' | 'action'> & { heartbeatMs: number };
  source: string;
  quiet: boolean;
  /** Quiet: when its last delivery came. Back: since when it had been quiet (its last delivery before). */
  since: Date;
  /** Quiet because its last delivery said it resolved (an alert that always fires stopped), not for want of one. */
  resolved?: boolean;
  now: Date;
}

/** Why an offer to resolve no longer stands: an alert of the incident fired again, or the incident was resolved. */
export type OfferClosed =
  | { kind: 'fired_again'; at: Date }
  /** A person added an alert that fires to the incident (Add to an open incident). */
  | { kind: 'added'; at: Date }
  | { kind: 'resolved'; by: string | null; at: Date };
