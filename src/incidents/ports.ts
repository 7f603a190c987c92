import type { FoundLines, LookFor } from '../runbook/look-for.js';
import type { Playbook, RecoveryObjectives, RunnableStep } from '../runbook/playbooks.js';
import type { AlertCardView, AlertRule } from './alert-types.js';
import type { Phrase } from './errors.js';
import type { Severity } from './severity.js';
import type { DeclareSource, Incident, RaisedFlag, StatusUpdateInput } from './types.js';

/** Where the domain writes what went wrong (Bolt's logger, or console). */
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * Moments of an incident whose time since its declaration is measured (MTTA, time to mitigate, MTTR), and its
 * detection: for an incident opened from alerts, the time from its first alert's firing to its declaration (MTTD).
 */
export type Milestone = 'detect' | 'acknowledge' | 'mitigate' | 'resolve';

/**
 * What the domain counts, for the operators' metrics. src/metrics implements it with prom-client; the domain never
 * imports a metrics library. Every call is cheap and never throws. Label values are bounded by the caller: severity
 * levels, role ids and playbook ids from the runbook file, rule names, outcomes.
 */
export interface IncidentMetrics {
  /** An incident became whole (channel, timers): declared by a person or an alert. */
  declared(severity: Severity, source: DeclareSource): void;
  /**
   * An incident reached `milestone` for the first time, `seconds` after it was declared; `detect`: it was declared
   * from alerts `seconds` after the first of them fired.
   */
  reached(milestone: Milestone, severity: Severity, seconds: number): void;
  /** A role was paged (`reason`: the escalation rule, e.g. `declared`, `unresolved`, `manual`). */
  paged(role: string, reason: string): void;
  /** A timer fired `seconds` after it was due (`rule`: the escalation rule or reminder). */
  escalationLate(rule: string, seconds: number): void;
  /** A playbook step ran (`outcome`: succeeded, failed, timed_out, not_found, stopped, lost). */
  stepRan(playbook: string, outcome: string): void;
  /** A rollback (`atom-cli rollback`) ran (`outcome` as for a step). */
  rolledBack(outcome: string): void;
  /** An alert came in (`source`: the alert source's id; `level`: its level as the source names it, e.g. critical). */
  alertReceived(source: string, level: string): void;
}

/** Metrics that go nowhere: the default wherever a service is built without them (tests of the domain). */
export const NO_METRICS: IncidentMetrics = {
  declared: () => {},
  reached: () => {},
  paged: () => {},
  escalationLate: () => {},
  stepRan: () => {},
  rolledBack: () => {},
  alertReceived: () => {},
};

/** What happened, for the chat surface to show. The domain says what; the chat adapter decides how. */
/** Monitoring alerts of an incident still firing as it is resolved: how many, from where, and what tells more. */
export interface StillFiring {
  count: number;
  sources: string[];
  /** The latest report of one firing (one heard of long ago may be over: its source may not send resolutions). */
  lastHeard?: Date;
  /** One comes from a source that gives no start time: its next report while it fires is a new firing. */
  opensAgain?: boolean;
}

