import type { Playbook, RunnableStep } from '../runbook/playbooks.js';
import type { AlertCardView } from './alert-types.js';
import type { Severity } from './severity.js';
import type { Incident, StatusUpdateInput } from './types.js';

/** Where the domain writes what went wrong (Bolt's logger, or console). */
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** What happened, for the chat surface to show. The domain says what; the chat adapter decides how. */
export type IncidentNotice =
  | { kind: 'severity_changed'; from: Severity; to: Severity; actorId: string }
  | { kind: 'acknowledged'; actorId: string; previousCommanderId: string | null }
  /** Someone took command on purpose (Take command) from the commander. */
  | { kind: 'command_taken'; actorId: string; previousCommanderId: string }
  | { kind: 'status_update'; update: StatusUpdateInput; authorId: string }
  | { kind: 'mitigated'; actorId: string }
  | { kind: 'resolved'; actorId: string; summary: string }
  | { kind: 'flag_set'; flag: 'customer_impact' | 'data_loss_risk'; actorId: string }
  | { kind: 'paged'; roleName: string; reason: string; userIds: string[]; unreachable: string[] }
  | { kind: 'page_skipped'; roleName: string; reason: string }
  | { kind: 'escalation_requested'; roleName: string; actorId: string }
  | { kind: 'reminder'; commanderId: string | null; nextUpdateAt: Date };

/** What the card shows about escalation: who was paged, and what comes next. */
export interface EscalationView {
  paged: { roleName: string; at: Date }[];
  next: { roleName: string; reason: string; unless: string | null; dueAt: Date } | null;
  /** The role "Escalate now" pages: the next in the contact order not paged or asked for yet; null when none is left. */
  escalateTo: { role: string; roleName: string } | null;
}

/** A page: a direct message to one person, with the communication template and an Acknowledge button. */
export interface PageMessage {
  roleName: string;
  reason: string;
}

/**
 * The domain's view of the chat platform. src/slack implements it with the Web API and the templates; the domain
 * never imports Slack.
 */
export interface IncidentChat {
  /**
   * Creates the incident's channel (choosing another name when taken), sets its topic and invites the reporter.
   * `onCreated` is awaited as soon as the channel exists, before the rest (so it can be recorded, and archived should
   * the declaration be given up); when it throws, so does openChannel.
   */
  openChannel(
    incident: Incident,
    onCreated?: (channel: { channelId: string; channelName: string }) => Promise<void>,
  ): Promise<{ channelId: string; channelName: string }>;
  /** Best-effort clean-up of a channel made for an incident that could not be recorded. */
  abandonChannel(channelId: string): Promise<void>;
  /** Posts the incident card (with its alerts, for one opened from monitoring alerts); returns its message ts. */
  postCard(incident: Incident, escalation?: EscalationView, alerts?: AlertCardView): Promise<string>;
  /** Pins the posted card. */
  pinCard(incident: Incident): Promise<void>;
  /** Re-renders the pinned card from the incident's current state. */
  refreshCard(incident: Incident, escalation?: EscalationView, alerts?: AlertCardView): Promise<void>;
  /** Tells a declarer privately how a declaration that was interrupted (the bot restarted, the database went) ended. */
  tellDeclarer(report: DeclarationReport): Promise<void>;
  /** Announces a new incident in the incidents channel, when one is configured. */
  announce(incident: Incident): Promise<void>;
  /** Posts what happened in the incident channel (and, for status updates, the incidents channel). */
  notify(incident: Incident, notice: IncidentNotice): Promise<void>;
  /** Expands user groups (S…) into their members; IDs that cannot be expanded are returned apart. */
  resolveContacts(ids: string[]): Promise<{ userIds: string[]; unresolved: string[] }>;
  /** Sends one person a page. Throws UnreachableContactError when Slack says the person cannot be reached. */
  sendPage(incident: Incident, page: PageMessage, userId: string): Promise<void>;
  /** Invites people to the incident channel; returns those Slack could not invite. */
  inviteToChannel(incident: Incident, userIds: string[]): Promise<{ unreachable: string[] }>;
}

