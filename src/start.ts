import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { createBot } from './bot.js';
import { type Config, configSecrets, loadConfig } from './config.js';
import { aliveRoute, healthRoute } from './http/health.js';
import { SETUP_INSTRUCTIONS, startSetupServer } from './http/setup-server.js';
import { boltLogger, createLogger } from './log/logger.js';
import { redactWith } from './ops/redact.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, type Runbook, RunbookError } from './runbook/runbook.js';
import { type BotIdentity, BotIdentityError, fetchBotIdentity } from './slack/bot-identity.js';
import { slackClientOptions } from './slack/client-options.js';
import { createPgliteDatabase, createPostgresDatabase, type Database } from './store/db.js';
import { migrate } from './store/migrate.js';

export interface RunningBot {
  config: Config;
  db: Database;
  app?: App;
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  port: number;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

async function openDatabase(config: Config): Promise<Database> {
  const db = config.databaseUrl
    ? createPostgresDatabase(config.databaseUrl)
    : await createPgliteDatabase(config.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    const where = config.databaseUrl ? redactUrl(config.databaseUrl) : `the embedded database in ${config.dataDir}`;
    throw new StartupError(
      `Cannot open ${where}: ${err instanceof Error ? err.message : String(err)}. Check DATABASE_URL (or DATA_DIR) and that the database is running.`,
    );
  }
  return db;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * Starts the bot as `npm start` does: config, logger, database (migrated), then Slack (HTTP or Socket Mode) or set-up
 * mode. `log` receives the start-up lines (default: the logger, at info).
 */
export async function start(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): Promise<RunningBot> {
  const config = loadConfig(env);
  const root = createLogger({
    level: config.logLevel,
    ...(config.logFormat ? { format: config.logFormat } : {}),
    // The values the bot knows are secret (its tokens, the database password, COMMAND_ENV values), by value too.
    mask: redactWith(configSecrets(config)),
  });
  const logger = boltLogger(root);
  // Where the bot is and how to reach it is said whatever LOG_LEVEL is, as one line of the same log.
  const startup = root.child({}, { level: 'info' });
  const say = log ?? ((line: string) => startup.info(line));
  let runbook: Runbook;
  try {
    runbook = await loadRunbook(config.runbookFile ?? DEFAULT_RUNBOOK_FILE);
  } catch (err) {
    if (err instanceof RunbookError) throw new StartupError(err.message);
    throw err;
  }
  const db = await openDatabase(config);
  const dbName = config.databaseUrl
    ? `Postgres (${redactUrl(config.databaseUrl)})`
    : `embedded PGlite in ${config.dataDir}`;

  if (config.slack.mode === 'setup') {
    const server = await startSetupServer(config.port, config.host, [aliveRoute, healthRoute(db, 'setup')]);
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
  const { app, timers, kv, audit, alerts } = createBot({ config, db, runbook, identity, logger });
  let port = config.port;
  if (config.slack.mode === 'http') {
    const server = (await app.start(config.port)) as Server;
    port = (server.address() as AddressInfo).port;
    say(`Incident bot listening for Slack on http://localhost:${port}/slack/events (HTTP mode). Database: ${dbName}.`);
  } else {
    await app.start();
    say(`Incident bot connected to Slack over Socket Mode; health on port ${port}. Database: ${dbName}.`);
  }
  timers.start();
  alerts.start();
  return {
    config,
    db,
    app,
    port,
    async stop() {
      await app.stop();
      await timers.stop();
      await alerts.stop();
      await audit.flush();
      await kv.close();
      await db.close();
    },
  };
}