export type IncidentNotice =
  | { kind: 'severity_changed'; from: Severity; to: Severity; actorId: string }
  | { kind: 'acknowledged'; actorId: string; previousCommanderId: string | null }
  /** Someone took command on purpose (Take command) from the commander. */
  | { kind: 'command_taken'; actorId: string; previousCommanderId: string }
  /** Someone named the commander (`/incident commander @person`): `toId` commands now. */
  | { kind: 'command_handed'; actorId: string; toId: string; previousCommanderId: string | null }
  | { kind: 'status_update'; update: StatusUpdateInput; authorId: string }
  | { kind: 'mitigated'; actorId: string; how?: string }
  /**
   * `stillFiring`: monitoring alerts of the incident still firing as it was resolved (said, with what to do).
   * `update`: the status update that resolved it (its status Resolved), said first.
   */
  | { kind: 'resolved'; actorId: string; summary: string; stillFiring?: StillFiring; update?: StatusUpdateInput }
  /** A resolved incident reopened (`/incident reopen`), with why when given. */
  | { kind: 'reopened'; actorId: string; why?: string }
  | { kind: 'flag_set'; flag: 'customer_impact' | 'data_loss_risk'; actorId: string; what?: string }
  | { kind: 'renamed'; from: string; actorId: string }
  /** `by`: the person who escalated by hand, when someone did (the channel names them). */
  | {
      kind: 'paged';
      roleName: string;
      reason: string;
      userIds: string[];
      unreachable: string[];
      /** Slack's answer for each of `unreachable` (same order; null: not known), e.g. user_not_found. */
      unreachableErrors?: (string | null)[];
      by?: string;
      /** A person paged by name (`/incident page @dana`), not a role: roleName is their name. */
      byName?: boolean;
      /** The declarer, on call for the role: reached by their own declaration, sent no page. */
      declarer?: string;
      /** A role paged by hand: its people paged for this incident already, not paged again. */
      alreadyPaged?: string[];
      /** Its people whose DMs Slack still refused on the job's last try (each with Slack's answer): never reached by it. */
      missed?: NeverReached;
      /** Of `userIds` (reached by their DM, so paged), those Slack would not add to the incident channel. */
      notInvited?: string[];
    }
  | { kind: 'page_skipped'; roleName: string; reason: string; by?: string }
  /** A flag's page held back from roles paged moments before (each with its role id, its name and when). */
  | { kind: 'page_held'; roles: { role: string; roleName: string; pagedAt: Date }[]; reason: string }
  /**
   * A round of nobody acknowledging paged `roleName` again and nobody further up: the roles left in the contact order
   * are paged on conditions (`when`, in words) none of which holds for the incident.
   */
  | { kind: 'climb_held'; roleName: string; roles: { role: string; roleName: string; when: string[] }[] }
  | {
      kind: 'reminder';
      commanderId: string | null;
      nextUpdateAt: Date;
      /** The update promised on the status page (an unpublished update since moved the channel's next update). */
      public?: boolean;
    }
  /**
   * A paging job was given up (its DMs failing try after try, PAGE_TRIES): `roles` reached nobody, each with Slack's
   * last answer; `missed`, people of pages that went out never reached. Said once in the channel, and to the
   * commander (`commanderId`) in a direct message; with no channel (it could not be made), to the commander, else the
   * reporter, in a direct message only.
   */
  | {
      kind: 'page_failed';
      roles: { role: string; roleName: string; error: string | null }[];
      /**
       * Pages that went out (the role counts as paged) whose DMs to `userIds` failed till the job's last try: never
       * reached by them, with Slack's last answer.
       */
      missed?: ({ role: string; roleName: string } & NeverReached)[];
      /**
       * Pages of the job with people Slack said cannot be messaged at all (user_not_found, cannot_dm_bot …), with its
       * answer: not paged by them. `reachedNobody`: nobody else of the page was reached; `byName`: a person paged by name.
       */
      unreachable?: ({ role: string; roleName: string; reachedNobody: boolean; byName?: true } & NeverReached)[];
      commanderId: string | null;
    }
  /** The rounds of nobody acknowledging ran out (`rounds` of them, `afterMs` after declaring or reopening). */
  | { kind: 'paging_stopped'; rounds: number; afterMs: number; commanderId: string | null }
  /**
   * Its procedure's recovery time objective: the lower bound of its range passed (`lower`), or the RTO itself (`rto`),
   * counted from the declaration.
   */
  | {
      kind: 'recovery_time';
      bound: 'lower' | 'rto';
      commanderId: string | null;
      playbookTitle: string;
      minMs: number;
      maxMs: number;
    }
  /** A page's later step (email, PagerDuty, Slack again) failed after its attempts, or could not be used (skipped). */
  | {
      kind: 'notify_failed';
      roleName: string;
      userId: string | null;
      method: string;
      action: 'notify' | 'acknowledge' | 'resolve';
      detail: string;
      /** 0: not tried (not configured, no address). */
      attempts: number;
    }
  /** Someone acknowledged the role's PagerDuty incident; `userId` when the runbook's people: knows them. */
  | { kind: 'pagerduty_acknowledged'; roleName: string; name: string; userId: string | null; commander: boolean }
  /** A paged person acknowledged their own page: its remaining notifications stopped. */
  | { kind: 'page_acknowledged'; roleNames: string[]; byName?: boolean; actorId: string }
  | { kind: 'pagerduty_resolved'; roleName: string; name: string }
  /** A private incident was made public (`announced`: the incidents channel was told). */
  | { kind: 'made_public'; actorId: string; announced: boolean }
  /**
   * The title fits an alert row of the runbook that names no playbook (a full disk): what its Alert Thresholds say to
   * do, since no playbook was suggested.
   */
  | { kind: 'runbook_action'; rule: Pick<AlertRule, 'name' | 'metric' | 'threshold' | 'duration' | 'action'> };

/** Where a change's notice is posted: the incident channel, and its copy in the incidents channel (INCIDENTS_CHANNEL). */
export type NoticePlace = 'channel' | 'incidents';

/**
 * How the notice of a change kept until shown (its follow-up, see ChangeFollowups) is posted: each of its posts names
 * the follow-up, so that a process taking it over (the one showing it died) can tell where it is already (findNotice).
 */
export interface NoticePost {
  followup: number;
  /** Posted late, by another process than the one that made the change at `madeAt`: each post says so. */
  late?: { madeAt: Date };
  /** Where it is already (findNotice found it there): not posted there again. */
  posted?: ReadonlySet<NoticePlace>;
}

/** Whom a role would page now (its person on call first), and until when that person is on call (null: no end). */
export interface OnCallPeople {
  userIds: string[];
  until: Date | null;
}

