import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { App } from '@slack/bolt';
import { createBot, stopBotWork } from './bot.js';
import { type Config, incidentsChannelName, loadConfig, logSecrets } from './config.js';
import { aliveRoute, healthRoute } from './http/health.js';
import { SETUP_INSTRUCTIONS, startSetupServer } from './http/setup-server.js';
import { boltLogger, createLogger } from './log/logger.js';
import { redactWith } from './ops/redact.js';
import { channelsNamed } from './runbook/channels.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, type Runbook, RunbookError } from './runbook/runbook.js';
import { unstaffedRoles } from './runbook/unstaffed-roles.js';
import { type BotIdentity, BotIdentityError, fetchBotIdentity, TOKEN_REFUSED } from './slack/bot-identity.js';
import { checkChannels } from './slack/channel-check.js';
import { slackClientOptions } from './slack/client-options.js';
import { findChannelId, IncidentsChannelError } from './slack/incidents-channel.js';
import { slackErrorCode } from './slack/slack-errors.js';
import { createPostgresDatabase, type Database } from './store/db.js';
import { createEmbeddedDatabase, EmbeddedDatabaseError } from './store/embedded-db.js';
import { MigrationMismatchError, migrateAtStart } from './store/migrate.js';

export interface RunningBot {
  config: Config;
  db: Database;
  app?: App;
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  port: number;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

/** What the console changes about a start (`npm start` passes none). */
export interface StartOptions {
  /** Where the bot's log goes (default stdout): the console keeps it off the terminal people type in. */
  logDestination?: Writable & { isTTY?: boolean };
  /** Applied to the runbook once it is read and checked (the console fills empty roles with its own people). */
  runbook?: (runbook: Runbook) => Runbook;
}

/**
 * DATABASE_URL's server, or else the embedded PostgreSQL in DATA_DIR (its notices go to `say`); migrated either way.
 * What stops the embedded one from starting is a StartupError worded for the person starting the bot.
 */
async function openDatabase(config: Config, say: (line: string) => void): Promise<Database> {
  let db: Database;
  if (config.databaseUrl) {
    db = createPostgresDatabase(config.databaseUrl, { prepare: config.databasePrepare, max: config.databasePoolMax });
  } else {
    try {
      db = await createEmbeddedDatabase({
        dataDir: config.dataDir,
        ...(config.embeddedPgUser ? { user: config.embeddedPgUser } : {}),
        log: say,
      });
    } catch (err) {
      if (err instanceof EmbeddedDatabaseError) throw new StartupError(err.message);
      throw err;
    }
  }
  try {
    await migrateAtStart(db);
  } catch (err) {
    await db.close().catch(() => {});
    const where = config.databaseUrl ? redactUrl(config.databaseUrl) : `the embedded database in ${config.dataDir}`;
    if (err instanceof MigrationMismatchError) throw new StartupError(`Not starting on ${where}. ${err.message}`);
    throw new StartupError(
      `Cannot open ${where}: ${err instanceof Error ? err.message : String(err)}. Check DATABASE_URL (or DATA_DIR) and that the database is running.`,
    );
  }
  return db;
}

/**
 * Why the HTTP server could not listen, as what to set: a port in use, a port that needs privileges, a HOST that is
 * not this machine's. Undefined for any other error.
 */
function listenError(err: unknown, config: Config): StartupError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `Cannot listen on ${config.host ? `HOST ${config.host}` : 'every interface'}, PORT ${config.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`${where}: another process is using that port. Stop it, or set PORT to a free port.`);
    case 'EACCES':
      return new StartupError(
        `${where}: this process may not use that port (ports below 1024 need privileges). Set PORT to 1024 or above.`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `${where}: that address is not one of this machine's. Set HOST to one of its addresses (0.0.0.0 for every ` +
          'IPv4 interface), or unset it to listen on every interface.',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(
        `${where}: this machine cannot resolve that name. Set HOST to an address such as 0.0.0.0 or 127.0.0.1, or ` +
          'unset it to listen on every interface.',
      );
    default:
      return undefined;
  }
}

/** Runs `fn`; when it fails, closes what is open (`cleanup`) and turns a listen error into a StartupError. */
async function listening<T>(config: Config, fn: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await cleanup().catch(() => {});
    throw listenError(err, config) ?? err;
  }
}

/**
 * Slack's answers to the Socket Mode connection (apps.connections.open) that mean the app-level token will not do: a
 * refused token, or one without `connections:write`.
 */
const APP_TOKEN_REFUSED: ReadonlySet<string> = new Set([...TOKEN_REFUSED, 'missing_scope']);