/** A part of a declaration that did not happen in Slack, and Slack's reason (with its fix, where there is one). */
export interface DeclareProblem {
  step: 'card' | 'pin' | 'link' | 'announce';
  reason: string;
}

/** How an interrupted declaration ended, for its declarer. */
export type DeclarationReport =
  /** It never became whole, so it was not kept (its row removed, its channel archived when it had one). */
  | { kind: 'abandoned'; incident: Incident; channel: { id: string; archived: boolean } | null }
  /** It was whole; the rest (card, pin, announcement) was done after the interruption. `problems` as in declare. */
  | { kind: 'finished'; incident: Incident; problems: DeclareProblem[] };

/** Slack answered that this person cannot be reached (unknown user, deactivated, not allowed). */
export class UnreachableContactError extends Error {
  constructor(
    readonly userId: string,
    readonly reason: string,
  ) {
    super(`${userId} cannot be reached: ${reason}`);
  }
}

/** A run of a playbook step, as the channel sees it. */
export interface RunView {
  runId: number;
  playbookTitle: string;
  stepText: string;
  /** What runs: the argv (redacted), or the URL checked. */
  target: string[];
  kind: RunnableStep['type'];
  requestedBy: string;
  state: 'running' | 'succeeded' | 'failed' | 'timed_out' | 'not_found';
  tail: string;
  exitCode: number | null;
  durationMs: number;
  bytes: number;
  /** The whole output was longer than the message shows (it is attached as a file). */
  truncated: boolean;
  /** For HTTP checks: the status and latency line; for a missing binary: what to set. */
  detail?: string;
  /** Set when a second person approved the run. */
  approvedBy?: string;
}

/** A request to run a step that needs a second person. */
export interface ApprovalView {
  approvalId: number;
  playbookTitle: string;
  stepText: string;
  target: string[];
  warning?: string;
  requestedBy: string;
  approvers: string[];
  state: 'pending' | 'approved' | 'denied';
  decidedBy: string | null;
  reason: string | null;
}

/** What running the runbook needs from the chat platform. */
export interface PlaybookChat {
  /** Posts a playbook in the incident channel with a Run button per command step; returns its ts. */
  postPlaybook(
    incident: Incident,
    playbook: Playbook,
    opts: { suggested: boolean; attachedBy: string | null },
  ): Promise<string>;
  /** Posts a run's message (in the playbook's thread when there is one); returns its ts. */
  postRun(incident: Incident, threadTs: string | null, run: RunView): Promise<string>;
  updateRun(incident: Incident, ts: string, run: RunView): Promise<void>;
  /** Posts an approval request with Approve and Deny buttons; returns its ts. */
  postApproval(incident: Incident, threadTs: string | null, approval: ApprovalView): Promise<string>;
  updateApproval(incident: Incident, ts: string, approval: ApprovalView): Promise<void>;
  /** Posts the recent deployments, the current one marked, with a "Roll back to vN" button on the others. */
  postDeployments(incident: Incident, deployments: DeploymentView[], suggested: string | null): Promise<void>;
  /** Posts the result of a rollback and of each post-deployment check. */
  postVerification(incident: Incident, version: string, checks: CheckResult[]): Promise<void>;
  /** A link to a message in the incident channel. */
  permalink(incident: Incident, ts: string): Promise<string>;
  /** Attaches the full output of a run as a file in the thread. */
  uploadOutput(incident: Incident, threadTs: string | null, filename: string, content: string): Promise<void>;
}

/** One post-deployment check: what was checked, what the runbook expects, and what was seen. */
export interface CheckResult {
  name: string;
  ok: boolean;
  expected: string;
  detail: string;
}

export interface DeploymentView {
  version: string;
  current: boolean;
  status?: string;
  createdAt?: Date;
}