/** What the card shows about escalation: who was paged, and what comes next. */
export interface EscalationView {
  /** `skipped`: the role had no contacts, so nobody was paged (the channel was told how to add them). */
  /**
   * `declarer`: the declarer was on call for the role, so their own declaration sent them no page; `declarerOnly`:
   * they were its only person, so no page went to anyone (the card does not list it as paged).
   */
  /**
   * `going`: its page has not gone out yet, its job sending it (`error`: why its last try failed, when one did): the
   * role is being paged, not paged. `failed`: given up before it went (its DMs failing try after try): not paged.
   */
  paged: {
    roleName: string;
    at: Date;
    skipped?: boolean;
    declarer?: string;
    declarerOnly?: boolean;
    going?: { error: string | null };
    failed?: { error: string | null };
    /** It went out, and its DMs to these people failed till its job's last try: never reached by it (Slack's answer). */
    missed?: NeverReached;
    /** People Slack said cannot be messaged at all (user_not_found …), with its answer: not paged by it. */
    unreachable?: NeverReached;
    /** It went out and reached nobody: every person it tried was `unreachable` (or never reached). Not paged by it. */
    reachedNobody?: true;
    /** A page of a person by name (`/incident page @dana`), not of a role: `roleName` is the person's name. */
    byName?: true;
  }[];
  /** `again`: the role was paged already, and this timer pages it once more. */
  next: {
    roleName: string;
    reason: string;
    unless: string | null;
    dueAt: Date;
    who?: OnCallPeople;
    again?: boolean;
    /**
     * The other roles the same timer pages (nobody acknowledging: the next role of the contact order with it);
     * `noContacts`: its page reaches nobody.
     */
    with?: { roleName: string; noContacts?: true }[];
    /** Roles other timers due at the same time page (a round of nobody acknowledging and `unresolved`), and unless what. */
    also?: { roles: { roleName: string; noContacts?: true }[]; unless: string | null }[];
  } | null;
  /** Nobody acknowledged through every round of paging (`rounds`, `afterMs` after declaring or reopening): it stopped. */
  stopped?: { rounds: number; afterMs: number };
  /** The role "Escalate now" pages: the next in the contact order not paged or asked for yet; null when none is left. */
  escalateTo: { role: string; roleName: string; who?: OnCallPeople } | null;
  /** Each person paged with more than the Slack DM: every method and its outcome ("Slack ✓, email ✓, PagerDuty ✗"). */
  notified?: {
    roleName: string;
    userId: string;
    name: string | null;
    methods: { via: 'slack' | 'email' | 'pagerduty'; outcome: 'sent' | 'failed' | 'skipped' }[];
    at: Date;
  }[];
  /**
   * What the card's other sections read (CardSections.part), when read in the same statement as this view: the card
   * that shows this view then reads nothing more. Not shown as such.
   */
  sectionsRead?: unknown;
}

/** What the card shows of a procedure's recovery objectives (Disaster Recovery: RTO 2-4 hours, RPO 5 minutes). */
export interface ObjectivesView extends RecoveryObjectives {
  playbookTitle: string;
}

/**
 * What the card shows of the work after the incident: its post-mortem document (the latest version, who wrote it and
 * when; null when none was written) and its action items (open, of all).
 */
export interface FollowUpCardView {
  postmortem: { version: number; writtenBy: string; writtenAt: Date } | null;
  actionItems: { open: number; total: number };
}

/** Where a page's direct message is (Slack's answer to sending it), to update it once the page is answered. */
export interface PageDmAt {
  channel: string;
  ts: string;
}

/**
 * What a page's direct message shows: Acknowledge (open), or who answered it (acknowledged, resolved); or, once an
 * incident resolved before anyone acknowledged it is reopened, that it was reopened, with Acknowledge again.
 */
export type PageDmState = 'open' | 'acknowledged' | 'resolved' | 'reopened';

/** A page once answered, as its direct message says it: no Acknowledge any more, who answered and when. */
export interface AnsweredPage {
  roleName: string;
  /** Paged by name (`/incident page @dana`), not for a role: roleName is the person's name. */
  byName?: boolean;
  /** The person the DM went to (told "you" when they answered it themselves). */
  userId: string;
  state: Exclude<PageDmState, 'open'>;
  /** Who acknowledged it (the person paged, or whoever acknowledged the incident first), or resolved the incident. */
  by: string | null;
  at: Date;
}

/** A page: a direct message to one person, with the communication template and an Acknowledge button. */
export interface PageMessage {
  roleName: string;
  /** Paged by name (`/incident page @dana`), not for a role: roleName is the person's name. */
  byName?: boolean;
  reason: string;
  /** The person who escalated by hand, when someone did: the page names them. */
  by?: string;
  /** Paged for a flag: which, for the page to say what was said with it (see flagNote). */
  flag?: RaisedFlag;
  /**
   * The role after this one in the contact order, for a role of it: the paged person can page it at once from the page
   * (Escalate to …), as the card's Escalate now does. Absent for the last role, one outside the order, a page by name.
   */
  escalateTo?: { role: string; roleName: string };
  /**
   * The page (its row) this message is for: the message carries it, so that a retry of an attempt stopped between
   * sending it and recording it can find it (`findPage`) instead of paging the person twice.
   */
  pageId?: number;
  /**
   * The later Slack step of the page (its notification job's id) this message is, when it is one: the message carries
   * it too, so that the page's first DM and each of its Slack steps to the same person are found apart.
   */
  step?: number;
}