/** Slack refused SLACK_APP_TOKEN when the bot opened its Socket Mode connection, as what to do; else undefined. */
function appTokenError(err: unknown): StartupError | undefined {
  const code = slackErrorCode(err);
  if (!code || !APP_TOKEN_REFUSED.has(code)) return undefined;
  return new StartupError(
    `Slack refused SLACK_APP_TOKEN (${code}) when the bot opened its Socket Mode connection. Copy the app-level ` +
      'token (xapp-…) again from Basic Information → App-Level Tokens (it needs the connections:write scope) and ' +
      'check that Socket Mode is on for the app; or unset SLACK_APP_TOKEN and set SLACK_SIGNING_SECRET for HTTP mode.',
  );
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** How long a stop waits for the work behind requests already acknowledged. */
const STOP_WORK_MS = 10_000;
/** How long a stop then waits for the commands it stopped to be recorded and shown (their SIGKILL comes after 2 s). */
const STOP_RUNS_MS = 5_000;

/**
 * Starts the bot as `npm start` does: config, logger, database (migrated), then Slack (HTTP or Socket Mode) or set-up
 * mode. `log` receives the start-up lines (default: the logger, at info).
 */
export async function start(
  env: NodeJS.ProcessEnv = process.env,
  log?: (line: string) => void,
  options: StartOptions = {},
): Promise<RunningBot> {
  const config = loadConfig(env);
  const root = createLogger({
    level: config.logLevel,
    ...(config.logFormat ? { format: config.logFormat } : {}),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
    // The values the bot knows are secret (its tokens, the database password, COMMAND_ENV values), by value too.
    mask: redactWith(logSecrets(config)),
  });
  const logger = boltLogger(root);
  // Where the bot is and how to reach it is said whatever LOG_LEVEL is, as one line of the same log.
  const startup = root.child({}, { level: 'info' });
  const say = log ?? ((line: string) => startup.info(line));
  let runbook: Runbook;
  try {
    runbook = await loadRunbook(config.runbookFile ?? DEFAULT_RUNBOOK_FILE);
    if (options.runbook) runbook = options.runbook(runbook);
  } catch (err) {
    if (err instanceof RunbookError) throw new StartupError(err.message);
    throw err;
  }
  const db = await openDatabase(config, say);
  const dbName = config.databaseUrl
    ? `Postgres (${redactUrl(config.databaseUrl)})`
    : `embedded PostgreSQL in ${db.embedded?.dataDir ?? config.dataDir}`;

  if (config.slack.mode === 'setup') {
    const server = await listening(
      config,
      () =>
        startSetupServer(config.port, config.host, [aliveRoute, healthRoute(db, 'setup')], {
          requestTimeoutMs: config.requestTimeoutMs,
        }),
      () => db.close(),
    );
    const port = (server.address() as AddressInfo).port;
    say(SETUP_INSTRUCTIONS);
    say(`Set-up mode: instructions at http://localhost:${port}/ ; health at /alive and /health. Database: ${dbName}.`);
    return {
      config,
      db,
      port,
      async stop() {
        await new Promise<void>((r) => server.close(() => r()));
        await db.close();
      },
    };
  }

  // Not set-up mode: the config schema has made sure of the token.
  const botToken = config.slack.botToken ?? '';
  let identity: BotIdentity;
  try {
    identity = await fetchBotIdentity(botToken, slackClientOptions(config.slack.apiUrl));
  } catch (err) {
    await db.close().catch(() => {});
    if (err instanceof BotIdentityError) throw new StartupError(err.message);
    throw err;
  }
  // A channel given by name is looked up once, now: a name Slack does not know stops the start, not the first incident.
  let botConfig = config;
  const channelName = incidentsChannelName(config);
  if (channelName) {
    try {
      const id = await findChannelId(botToken, slackClientOptions(config.slack.apiUrl), channelName);
      botConfig = Object.freeze({ ...config, incidentsChannel: id });
      say(`INCIDENTS_CHANNEL #${channelName} is ${id} (INCIDENTS_CHANNEL=${id} saves this look-up at start).`);
    } catch (err) {
      await db.close().catch(() => {});
      if (err instanceof IncidentsChannelError) throw new StartupError(err.message);
      throw err;
    }
  }
  const bot = createBot({
    config: botConfig,
    db,
    runbook,
    identity,
    logger,
  });
  const { app, timers, kv, alerts } = bot;
  const closeAll = async () => {
    await kv.close().catch(() => {});
    await db.close();
  };
  let port = config.port;
  // Where a person on this machine reaches it: a wildcard address reads as localhost, an IPv6 one in brackets.
  const host = config.host;
  const shown = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  if (config.slack.mode === 'http') {
    const listen = config.host ? { port: config.port, host: config.host } : config.port;
    const server = (await listening(config, () => app.start(listen), closeAll)) as Server;
    port = (server.address() as AddressInfo).port;
    say(`Incident bot listening for Slack on http://${shown}:${port}/slack/events (HTTP mode). Database: ${dbName}.`);
  } else {
    const connect = () => app.start().catch((err: unknown) => Promise.reject(appTokenError(err) ?? err));
    await listening(config, connect, closeAll);
    say(`Incident bot connected to Slack over Socket Mode; health on ${shown} port ${port}. Database: ${dbName}.`);
  }
  timers.start();
  alerts.start();
  // The channels the configuration and the runbook name are asked about beside the start (it does not wait): one
  // that Slack does not know, an archived one, is said now, not when its first message fails.
  const warn = log ?? ((line: string) => startup.warn(line));
  for (const line of unstaffedRoles(runbook, config.runbookFile ?? DEFAULT_RUNBOOK_FILE)) warn(line);
  void checkChannels(
    botToken,
    slackClientOptions(config.slack.apiUrl),
    channelsNamed(runbook, botConfig.incidentsChannel),
  )
    .then((lines) => {
      for (const line of lines) warn(line);
    })
    .catch(() => {});
  return {
    config: botConfig,
    db,
    app,
    port,
    async stop() {
      await app.stop();
      // What was acknowledged is finished (up to 10 s), and the runbook commands still running are stopped and recorded
      // so, before the database closes: a stop cuts nothing in half.
      await stopBotWork(bot, { workMs: STOP_WORK_MS, runsMs: STOP_RUNS_MS });
      await db.close();
    },
  };
}
