import { App, type Logger, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { register as registerActions } from './actions/index.js';
import { auditBadSignatures } from './audit/bad-signatures.js';
import { auditRequests } from './audit/middleware.js';
import { notingChanges } from './audit/noted-changes.js';
import { withRequest } from './audit/request-context.js';
import { register as registerCommands } from './commands/index.js';
import { type Config, configSecrets, logSecrets } from './config.js';
import { register as registerEvents } from './events/index.js';
import { FRONT_ALERT_CONNECTIONS, type FrontAlerts } from './http/ack-front.protocol.js';
import { AlertAuth } from './http/alert-auth.js';
import { alertHookRoutes } from './http/alert-hooks.js';
import { auditRoute } from './http/audit-route.js';
import { aliveRoute, healthRoute } from './http/health.js';
import { metricsRoute } from './http/metrics-route.js';
import { fallbackRoute } from './http/not-found.js';
import { pagerdutyHookRoute } from './http/pagerduty-hook.js';
import { postmortemRoute } from './http/postmortem-route.js';
import { slackReceiver } from './http/receiver-choice.js';
import { SLACK_EVENTS_PATH } from './http/slack-receiver.js';
import { statusRoutes } from './http/status-route.js';
import { ActionItemService } from './incidents/action-items.service.js';
import { AlertService, DUPLICATE_WINDOW_MS } from './incidents/alert.service.js';
import { AlertCards } from './incidents/alert-cards.js';
import { heartbeatRules } from './incidents/alert-firing.js';
import type { MaintenanceWindows } from './incidents/alert-ports.js';
import { securityAlert } from './incidents/alert-rows.js';
import type { StormWithdrawalRetries } from './incidents/alert-storm-withdrawals.js';
import { ApprovalRedraws } from './incidents/approval-redraws.js';
import { AuditTrail } from './incidents/audit.service.js';
import { CardSections } from './incidents/card-sections.js';
import { ChannelArchives } from './incidents/channel-archives.js';
import { ChannelBudget } from './incidents/channel-budget.js';
import { CHECKLIST_KINDS, ChecklistMessages } from './incidents/checklist-messages.js';
import type { FiredJob } from './incidents/escalation.service.js';
import { EscalationService } from './incidents/escalation.service.js';
import { HomeService } from './incidents/home.service.js';
import { IncidentService } from './incidents/incident.service.js';
import { IncidentNotes } from './incidents/incident-notes.js';
import { LostRuns } from './incidents/lost-runs.js';
import { MaintenanceService } from './incidents/maintenance.service.js';
import { NotificationService } from './incidents/notification.service.js';
import { OnCallService } from './incidents/oncall.service.js';
import { PagerDutyWebhooks } from './incidents/pagerduty-webhook.service.js';
import { PlaybookService } from './incidents/playbook.service.js';
import { PlaybookRuns } from './incidents/playbook-run.service.js';
import { PostmortemService } from './incidents/postmortem.service.js';
import { PrivateIncidents } from './incidents/private-incidents.service.js';
import { UserLimits } from './incidents/rate-limits.js';
import { RecoveryObjectiveCards } from './incidents/recovery-objectives.js';
import { RollbackService } from './incidents/rollback.service.js';
import { RollbackLists } from './incidents/rollback-lists.js';
import { RunMessageRedraws } from './incidents/run-message-redraws.js';
import { maskedChat, maskedIncident, maskedSenders } from './incidents/shown-incident.js';
import { HISTORY_DAYS, StatusPage } from './incidents/status-page.js';
import { sweepWhen, TimerLoop, type TimerLoopOptions } from './incidents/timer-loop.js';
import type { Incident } from './incidents/types.js';
import { type BotMetrics, createMetrics } from './metrics/metrics.js';
import { SmtpEmail } from './notify/email.js';
import { PagerDutyEvents, PagerDutyUsers } from './notify/pagerduty.js';
import { redactWith, typedTextMask } from './ops/redact.js';
import type { Runbook } from './runbook/runbook.js';
import { type BotIdentity, workspaceSelf } from './slack/bot-identity.js';
import { slackClientOptions } from './slack/client-options.js';
import { followUpCaches, SlackFollowUpChat } from './slack/follow-up-chat.js';
import { refreshingHomes } from './slack/home-refreshing-chat.js';
import { HomeTabs } from './slack/home-tabs.js';
import { ListenerRouter } from './slack/listener-router.js';
import { SlackOnCallChat } from './slack/oncall-chat.js';
import { oncePerRequest } from './slack/once-per-request.js';
import { installSerializedArgs } from './slack/serialized-args.js';
import { SlackAlertChat } from './slack/slack-alert-chat.js';
import { SlackChat } from './slack/slack-chat.js';
import { SlackMaintenanceChat } from './slack/slack-maintenance-chat.js';
import { type GateLimits, type InFlight, workGates } from './slack/work-gate.js';
import { REMINDERS_DUE } from './store/action-item.repo.js';
import { type DeliveryBatch, failingDeliveries } from './store/alert-delivery.repo.js';
import type { Database } from './store/db.js';
import { STALE_DECLARATIONS } from './store/declaration.repo.js';
import { STALE_FOLLOWUPS } from './store/followup.repo.js';
import type { GuardedKv } from './store/kv.js';
import { KvCache } from './store/kv-cache.js';
import { openKv } from './store/kv-redis.js';
import { NOTIFICATIONS_DUE } from './store/notification.repo.js';
import { RequestDedupe } from './store/request-dedupe.js';
import { LISTS_TO_REDRAW } from './store/rollback-list.repo.js';
import { RUN_MESSAGES_TO_REDRAW } from './store/run-message.repo.js';
import { APPROVALS_TO_REDRAW } from './store/step-approval.repo.js';
import { RUNS_LOST } from './store/step-run.repo.js';
import { postmortemWriter } from './templates/postmortem-markdown.js';
import { runbookNames } from './templates/timeline.js';
import { register as registerViews } from './views/index.js';

export interface BotDeps {
  config: Config;
  db: Database;
  runbook: Runbook;
  /** Escalation timer loop tuning (tests shorten the idle poll). */
  timers?: Partial<TimerLoopOptions>;
  logger?: Logger;
  /**
   * Admission control for declarations (the heavy gate). Defaults: 4 at once (1 while the process is busy), 64 waiting. Slack allows
   * about 20 channel creations a minute (conversations.create is Tier 2); keeping the number small keeps acks fast
   * under a flood (bench/ack).
   */
  limits?: GateLimits;
  /** The light gate's limits (everything but declarations). Default: 32 at once, 2000 waiting. */
  lightLimits?: GateLimits;
  /** Who the bot is (auth.test, asked by start() before this); without it Bolt asks Slack itself. */
  identity?: BotIdentity;
  /** Escalation tuning (tests shorten how long a typed `/incident escalate` counts as a repeat). */
  escalation?: { repeatWindowMs?: number; redrawTries?: number };
  /** What replicas share (rate limits, channel budget, repeated requests, caches); default: as config.kv says. */
  kv?: GuardedKv;
  /** The metrics served at /metrics; default: a registry of this bot's own, with the process's metrics. */
  metrics?: BotMetrics;
  /**
   * Monitoring alerts: maintenance windows (default: the runbook's), how long an identical delivery is a retry, how
   * long a storm's declaration waits for the others' cards at most.
   */
  alerts?: {
    maintenance?: MaintenanceWindows;
    duplicateWindowMs?: number;
    cardsFirstMaxMs?: number;
    /** How a storm's post one too many that Slack would not delete is tried again (tests shorten it). */
    stormWithdrawals?: StormWithdrawalRetries;
  };
}

const LOG_LEVELS = { debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR } as const;

export interface Bot {
  app: App;
  /** Runs due escalation timers; start it with the app, stop it before closing the database. */
  timers: TimerLoop<FiredJob>;
  /** The shared key-value store; close it after the app stops. */
  kv: GuardedKv;
  /** The audit; flush it after the app stops, before the database closes. */
  audit: Pick<AuditTrail, 'flush'>;
  /** What /metrics serves. */
  metrics: BotMetrics;
  /** Home tab refreshes in the background; wait for them after the app stops. */
  home: Pick<HomeTabs, 'idle' | 'forget'>;
  /** Works the alert inbox (deliveries the hooks accepted); start it with the app, stop it with the timers. */
  alerts: TimerLoop<DeliveryBatch>;
  /** The work behind the acks still running; wait for it after the app stops, before the database closes. */
  inFlight: Pick<InFlight, 'idle'>;
  /**
   * Stops the runbook commands still running (SIGTERM to each one's process group, as the bot's exit would send): call
   * it once the stop has waited for the work in flight, then wait for that work again, so each run is recorded
   * `stopped` and its messages (the run's, its approval request's) say so before the database closes.
   */
  stopRuns(): void;
}

/** How long a stop waits for the work behind the acks, then for the runs it stopped to be recorded. */
export interface StopWaits {
  workMs: number;
  runsMs: number;
}

/**
 * Stops a bot's work once its app has stopped taking requests, in the order that loses nothing: what was acknowledged
 * is finished (up to `workMs`); the runbook commands still running are stopped (SIGTERM to each one's process group,
 * as the exit would send) and recorded `stopped` with their messages (up to `runsMs`); then the timers, the alert loop,
 * the Home tabs, the audit and the key-value store. The database is the caller's to close after.
 */
export async function stopBotWork(bot: Omit<Bot, 'app' | 'metrics'>, waits: StopWaits): Promise<void> {
  await bot.inFlight.idle(waits.workMs);
  bot.stopRuns();
  await bot.inFlight.idle(waits.runsMs);
  await bot.timers.stop();
  await bot.alerts.stop();
  bot.home.forget(); // the refreshes held back: best-effort, the next opening of a tab rebuilds it
  await bot.home.idle();
  await bot.audit.flush();
  await bot.kv.close();
}

/**
 * Builds a Bolt app wired to the services. Nothing starts here; `app.start(port)` does. Tests make a fresh one each.
 */
export function createBot({
  config,
  db: givenDb,
  logger,
  limits,
  lightLimits,
  runbook,
  timers: timerOptions,
  identity,
  escalation: escalationOptions,
  kv: sharedKv,
  metrics: givenMetrics,
  alerts: alertOptions,
}: BotDeps): Bot {
  const { slack } = config;
  if (slack.mode === 'setup') throw new Error('createBot needs Slack credentials; see set-up mode in start.ts');
  // Each change a request makes is noted in it, for what its error path says (errorText: done, or nothing changed).
  const db = notingChanges(givenDb);
  // The audit is written through app.logger, which exists only once the app does: the trail asks for it when it writes.
  const contacts = { resolveContacts: (ids: string[]) => chat.resolveContacts(ids) };
  const audit: AuditTrail = new AuditTrail(
    db,
    contacts,
    runbook.access.approvers,
    {
      info: (...a: unknown[]) => app.logger.info(...a),
      warn: (...a: unknown[]) => app.logger.warn(...a),
      error: (...a: unknown[]) => app.logger.error(...a),
    },
    // What a person types is masked as the log masks it: the bot's tokens and COMMAND_ENV values, by value too.
    redactWith(logSecrets(config)),
  );
  // The store logs through the app's logger, which exists once the app does (before any call to the store).
  const kv =
    sharedKv ?? openKv(config.kv, { warn: (...a) => app.logger.warn(...a), info: (...a) => app.logger.info(...a) });
  const warn = { warn: (...a: unknown[]) => app.logger.warn(...a) };
  const log = {
    ...warn,
    info: (...a: unknown[]) => app.logger.info(...a),
    error: (...a: unknown[]) => app.logger.error(...a),
  };
  // What people type (titles, status updates, resolutions, post-mortems, notes, action items, a Deny's or a Skip's
  // reason, an on-call override's role and times, a maintenance window's title): the bot's tokens and COMMAND_ENV
  // values masked by value, as in command output, before it is posted or stored;
  // and what was stored before a value was known secret, as it is shown.
  const typed = typedTextMask(logSecrets(config));
  const metrics = givenMetrics ?? createMetrics(db, { log: warn });
  // The page shows the maintenance windows through the service made below, once the app exists (requests come after).
  const statusPage = new StatusPage(db, runbook.severities, {}, typed, {
    publicWindows: (now, horizonMs) => maintenance.publicWindows(now, horizonMs),
  });
  // The post-mortem route reads through the service made below, once the app exists (requests come after).
  const documents: Pick<PostmortemService, 'document'> = {
    document: (team, n, v) => postmortems.document(team, n, v),
  };
  const hooks = alertHookRoutes({
    auth: new AlertAuth(config.alerts),
    rules: runbook.alerts,
    // The service exists once the app does; a request comes after both.
    accept: (delivery, body) => alerts.accept(delivery, body),
    duplicateWindowMs: alertOptions?.duplicateWindowMs ?? DUPLICATE_WINDOW_MS,
    log,
  });
  const { notify } = config;
  // The PagerDuty webhook acts through the services made below, once the app exists (requests come after).
  const pagerdutyHook = pagerdutyHookRoute({
    secret: notify.pagerdutyWebhookSecret,
    handle: (event) => pagerdutyWebhooks.handle(event),
    log,
  });
  const routes = [
    aliveRoute,
    healthRoute(
      db,
      slack.mode,
      kv,
      {
        email: Boolean(notify.smtpUrl && notify.emailFrom),
        pagerduty: { events: notify.pagerdutyEventsUrl, webhook: Boolean(notify.pagerdutyWebhookSecret) },
      },
      () => failingDeliveries(db),
    ),
    auditRoute(audit, config.adminToken),
    metricsRoute(metrics, config.adminToken, audit),
    ...statusRoutes(
      statusPage,
      {
        title: config.statusPage.title,
        historyDays: HISTORY_DAYS,
        timeZone: config.timeZone,
        ...(config.statusPage.companyUrl ? { companyStatusUrl: config.statusPage.companyUrl } : {}),
        ...(config.statusPage.publicBaseUrl ? { publicBaseUrl: config.statusPage.publicBaseUrl } : {}),
      },
      warn,
    ),
    postmortemRoute(documents, audit, config.adminToken),
    // Before the hooks' catch-all for /hooks/*.
    pagerdutyHook,
    ...hooks,
  ];
  // Last: what no route took is told why (404 listing what there is, 405 naming the methods), never an empty 404.
  routes.push(fallbackRoute(routes, slack.mode === 'http' ? SLACK_EVENTS_PATH : undefined));
  // Every Web API call's blocks and views are JSON text before the client sees them (see serializedArgs).
  installSerializedArgs();
  const clientOptions = slackClientOptions(slack.apiUrl, metrics.slackCall);
  const app = new App({
    token: slack.botToken,
    ...(identity ? { botId: identity.botId, botUserId: identity.botUserId } : {}),
    ...slackReceiver(slack, {
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      clientOptions,
      customRoutes: routes,
      logLevel: LOG_LEVELS[config.logLevel],
      ...(logger ? { logger } : {}),
      onAck: metrics.acked,
      ackThread: config.ackThread,
      workNice: config.workNice,
      requestTimeoutMs: config.requestTimeoutMs,
      frontAlerts: {
        alerts: frontAlerts(config, runbook, db, alertOptions?.duplicateWindowMs),
        // The service exists once the app does; a delivery comes after both.
        onAlerts: (source, groupKey, levels) => alerts.received(source, groupKey, levels),
      },
      frontIncidents: db.connection ? { connection: db.connection, prepare: db.prepare ?? true } : null,
    }),
    // No listener uses conversation context; the default in-memory store only costs time and memory per request.
    convoStore: false,
    logLevel: LOG_LEVELS[config.logLevel],
    ...(logger ? { logger } : {}),
    clientOptions,
  });

  // The workspace and the bot's own user, asked of Slack once when not known at start.
  const self = workspaceSelf(app.client, identity);
  // Who is on call is computed from the runbook file's rotations and the overrides in Postgres, when a page fires.
  const oncall = new OnCallService(
    db,
    runbook,
    new SlackOnCallChat(app.client, self),
    { ...config.oncall, ...(config.incidentsChannel ? { incidentsChannel: config.incidentsChannel } : {}) },
    app.logger,
    typed,
  );
  const alertRows = new Map(runbook.alerts.map((r) => [r.name, r]));
  const home = new HomeTabs(
    app.client,
    // A security alert in no incident is shown without what it says (its title read as one once the playbooks are
    // made, below: called when a Home tab is drawn).
    new HomeService(db, oncall, heartbeatRules(runbook.alerts), typed, (a) =>
      securityAlert(alertRows, (title) => sensitive(title), a),
    ),
    runbook.severities,
    app.logger,
    identity ? { botUserId: identity.botUserId } : {},
  );
  // Every change to an incident refreshes its card; the people part of it get their Home tabs refreshed then too.
  // Every incident shown through it has what people typed masked, whenever its row was stored (see maskedChat).
  const chat = refreshingHomes(
    maskedChat(
      new SlackChat(app.client, {
        incidentsChannel: config.incidentsChannel,
        severities: runbook.severities,
        timeZone: config.timeZone,
        cache: new KvCache(kv),
        shared: kv,
        privateAnnounce: runbook.privateIncidents.announce,
        log: app.logger,
        ...(identity ? { botUserId: identity.botUserId } : {}),
        topicClient: new WebClient(slack.botToken, {
          ...clientOptions,
          logger: app.logger,
          rejectRateLimitedCalls: true,
        }),
      }),
      typed,
    ),
    (incident) => home.incidentChanged(incident),
  );
  // The people directory (owners typed as @name) kept ten minutes, names a minute.
  const followUps = new SlackFollowUpChat(app.client, home, followUpCaches(kv));
  // Every card posted or refreshed carries the incident's alerts, when it was opened from (or joined by) alerts...
  const cards = new AlertCards(db, alertRows, config.alerts.maxIncidents);
  // ...and the recovery objectives (RTO, RPO) of its procedure, for an incident with Disaster Recovery attached.
  const objectiveCards = new RecoveryObjectiveCards(runbook.playbooks);
  const sections = new CardSections(db, cards, objectiveCards, app.logger);
  const incidentChat = sections.decorate(chat);
  // How pages reach people after the Slack DM: email and PagerDuty steps are timers of their own, swept by the loop.
  const notifications: NotificationService = new NotificationService(
    db,
    incidentChat,
    runbook,
    maskedSenders(
      {
        email:
          notify.smtpUrl && notify.emailFrom
            ? new SmtpEmail(notify.smtpUrl, notify.emailFrom, runbook.severities, config.timeZone)
            : null,
        pagerduty: new PagerDutyEvents(notify.pagerdutyEventsUrl, config.timeZone),
      },
      typed,
    ),
    app.logger,
    (id) => incidents.refreshCard(id),
    // Its email and PagerDuty pages say what fired, as its Slack DMs do.
    // A page by name follows the role that has the person on call (its rotation), as the escalation's pages do.
    { alertsOf: (id) => sections.view(id).then((v) => v.alerts), onCall: oncall },
  );
  // The timer loop runs the escalation service's timers, and the service wakes the loop: the wake-up is only called
  // once requests arrive, after both exist.
  const escalation = new EscalationService(
    db,
    incidentChat,
    runbook,
    app.logger,
    (at) => timers.poke(at),
    // A fired timer's card is shown as every change's is (checked against the row after its update).
    {
      ...escalationOptions,
      cardSections: sections,
      shared: kv,
      refreshCard: (id): Promise<void> => incidents.refreshCard(id),
    },
    metrics,
    notifications,
    oncall,
  );
  // Aborted by stopRuns: the commands still running when the bot stops are stopped, and recorded so.
  const stopping = new AbortController();
  const playbooks = new PlaybookService(
    db,
    chat,
    runbook,
    {
      atomCli: config.atomCli,
      alembicCli: config.alembicCli,
      awsCli: config.awsCli,
      commandEnv: { ...config.commandEnv },
      secrets: configSecrets(config),
      baseDir: config.commandBaseDir,
      ...(config.healthBaseUrl ? { healthBaseUrl: config.healthBaseUrl } : {}),
      stopping: stopping.signal,
      runLeaseMs: config.stepRunLeaseMs,
      checklistPostLeaseMs: config.checklistPostLeaseMs,
    },
    app.logger,
    metrics,
    typed,
  );
  // The lists of deployments posted: a rollback or a deploy shows each still offering buttons out of date.
  const rollbackLists = new RollbackLists(db, chat, app.logger);
  playbooks.productionChanged = (q, host, why) => rollbackLists.mark(q, host, why);
  const rollback = new RollbackService(
    db,
    chat,
    playbooks,
    config.deploymentsPattern ? { deploymentsPattern: config.deploymentsPattern } : {},
    rollbackLists,
  );
  // A deployment whose post-deployment verification failed offers the one-click rollback where it ran.
  playbooks.rollbackOffer = (host, userId) => rollback.showDeploymentsAt(host, userId);
  // An incident opened from alerts gets its runbook row's playbook, or none when its row names none (HighDiskUsage's
  // action is the procedure: "Disk filling on db-1" is not a database connection failure); any other incident, the
  // one its title suggests, or, when an alert row naming no playbook fits it best ("disk full on db-1"), that row's
  // action told in its channel.
  const suggestPlaybook = async (incident: Incident) => {
    const fromRows = await alerts.playbookFor(incident.id);
    const suggested = fromRows === undefined ? playbooks.suggestionFor(incident.title)?.id : fromRows;
    if (suggested) await playbooks.attach(incident.id, suggested, null, true);
    const claim = fromRows === undefined && !suggested ? playbooks.claimFor(incident.title) : null;
    if (claim) await incidentChat.notify(incident, { kind: 'runbook_action', rule: claim });
  };
  // A title whose suggested playbook is a security one (an attack, a breach) declares a private incident (storm control
  // asks it of every alert a delivery carries: PlaybookService keeps each title's suggestion).
  const sensitive = (title: string) => playbooks.suggestionFor(title)?.kind === 'security';
  const incidents = new IncidentService(
    db,
    incidentChat,
    app.logger,
    escalation,
    suggestPlaybook,
    metrics,
    {
      sensitive,
      // The card of an incident declared while a maintenance window is open says so (made below; called later).
      maintenanceNow: (q) => maintenance.openNow(q),
    },
    kv,
    typed,
  );
  // A card names who is on call for its next role: a hand-off (an override, a swap, a rotation's) redraws them.
  oncall.redrawCardsWith((id) => incidents.refreshCard(id));
  const pagerdutyWebhooks = new PagerDutyWebhooks(
    db,
    incidentChat,
    incidents,
    runbook,
    notify.pagerdutyApiToken ? new PagerDutyUsers(notify.pagerdutyApiUrl, notify.pagerdutyApiToken) : null,
    app.logger,
  );
  // Attaching (or detaching) a procedure with recovery objectives shows them on the card at once, and the incident
  // keeps its RTO: the reminders of its bounds are set, moved or cancelled with it.
  playbooks.onAttachedChanged = async (incidentId, playbookId, attachedIds) => {
    if (objectiveCards.shows(playbookId))
      await incidents.setRecovery(incidentId, objectiveCards.recoveryOf(attachedIds));
  };
  // The owners of a private incident's items are let into its channel (recorded), as paged people are.
  const actionItems = new ActionItemService(
    db,
    followUps,
    app.logger,
    { invite: (incident, userIds) => incidentChat.inviteToChannel(incident, userIds) },
    typed,
  );
  // The card counts the action items and says which post-mortem version was written: shown again when they change.
  actionItems.cards = incidents;
  // The document masks what it shows as run output is masked (patterns, the bot's secrets, COMMAND_ENV values).
  const postmortems = new PostmortemService(
    db,
    followUps,
    runbook,
    actionItems,
    postmortemWriter(runbook, playbooks.mask),
    app.logger,
    typed,
  );
  // Slack's channel-creation budget, one for people's declarations and alerts' (every replica shares it via kv).
  const channelBudget = new ChannelBudget(kv, config.rateLimits.channelCreate);
  const alerts: AlertService = new AlertService(
    db,
    incidents,
    new SlackAlertChat(app.client, {
      ...(config.incidentsChannel ? { incidentsChannel: config.incidentsChannel } : {}),
      ...(identity ? { identity } : {}),
      privateAnnounce: runbook.privateIncidents.announce,
      log: app.logger,
    }),
    cards,
    runbook.alerts,
    {
      maxIncidents: config.alerts.maxIncidents,
      deliveryRetentionMs: config.alerts.deliveryRetentionMs,
      repeatRefreshMs: config.alerts.repeatRefreshMs,
      stormReturnGapMs: config.alerts.stormReturnGapMs,
      noticeDmRetryMs: config.alerts.noticeDmRetryMs,
      channels: channelBudget,
      wake: () => alertLoop.poke(),
      metrics,
      sensitive,
      onCall: () => escalation.declarationContacts(),
      playbookTitle: (id) => runbook.playbooks.find((p) => p.id === id)?.title,
      maintenance: alertOptions?.maintenance ?? { inMaintenance: (a, at) => maintenance.inMaintenance(a, at) },
      ...(alertOptions?.duplicateWindowMs !== undefined ? { duplicateWindowMs: alertOptions.duplicateWindowMs } : {}),
      ...(alertOptions?.cardsFirstMaxMs !== undefined ? { cardsFirstMaxMs: alertOptions.cardsFirstMaxMs } : {}),
      ...(alertOptions?.stormWithdrawals ? { stormWithdrawals: alertOptions.stormWithdrawals } : {}),
      cardsFirstReleased: () => timers.poke(),
    },
    app.logger,
  );
  // The card shown to one person (`/incident status`) has the sections its channel's card has.
  incidents.sections = sections;
  // A resolved incident's offers to resolve it (every alert resolved, Resolve incident) say it was resolved, and its
  // approval requests still waiting are closed (nothing runs from a resolved incident), in the channel and every DM.
  incidents.onResolved = async (incident) => {
    await alerts.closeResolveOffers(incident).catch((e) => app.logger.warn('could not close the resolve offers', e));
    await playbooks.approvals.closePending({ kind: 'incident', incident }, 'incident_resolved', null);
  };
  // A reopened incident's messages offering Reopen (its alert fired again elsewhere) say who reopened it.
  incidents.onReopened = (incident) => alerts.closeFiredElsewhere(incident);
  // The alert inbox: deliveries are worked side by side (mostly Slack calls), but recorded a few at a time
  // (AlertService), so that the hooks and Slack's requests keep connections to the database.
  const alertLoop = new TimerLoop<DeliveryBatch>(
    db,
    {
      claim: (limit, leaseMs) => alerts.claim(limit, leaseMs),
      run: (d) => withRequest({ requestId: `alerts-${d.id}` }, () => alerts.run(d)),
      renew: (ids, leaseMs) => alerts.renew(ids, leaseMs),
      nextDueAt: () => alerts.nextDueAt(),
    },
    app.logger,
    // A delivery due but not claimable waits behind its group's earlier one, held here (the loop is woken once that is
    // recorded) or by another process: looked at again every 100 ms, not every 5.
    {
      maxSleepMs: timerOptions?.maxSleepMs ?? 1000,
      batchSize: 16,
      maxHeld: 64,
      leaseMs: 10_000,
      contendedSleepMs: 100,
    },
    // Alerts held back by a maintenance window, heartbeats, cards due to show repeats of their alerts.
    alerts.sweeps,
  );
  // A fired timer's log lines carry its incident, as a request's do. While a storm's alert incidents are being
  // declared here, their timers are claimed once the storm's cards are up (a few seconds at most): their first pages,
  // and the card refreshes after them, then do not hold back the storm's later cards. Every other timer is claimed as
  // usual; the loop is woken when theirs wait no more.
  const fire = {
    claim: async (limit: number, leaseMs: number) => {
      const held = alerts.cardsFirst();
      const r = await escalation.claim(limit, leaseMs, held.incidents);
      return held.until && (r.nextDueAt === null || held.until < r.nextDueAt) ? { ...r, nextDueAt: held.until } : r;
    },
    run: (work: FiredJob) =>
      withRequest({ requestId: `timer-${work.id}`, incidentId: work.incident.id }, () => escalation.run(work)),
  };
  const runs = new PlaybookRuns(
    db,
    chat,
    playbooks.checklists,
    runbook.playbooks,
    app.logger,
    config.checklistPostLeaseMs,
  );
  // Maintenance windows: planned, noticed, opened (with their checklist) and closed by the timer loop's sweep.
  const maintenance: MaintenanceService = new MaintenanceService(
    db,
    new SlackMaintenanceChat(app.client, identity),
    runs,
    runbook.maintenance,
    runbook.playbooks,
    config.incidentsChannel ?? null,
    app.logger,
    typed,
  );
  // Action item reminders, notification steps and maintenance windows are rows with a due time, swept on every round
  // of the loop, as declarations are; so are on-call hand-off notices (a row per role and hand-off, recorded shortly
  // before it).
  // Each with the condition (its repo's) under which it has work: the loop asks them all in one statement a round.
  const timers = new TimerLoop(db, fire, app.logger, timerOptions, [
    sweepWhen(STALE_DECLARATIONS, incidents.declarations),
    sweepWhen(STALE_FOLLOWUPS, incidents.followups),
    sweepWhen(REMINDERS_DUE, actionItems),
    sweepWhen(NOTIFICATIONS_DUE, notifications),
    oncall,
    ...maintenance.sweeps,
    // Runs whose process died while their command ran (kill -9: their lease ran out): recorded lost and shown so, their
    // steps free to run again; their approval requests made due to be drawn again, by the sweep below.
    sweepWhen(RUNS_LOST, new LostRuns(db, chat, playbooks.checklists, playbooks, metrics, app.logger)),
    // Run messages of runs recorded lost or stopped that Slack would not update then (or whose process died first):
    // drawn again as the runs ended.
    sweepWhen(RUN_MESSAGES_TO_REDRAW, new RunMessageRedraws(db, chat, playbooks.checklists, playbooks, app.logger)),
    // Playbook runs, and playbooks attached to incidents, whose checklist message is not on the record and whose
    // process no longer posts it (it died after Slack took it, or Slack's answer was lost): found in the channel by its
    // marker and recorded, or posted once.
    ...(Object.keys(CHECKLIST_KINDS) as (keyof typeof CHECKLIST_KINDS)[]).map((kind) => {
      const messages = new ChecklistMessages(
        kind,
        db,
        chat,
        playbooks.checklists,
        runbook.playbooks,
        app.logger,
        config.checklistPostLeaseMs,
      );
      return sweepWhen(messages.dueWhen, messages);
    }),
    // Approval requests closed or decided whose messages may show an older state (Slack refused an update, DMs sent
    // late), live buttons left: drawn again as they are now.
    sweepWhen(APPROVALS_TO_REDRAW, new ApprovalRedraws(db, playbooks.approvals, playbooks, app.logger)),
    // Lists of deployments out of date (a rollback or a deploy since) that Slack would not redraw then: redrawn.
    sweepWhen(LISTS_TO_REDRAW, rollbackLists),
  ]);
  const gate = workGates(limits, lightLimits);
  const userLimits = new UserLimits(kv, config.rateLimits, channelBudget);
  const deps = {
    incidents,
    playbooks,
    approvals: playbooks.approvals,
    checklists: playbooks.checklists,
    runs,
    rollback,
    gate,
    severities: runbook.severities,
    names: runbookNames(runbook),
    audit,
    limits: userLimits,
    postmortems,
    actionItems,
    notes: new IncidentNotes(db, followUps, app.logger, typed),
    home,
    alerts,
    oncall,
    privateIncidents: new PrivateIncidents(db, incidentChat, incidents, app.logger),
    incidentsChannel: config.incidentsChannel ?? null,
    maintenance,
    channelArchives: new ChannelArchives(
      db,
      // What people typed (the title) masked as everywhere it is shown.
      {
        tellChannelArchived: (incident, archived) =>
          chat.tellChannelArchived(maskedIncident(incident, typed), archived),
        rejoinChannel: (incident, ...rest) => chat.rejoinChannel(maskedIncident(incident, typed), ...rest),
      },
      app.logger,
      async () => (await self().catch(() => undefined))?.botUserId,
      (id) => incidents.refreshCard(id),
    ),
    typed,
  };
  // Every listener registers on one router, installed as one global middleware (see ListenerRouter).
  const router = new ListenerRouter();
  // Before every listener: the request's id for the logs, and its audit row once handled.
  app.use(auditRequests(audit));
  auditBadSignatures(app, audit);
  registerCommands(router, deps);
  registerActions(router, deps);
  registerViews(router, deps);
  registerEvents(router, deps);
  // Across replicas, a first check against requests already seen; in one process Postgres's request keys suffice, and
  // a key per request kept for minutes would only cost memory.
  if (kv.kind !== 'in-process') app.use(oncePerRequest(new RequestDedupe(kv)));
  router.install(app);

  app.error(async (err) => {
    app.logger.error('unhandled listener error', err);
  });
  return {
    app,
    timers,
    kv,
    audit,
    metrics,
    home,
    alerts: alertLoop,
    inFlight: gate.inFlight,
    stopRuns: () => stopping.abort(),
  };
}

/** Connections the front's alert pool keeps open on the embedded database. */
const EMBEDDED_FRONT_ALERT_CONNECTIONS = 4;

/**
 * What the acknowledging front needs to serve the alert hooks itself: a way for senders to prove who they are, the
 * runbook's rows, the database. Null when alerts are not taken (the bot's own server answers 404) or the database
 * cannot be reached from a second pool.
 */
function frontAlerts(
  config: Config,
  runbook: Runbook,
  db: Database,
  duplicateWindowMs: number | undefined,
): FrontAlerts | null {
  const { token, signingSecret, qstash } = config.alerts;
  if (!(token || signingSecret || qstash) || !db.connection) return null;
  return {
    settings: { token, signingSecret, qstash },
    rules: [...runbook.alerts],
    connection: db.connection,
    prepare: db.prepare ?? true,
    // On a Postgres server every connection is kept open: a storm's first alerts come at once, and opening
    // connections for them (a server process each) kept their answers waiting (bench/alerts: every answer of the
    // slowest 1% came in the storm's first 250 ms, while the pool opened connections). The embedded database, in the
    // bot's own memory budget, keeps a few.
    keepOpen: db.kind === 'embedded' ? EMBEDDED_FRONT_ALERT_CONNECTIONS : FRONT_ALERT_CONNECTIONS,
    duplicateWindowMs: duplicateWindowMs ?? DUPLICATE_WINDOW_MS,
  };
}