/** Someone archived an open incident's channel in Slack (ChannelArchives): who, and whom to tell directly. */
export interface ChannelArchived {
  /** Who archived it (Slack's event names them). */
  byUserId: string;
  /** Told in a direct message: the commander (else who declared it) and who archived it, each once; not the bot. */
  tell: readonly string[];
}

/** What telling that an incident's channel was archived needs from the chat platform. */
export interface ChannelArchiveChat {
  /**
   * Tells the incidents channel (a public incident's, when there is one) and `archived.tell` in direct messages that
   * the incident's channel was archived while it is open, and what to do. Each place apart, best effort: returns the
   * places Slack refused, each with its answer (logged by the caller).
   */
  tellChannelArchived(incident: Incident, archived: ChannelArchived): Promise<{ place: string; error: string }[]>;
  /**
   * The incident's channel unarchived by `byUserId`: the bot joins it again (Slack brings a public channel back
   * without its members; a private one keeps them), invites `people` back into a public one, and says so in it.
   * Returns whom it invited, and what Slack refused (each with its answer; logged by the caller).
   */
  rejoinChannel(
    incident: Incident,
    byUserId: string,
    people: readonly string[],
  ): Promise<{ invited: string[]; refused: { place: string; error: string }[] }>;
}

/**
 * The domain's view of the chat platform. src/slack implements it with the Web API and the templates; the domain
 * never imports Slack.
 */
