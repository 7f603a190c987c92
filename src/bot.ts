import { App, type Logger, LogLevel } from '@slack/bolt';
import { register as registerActions } from './actions/index.js';
import { register as registerCommands } from './commands/index.js';
import type { Config } from './config.js';
import { register as registerEvents } from './events/index.js';
import { aliveRoute, healthRoute } from './http/health.js';
import type { FiredJob } from './incidents/escalation.service.js';
import { EscalationService } from './incidents/escalation.service.js';
import { IncidentService } from './incidents/incident.service.js';
import { PlaybookService } from './incidents/playbook.service.js';
import { RollbackService } from './incidents/rollback.service.js';
import { TimerLoop, type TimerLoopOptions } from './incidents/timer-loop.js';
import type { Incident } from './incidents/types.js';
import type { Runbook } from './runbook/runbook.js';
import type { BotIdentity } from './slack/bot-identity.js';
import { slackClientOptions } from './slack/client-options.js';
import { ListenerRouter } from './slack/listener-router.js';
import { SlackChat } from './slack/slack-chat.js';
import { eventLoopBusy, WorkGate } from './slack/work-gate.js';
import type { Database } from './store/db.js';
import { register as registerViews } from './views/index.js';

export interface BotDeps {
  config: Config;
  db: Database;
  runbook: Runbook;
  /** Escalation timer loop tuning (tests shorten the idle poll). */
  timers?: Partial<TimerLoopOptions>;
  logger?: Logger;
  /**
   * Admission control for post-ack work. Defaults: 4 at once (1 while the process is busy), 64 waiting. Slack allows
   * about 20 channel creations a minute (conversations.create is Tier 2); keeping the number small keeps acks fast
   * under a flood (bench/ack).
   */
  limits?: { maxActive: number; maxWaiting: number };
  /** Who the bot is (auth.test, asked by start() before this); without it Bolt asks Slack itself. */
  identity?: BotIdentity;
}

const LOG_LEVELS = { debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR } as const;

export interface Bot {
  app: App;
  /** Runs due escalation timers; start it with the app, stop it before closing the database. */
  timers: TimerLoop<FiredJob>;
}

/**
 * Builds a Bolt app wired to the services. Nothing starts here; `app.start(port)` does. Tests make a fresh one each.
 */
export function createBot({ config, db, logger, limits, runbook, timers: timerOptions, identity }: BotDeps): Bot {
  const { slack } = config;
  if (slack.mode === 'setup') throw new Error('createBot needs Slack credentials; see set-up mode in start.ts');
  const routes = [aliveRoute, healthRoute(db, slack.mode)];
  const clientOptions = slackClientOptions(slack.apiUrl);
  const app = new App({
    token: slack.botToken,
    ...(identity ? { botId: identity.botId, botUserId: identity.botUserId } : {}),
    ...(slack.mode === 'socket'
      ? { socketMode: true, appToken: slack.appToken, installerOptions: { port: config.port, clientOptions } }
      : { signingSecret: slack.signingSecret }),
    customRoutes: routes,
    // No listener uses conversation context; the default in-memory store only costs time and memory per request.
    convoStore: false,
    logLevel: LOG_LEVELS[config.logLevel],
    ...(logger ? { logger } : {}),
    clientOptions,
  });

  const chat = new SlackChat(app.client, {
    incidentsChannel: config.incidentsChannel,
    severities: runbook.severities,
  });
  // The timer loop runs the escalation service's timers, and the service wakes the loop: the wake-up is only called
  // once requests arrive, after both exist.
  const escalation = new EscalationService(db, chat, runbook, app.logger, (at) => timers.poke(at));
  const playbooks = new PlaybookService(
    db,
    chat,
    runbook,
    {
      atomCli: config.atomCli,
      alembicCli: config.alembicCli,
      commandEnv: { ...config.commandEnv },
      ...(config.healthBaseUrl ? { healthBaseUrl: config.healthBaseUrl } : {}),
    },
    app.logger,
  );
  const rollback = new RollbackService(
    db,
    chat,
    playbooks,
    config.deploymentsPattern ? { deploymentsPattern: config.deploymentsPattern } : {},
  );
  const suggestPlaybook = async (incident: Incident) => {
    const suggested = playbooks.suggestionFor(incident.title);
    if (suggested) await playbooks.attach(incident.id, suggested.id, null, true);
  };
  const incidents = new IncidentService(db, chat, app.logger, escalation, suggestPlaybook);
  const timers = new TimerLoop(db, escalation, app.logger, timerOptions, [incidents.declarations]);
  const gate = new WorkGate(limits?.maxActive ?? 4, limits?.maxWaiting ?? 64, eventLoopBusy());
  const deps = { incidents, playbooks, approvals: playbooks.approvals, rollback, gate, severities: runbook.severities };
  // Every listener registers on one router, installed as one global middleware (see ListenerRouter).
  const router = new ListenerRouter();
  registerCommands(router, deps);
  registerActions(router, deps);
  registerViews(router, deps);
  registerEvents(router);
  router.install(app);

  app.error(async (err) => {
    app.logger.error('unhandled listener error', err);
  });
  return { app, timers };
}