export interface IncidentChat {
  /**
   * Creates the incident's channel (choosing another name when taken), sets its topic and invites the reporter.
   * `onCreated` is called as soon as the channel exists, beside the rest (so it can be recorded, and archived should
   * the declaration be given up), and is over before openChannel returns; when it throws, so does openChannel.
   */
  openChannel(
    incident: Incident,
    onCreated?: (channel: { channelId: string; channelName: string }) => Promise<void>,
  ): Promise<{ channelId: string; channelName: string }>;
  /** Best-effort clean-up of a channel made for an incident that could not be recorded. */
  abandonChannel(channelId: string): Promise<void>;
  /**
   * Posts the incident card (with its alerts, for one opened from monitoring alerts, the recovery objectives of its
   * playbook, for one that has them, and its post-mortem and action items); returns its message ts.
   */
  postCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<string>;
  /**
   * The card already posted in the incident's channel, when the chat can find it (a declaration interrupted between
   * posting its card and recording it); null when there is none or it cannot tell.
   */
  findCard?(incident: Incident): Promise<string | null>;
  /**
   * The channel made for `incident` (being declared) whose id was never recorded (the process stopped between Slack
   * making it and the database recording it), when the chat can find it; null when there is none or it cannot tell.
   */
  findChannel?(incident: Incident): Promise<string | null>;
  /**
   * Whether the incident's announcement (announce, without madePublicBy) is already in the incidents channel, when the
   * chat can tell (a declaration interrupted between posting it and recording it); false when it is not there or the
   * chat cannot tell (it is posted again then: at least once).
   */
  findAnnouncement?(incident: Incident): Promise<boolean>;
  /** Pins the posted card. */
  pinCard(incident: Incident): Promise<void>;
  /** Re-renders the pinned card from the incident's current state. */
  refreshCard(
    incident: Incident,
    escalation?: EscalationView,
    alerts?: AlertCardView,
    objectives?: ObjectivesView,
    followUp?: FollowUpCardView,
  ): Promise<void>;
  /**
   * What the card shows may not be what was last sent to it (an update from another replica may have reached Slack
   * after this one's, though answered before it): the next refresh is sent, even one that would show the same as the
   * last update. None: every refresh is sent.
   */
  cardMayDiffer?(incident: Incident): Promise<void>;
  /** Tells a declarer privately how a declaration that was interrupted (the bot restarted, the database went) ended. */
  tellDeclarer(report: DeclarationReport): Promise<void>;
  /**
   * Announces a new incident in the incidents channel, when one is configured: a private one not at all, or only as
   * "a private incident was declared" (the runbook file's setting); one just made public (by `madePublicBy`) with a
   * Join button, for its channel stays private. `alertSources`: the monitoring it was opened from, said beside who
   * declared it (the bot, for one opened from alerts).
   */
  announce(incident: Incident, madePublicBy?: string, alertSources?: readonly string[]): Promise<void>;
  /**
   * Posts what happened in the incident channel (and, for status updates, the incidents channel). Returns, when there
   * are any, what could not be done beyond that post, for the person who made the change: someone made commander
   * whom Slack would not invite or message.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most notices have nothing beyond their post to report
  notify(incident: Incident, notice: IncidentNotice, post?: NoticePost): Promise<void | readonly string[]>;
  /**
   * Where the notice of follow-up `followup` (posted by notify with it) is already, each place apart, when the chat can
   * tell: a process killed after one or both of its posts reached the chat, before it recorded that, left them there.
   * `since`: when the change was made (none of its posts is older). Null when the chat cannot tell (the notice is
   * posted then at most once, as a late notice was before).
   */
  findNotice?(
    incident: Incident,
    notice: IncidentNotice,
    followup: number,
    since: Date,
  ): Promise<ReadonlySet<NoticePlace> | null>;
  /**
   * Expands user groups (S…) into their members; IDs that cannot be expanded are returned apart (`unresolved`), with
   * Slack's answer for those it refused (`unresolvedWhy`: missing_scope, no_such_subteam …; EMPTY_USER_GROUP for a group
   * Slack expanded to nobody).
   */
  resolveContacts(
    ids: string[],
  ): Promise<{ userIds: string[]; unresolved: string[]; unresolvedWhy?: Record<string, string> }>;
  /**
   * Sends one person a page; returns where its direct message is, when the chat can tell. Throws
   * UnreachableContactError when Slack says the person cannot be reached. `alerts`: the incident's monitoring alerts,
   * when it has any, for the page to say what fired (the card's sections add them; see CardSections.decorate).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a chat that cannot tell where its DM is returns nothing
  sendPage(incident: Incident, page: PageMessage, userId: string, alerts?: AlertCardView): Promise<PageDmAt | void>;
  /** Shows a page's direct message as answered: who acknowledged it or resolved the incident, without Acknowledge. */
  updatePage?(incident: Incident, dm: PageDmAt, answered: AnsweredPage): Promise<void>;
  /** Shows an open page's direct message again as `page` of the incident as it is now (a new severity). */
  refreshPage?(incident: Incident, dm: PageDmAt, page: PageMessage, alerts?: AlertCardView): Promise<void>;
  /**
   * Where the page `pageId` (sent with its `pageId`) already reached `userId`, when the chat can tell: an attempt
   * stopped between sending it and recording it (the process killed) left it there. With `step`, that later Slack
   * step of the page (sent with its `step`); without, the page's first DM only. Null when it is not there or the
   * chat cannot tell (then the page is sent: at least once stays the floor). `since`: when the page was first tried
   * (its row made), before which none of its messages can be: the chat need not look further back. Found, it is
   * recorded as a DM sent is, to be shown answered later.
   */
  findPage?(incident: Incident, pageId: number, userId: string, step?: number, since?: Date): Promise<PageDmAt | null>;
  /**
   * Invites people to the incident channel; returns those Slack could not invite. `doing`: what a failure says the bot
   * could not do ("invite the paged people to the incident channel").
   */
  inviteToChannel(incident: Incident, userIds: string[], doing?: string): Promise<{ unreachable: string[] }>;
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

/**
 * People a page that went out never reached (their DMs failing till its job's last try), each with Slack's answer to
 * theirs: `errors[i]` is `userIds[i]`'s (null: not known).
 */
export interface NeverReached {
  userIds: string[];
  errors: (string | null)[];
}

/**
 * What resolveContacts keeps for a user group Slack expanded to nobody (usergroups.users.list answered ok, with no
 * users): no answer of Slack's, so said as what it means alone (see unreachableMeaning).
 */
export const EMPTY_USER_GROUP = 'empty_usergroup';

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
  /**
   * `stopped`: the bot stopped its command because the bot itself was stopping (see RunnerOptions.stopping). `lost`:
   * the process running it died or was cut off from the database (its lease ran out, see LostRuns): how it ended is not
   * known, and its command may have gone on without it.
   */
  state: 'running' | 'succeeded' | 'failed' | 'timed_out' | 'not_found' | 'stopped' | 'lost';
  tail: string;
  exitCode: number | null;
  durationMs: number;
  bytes: number;
  /** The whole output was longer than the message shows (it is attached as a file). */
  truncated: boolean;
  /**
   * The size of the attached file (the output as kept: secrets masked, past 5 MiB its first 5 MiB and its last lines),
   * in bytes, once the run ended truncated; `bytes` is what the command printed.
   */
  fileBytes?: number;
  /** For HTTP checks: the status and latency line; for a missing binary: what to set. */
  detail?: string;
  /**
   * A `failed` command ended by a signal the bot did not send (`SIGSEGV`: it crashed; `SIGKILL`: killed from outside):
   * shown as killed, not failed. A command the bot stopped (its timeout, the bot stopping) has its own state instead.
   */
  signal?: string;
  /** Set when a second person approved the run. */
  approvedBy?: string;
  /** The directory a command ran in, as the runbook names it (relative to COMMAND_BASE_DIR). */
  cwd?: string;
  /** The runbook's expected result of the step. */
  expected?: string;
  /** Steps of required sections before it that were neither done nor skipped when it ran (a deploy's prerequisites). */
  notDone?: NotDoneStep[];
  /** The lines the step looks for in its output (the runbook's `| grep "ERROR"`). */
  lookFor?: LookFor;
  /** Once it ran: the lines of its output that hold what it looks for. */
  found?: FoundLines;
  /**
   * `found` holds the lines found up to a point, not to the run's end: a run recorded lost, at its lease's last
   * renewal (its command may have printed more after). Said "so far", as while it runs.
   */
  foundSoFar?: boolean;
}

/** A step of a required section neither done nor skipped, as a confirmation and the run's record name it. */
export interface NotDoneStep {
  /** Its key, `detection.0`. */
  key: string;
  /** Its section's name, as the checklist shows it ("Prerequisites checklist"). */
  section: string;
  /** Its number in its section, from 1. */
  number: number;
  text: string;
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
  state: 'pending' | 'approved' | 'denied' | 'closed';
  /** Why a request nobody decided was closed (its step skipped or done, its playbook detached, the incident resolved). */
  closedWhy?: 'step_skipped' | 'step_done' | 'playbook_detached' | 'incident_resolved' | null;
  decidedBy: string | null;
  reason: string | null;
  /**
   * The approvers not in the channel the request is posted in (they cannot see it there), each with whether it was sent
   * to them in a direct message; shown while it waits. Absent or empty: none to name.
   */
  outside?: { userId: string; dmed: boolean }[];
  /**
   * The approvers not in a private incident's channel: told nothing of it (no direct message), so not asked. The
   * request says so, and how to add them. Absent or empty: none.
   */
  notAsked?: string[];
  /** The person who decided was not in the channel: the bot added them to it to approve (shown once decided). */
  addedToDecide?: boolean;
  /**
   * How the approved run ended (absent while it runs): its state, exit code, and a link to its output; or that it did
   * not run at all, and why (`not_run`: the step was already running, say).
   */
  outcome?:
    | { state: RunView['state']; exitCode: number | null; link: string | null; signal?: string }
    | { state: 'not_run'; why: Phrase };
}

/** Where an approval request waits: an incident's channel, or a playbook run's thread in its channel. */
export type ApprovalWhere =
  | { kind: 'incident'; number: number; title: string; private: boolean; channelId: string | null }
  | { kind: 'run'; channelId: string };

/**
 * An approval request as an approver's direct message shows it: the request, where it waits and a link to it there,
 * with the same Approve and Deny (one decision wins, wherever it is made).
 */
export interface ApprovalDmView extends ApprovalView {
  where: ApprovalWhere;
  /** The request's message in its channel; null when Slack gave no link. */
  link: string | null;
  /** The approver is not in the request's channel: told that only its people approve, and how to get in. */
  joinFirst?: string;
  /** The approver is not in the request's (public) channel: told that a button press adds them to it. */
  addedOnClick?: boolean;
}

/** Where an approval request's direct message to an approver is. */
export interface ApprovalDm {
  user: string;
  channel: string;
  ts: string;
}

/**
 * Where playbook messages go: a channel (an incident's), and for a playbook run outside an incident, the thread of
 * its checklist, where what would be a channel message of an incident (a verification, a list) goes instead. An
 * Incident is a place: its channel, no thread.
 */
export interface ChatPlace {
  channelId: string | null;
  threadTs?: string | null;
}

/** What a checklist step shows: its state, and who brought it there and when. */
export type StepState = 'open' | 'running' | 'failed' | 'done' | 'skipped';

export interface StepStatus {
  state: StepState;
  /** Who ticked it (done, skipped), or who asked for its last run. */
  by: string | null;
  at: Date | null;
  /** Why it was skipped. */
  reason: string | null;
  /** Done because its command or check succeeded: a fact, with no Undo. */
  byRun: boolean;
  /** Who approved its last run, for a step that needs a second person. */
  approvedBy?: string | null;
  /**
   * Its last run did not end on its own: the bot stopped while it ran (stopped it, or died: `stopped`, `lost`), so what
   * it did is to be checked before it is run again.
   */
  cutShort?: boolean;
  /** Its last run failed killed by this signal, one the bot did not send (RunView.signal). */
  signal?: string;
  /** What its last run found of the lines the step looks for ("34 of 200 lines have "ERROR""), so far while it runs. */
  found?: { words: string; matched: number; total: number } | null;
  /**
   * `found` is a count so far though the run is not running: it was recorded lost (its process died or was cut off),
   * its count the last one written while it ran. A run the bot stopped has its count to where it stopped: not so far.
   */
  foundSoFar?: boolean;
  /**
   * Its last run's message could not be found in Slack (a run recorded lost; the look-up given up): Slack's last answer,
   * so the checklist says why its output is not shown.
   */
  messageGivenUpWhy?: string;
}

/** A playbook's message: the playbook, whose checklist it is, each step's status, and the page of steps shown. */
export interface ChecklistView {
  playbook: Playbook;
  /** The run outside any incident this checklist belongs to (its buttons carry it); null for an incident's. */
  runId: number | null;
  /**
   * An incident's: the incident and which attachment of the playbook it shows (AttachedPlaybook.attachment), its
   * message's marker. Absent: unmarked.
   */
  attachment?: { incidentId: number; attachment: string };
  /**
   * How it came: suggested by the bot (from the runbook row of the incident's alerts, `alertRule`, or else from its
   * title, with the playbooks the title fits as well, `alsoFits`), attached by someone, or started outside an incident.
   */
  origin:
    | { kind: 'suggested'; alertRule?: string; alsoFits?: readonly { id: string; title: string }[] }
    | { kind: 'attached'; by: string | null }
    | { kind: 'run'; by: string };
  /** By step key (`mitigation.2`); a step without an entry is open. */
  statuses: Readonly<Record<string, StepStatus>>;
  /** Set once the playbook was detached from its incident: the message keeps its record, without buttons. */
  detached: { by: string | null; at: Date } | null;
  /**
   * For a playbook too long for one message: the page of steps to show (from 0); else the page with the step `focus`
   * (the one just ticked or run); else the page with the next step.
   */
  page: number | null;
  focus: string | null;
}

/** A line in a playbook's thread. */
export type PlaybookNote =
  | { kind: 'run_started'; runId: number; playbookTitle: string; startedBy: string }
  | { kind: 'run_completed'; runId: number; playbookTitle: string; done: number; skipped: number };

/**
 * A checklist the bot gave up posting (the sweep's attempts spent, ChecklistMessages): said once, in a direct message,
 * to the person who attached the playbook or started the run, with Slack's last answer and what to do.
 */
export type ChecklistGivenUp = (
  | { kind: 'run'; runId: number }
  /** An incident's attached playbook: the incident's number. */
  | { kind: 'attached'; incidentNumber: number }
) & {
  playbookId: string;
  playbookTitle: string;
  /** Where it was to be posted (null: an incident with no channel). */
  channelId: string | null;
  /** An incident's that is private (security): said nowhere outside its channel. */
  private?: boolean;
  /** Slack's last answer (its error code, `not_in_channel`), or what else failed. */
  error: string;
  attempts: number;
};

/**
 * Whose checklist message a post is, as its marker says (in its metadata): a run's, or one attachment of a playbook to
 * an incident's. A process that dies before it records where the post went has it found by it (findPlaybookPost).
 */
export type ChecklistMarker =
  | { kind: 'run'; runId: number }
  | { kind: 'attached'; incidentId: number; playbookId: string; attachment: string };

/** What running the runbook needs from the chat platform. */
export interface PlaybookChat {
  /**
   * Posts a playbook with its checklist (Done, Skip, Run, Check); returns its ts. A run's (`checklist.runId`) is marked
   * with the run's id, an incident's (`checklist.attachment`) with its attachment, for findPlaybookPost.
   */
  postPlaybook(place: ChatPlace, checklist: ChecklistView): Promise<string>;
  /**
   * The checklist message `marker` names (postPlaybook) posted since `since` in the place's channel, by a process that
   * died (or lost Slack's answer) before it recorded where: its ts; null when it is not there (Slack never took it).
   * Slack failing to be read is thrown (ChatPlatformError, logged once per reason): not found is not known then.
   */
  findPlaybookPost(place: ChatPlace, marker: ChecklistMarker, since: Date): Promise<string | null>;
  /** Deletes a playbook message one too many (another post of the same checklist was recorded first). */
  deletePlaybook(place: ChatPlace, ts: string): Promise<void>;
  /** Shows a playbook message again: after a tick, a run, a page turned or a detach. */
  updatePlaybook(place: ChatPlace, ts: string, checklist: ChecklistView): Promise<void>;
  /**
   * Tells a person in a direct message that their checklist could not be posted, given up (ChecklistGivenUp); the
   * message is marked with the checklist's `marker`, for findChecklistGivenUp.
   */
  tellChecklistGivenUp(userId: string, given: ChecklistGivenUp, marker: ChecklistMarker): Promise<void>;
  /**
   * Whether that telling (tellChecklistGivenUp, the same person, checklist and marker) was made since `since`: a try
   * whose answer was lost may have been taken. False when it cannot be known (Slack's history unreadable: logged once
   * per reason), so that the person is told, twice at worst, never not at all.
   */
  findChecklistGivenUp(userId: string, given: ChecklistGivenUp, marker: ChecklistMarker, since: Date): Promise<boolean>;
  /** Posts a line in a playbook's thread. */
  postNote(place: ChatPlace, threadTs: string, note: PlaybookNote): Promise<void>;
  /** Whether this person is a member of the channel (only members tick a checklist's steps). */
  isMember(channelId: string, userId: string): Promise<boolean>;
  /** Whether the channel is private (Slack's `is_private`): what is said in it is for its members only. */
  isPrivateChannel(channelId: string): Promise<boolean>;
  /** Posts a run's message (in the playbook's thread when there is one); returns its ts. */
  postRun(place: ChatPlace, threadTs: string | null, run: RunView): Promise<string>;
  /**
   * A run's message (postRun, which marks it with the run's id) posted since `since` in the place's channel (among the
   * replies of `threadTs` when given), by a process that died before it recorded where: its ts, for the run's end to be
   * drawn on it; null when it is not there. Slack failing to be read is thrown (ChatPlatformError, logged once per
   * reason): not found is not known then.
   */
  findRunPost(place: ChatPlace, threadTs: string | null, runId: number, since: Date): Promise<string | null>;
  updateRun(place: ChatPlace, ts: string, run: RunView): Promise<void>;
  /** Posts an approval request with Approve and Deny buttons; returns its ts. */
  postApproval(place: ChatPlace, threadTs: string | null, approval: ApprovalView): Promise<string>;
  updateApproval(place: ChatPlace, ts: string, approval: ApprovalView): Promise<void>;
  /** Sends an approver the request in a direct message, with Approve and Deny; returns where it is. */
  sendApprovalDm(userId: string, approval: ApprovalDmView): Promise<ApprovalDm>;
  /** Shows a request's direct message again: once decided, by whom, without its buttons. */
  updateApprovalDm(dm: ApprovalDm, approval: ApprovalDmView): Promise<void>;
  /**
   * Posts the recent deployments, the current one marked, with a "Roll back to vN" button on the others (carrying
   * `runId` for a playbook run outside an incident).
   */
  postDeployments(
    place: ChatPlace,
    deployments: DeploymentView[],
    suggested: string | null,
    runId?: number | null,
    asked?: AskedVersion,
  ): Promise<string>;
  /**
   * Shows a list of deployments posted before (`shown`, as posted) out of date, its Roll back buttons gone, saying what
   * made it so (a rollback, or a deploy).
   */
  showDeploymentsOutOfDate(place: ChatPlace, ts: string, shown: ShownDeployments, why: ListOutOfDate): Promise<void>;
  /**
   * Says the deployment history could not be read (`why`), and what can be done still: with a version typed, a
   * "Roll back to vN anyway" button (confirming first, saying the history was not read); else the commands to run by
   * hand. `runId` as for postDeployments.
   */
  postHistoryUnread(
    place: ChatPlace,
    unread: { typed: string | null; why: string; runId: number | null },
  ): Promise<void>;
  /**
   * Posts the result of a rollback (to `subject`, a version) or a deployment (`{ deployed }`, the command as shown) and
   * of each post-deployment check.
   */
  postVerification(
    place: ChatPlace,
    subject: VerificationSubject,
    checks: CheckResult[],
    verdict?: RollbackVerdict,
    retry?: RetryAnswer,
  ): Promise<string>;
  /** Shows a verification posted before (`ts`) again: a failed rollback's, once the history read after says more. */
  updateVerification(
    place: ChatPlace,
    ts: string,
    subject: VerificationSubject,
    checks: CheckResult[],
    verdict?: RollbackVerdict,
    retry?: RetryAnswer,
  ): Promise<void>;
  /** A link to a message in the place's channel. */
  permalink(place: ChatPlace, ts: string): Promise<string>;
  /** Attaches the full output of a run as a file in the thread. */
  uploadOutput(place: ChatPlace, threadTs: string | null, filename: string, content: string): Promise<void>;
}

/** What a post-deployment verification follows: a rollback to a version, or a deployment (its command as shown). */
export type VerificationSubject = string | { deployed: string };

/** One post-deployment check: what was checked, what the runbook expects, and what was seen. */
export interface CheckResult {
  name: string;
  ok: boolean;
  expected: string;
  detail: string;
  /** It could not be run (not configured: no health URL, say): neither passed nor failed; `detail` says why. */
  unchecked?: true;
  /** The version it saw running (`atom-cli status`'s Version line), for a check that reads it. */
  running?: string;
}

/** A rollback on a host's record: when it ended, who asked for it, and how it ended. */
/** A list of deployments as posted (postDeployments' arguments), kept to show it again once it is out of date. */
export interface ShownDeployments {
  deployments: DeploymentView[];
  suggested: string | null;
  runId: number | null;
  asked?: AskedVersion;
}

/** What made a list of deployments out of date: a rollback (how it ended), or a deploy (its command as shown). */
export type ListOutOfDate =
  | { kind: 'rollback'; past: PastRollback }
  | { kind: 'deploy'; at: Date; by: string | null; deployed: string };

export interface PastRollback {
  at: Date;
  by: string | null;
  verdict: RollbackVerdict;
}

/**
 * How a rollback ended, as its post-deployment verification found: `passed` (every check), `failed` (`failed`: each
 * check that failed, with what it saw), `unchecked` (none failed, some could not be checked), `not_run` (the rollback
 * command itself failed). `running`: the version `atom-cli status` showed after, when it showed one.
 */
export interface RollbackVerdict {
  version: string;
  result: 'passed' | 'failed' | 'unchecked' | 'not_run';
  running: string | null;
  failed: { name: string; detail: string }[];
}

/**
 * A failed rollback's version as the deployment history read after it answers it (as askVersion does: `offered`, a
 * rollback to it is offered, so trying again is; `current`, `unhealthy`, `unknown`: not in the history), or `unread`:
 * the history could not be read. Only a version offered is named to try again with.
 */
export type RetryAnswer = AskedVersion['answer'] | 'unread';

/**
 * A version the person typed (`/incident rollback v57`), as the deployments list answers it: `version` the one it
 * names (null: none of them), `offered` whether its button is there to press, else why not.
 */
export interface AskedVersion {
  typed: string;
  version: string | null;
  answer: 'offered' | 'current' | 'unhealthy' | 'unknown';
}

/** A version a rollback is offered to, from the deployment history; `lastGood`: the last good one before the current. */
export interface OfferedVersion {
  version: string;
  lastGood: boolean;
}

export interface DeploymentView {
  version: string;
  current: boolean;
  status?: string;
  createdAt?: Date;
  /** What was deployed (`Deploy api-service image …`), when the listing says. */
  description?: string;
  /** Its status says it failed, was cancelled or rolled back: shown, not offered as a version to roll back to. */
  unhealthy?: true;
}
