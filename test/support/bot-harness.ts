import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type BotDeps, createBot, stopBotWork } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import type { FiredJob } from '../../src/incidents/escalation.service.js';
import type { TimerLoop } from '../../src/incidents/timer-loop.js';
import type { Runbook } from '../../src/runbook/runbook.js';
import type { DeliveryBatch } from '../../src/store/alert-delivery.repo.js';
import { createPostgresDatabase, type Database, type PostgresOptions } from '../../src/store/db.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { startTestEmbedded } from './embedded-db.js';
import { FakeSlack, type RecordedCall, type SlackArgs } from './fake-slack.js';
import { takeMigratedSchema } from './schema-pool.js';
import {
  makeBlockAction,
  makeViewSubmission,
  type PostOptions,
  postEvent,
  postInteraction,
  postSlashCommand,
  type SlashCommandInput,
  TEST_REPORTER_ID,
} from './slack-request.js';
import { testRunbook } from './test-runbook.js';

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const INCIDENTS_CHANNEL_ID = 'C0INCIDENTS';

export interface HarnessOptions {
  /** `embedded`: the PostgreSQL server the bot runs itself without DATABASE_URL, in a data directory of its own. */
  database?: 'postgres' | 'embedded';
  /** Overrides DATABASE_URL (e.g. a proxy that a test can cut). */
  databaseUrl?: string;
  /** The bot's pool's options (e.g. a short query timeout, for a test of a database that stops answering). */
  dbOptions?: PostgresOptions;
  incidentsChannel?: boolean;
  limits?: { maxActive: number; maxWaiting: number };
  /** The light gate's limits (everything but declarations). */
  lightLimits?: { maxActive: number; maxWaiting: number };
  runbook?: Runbook;
  /** More environment for the bot's config (e.g. ATOM_CLI, HEALTH_BASE_URL). */
  env?: Record<string, string>;
  /** Share a fake Slack between two bots (e.g. two replicas); it is then not closed by stop(). */
  fake?: FakeSlack;
  /** Start the escalation timer loop (default true). */
  timers?: boolean;
  /** Escalation tuning passed to createBot (e.g. how long a typed escalate counts as a repeat). */
  escalation?: { repeatWindowMs?: number; redrawTries?: number };
  /** Alert settings passed to createBot (maintenance windows, the duplicate window). */
  alerts?: BotDeps['alerts'];
  /** Start the alert loop (default true). */
  alertLoop?: boolean;
}

/** An incident's card: the channel and message it is in, and the incident it belongs to. */
export interface CardRef {
  id: number;
  channelId: string;
  cardTs: string;
}

export interface BotHarness {
  baseUrl: string;
  timers: TimerLoop<FiredJob>;
  /** The alert inbox's loop. */
  alerts: TimerLoop<DeliveryBatch>;
  fake: FakeSlack;
  db: Database;
  app: App;
  /** Types `/incident <text>` as `user` in `channel`; returns the HTTP answer (the ack). */
  command(text: string, over?: Partial<SlashCommandInput>, opts?: PostOptions): ReturnType<typeof postSlashCommand>;
  /**
   * The message a person sees in answer to a command sent with `command`: the one in the ack when there is one, else
   * the first the bot posted to the command's response_url (where an answer goes when the ack was already given).
   */
  answer(res: Awaited<ReturnType<typeof postSlashCommand>>): Promise<{ text: string; response_type?: string }>;
  /**
   * The first message the bot posted to this command's own response_url (that matches `predicate`), already or later.
   * Not the newest of all replies: on a loaded machine a late reply to an earlier command or click can land after it.
   */
  replyTo(
    res: Awaited<ReturnType<typeof postSlashCommand>>,
    predicate?: (args: SlackArgs) => boolean,
    timeoutMs?: number,
  ): Promise<SlackArgs>;
  /** Clicks a button (or picks a select option) on a message the bot posted. */
  click(a: {
    channelId: string;
    messageTs: string;
    actionId: string;
    blockId?: string;
    value?: string;
    selectedOption?: { value: string; text: string };
    userId?: string;
    triggerId?: string;
    /** The message is a private reply (Slack's `container.is_ephemeral`). */
    ephemeral?: boolean;
    /** The message as Slack echoes it with the click (its text and blocks); by default none. */
    message?: { text?: string; blocks?: unknown[] };
  }): ReturnType<typeof postInteraction>;
  /**
   * Presses the button `actionId` of a message the bot posted, as the fake Slack recorded it (`chat.postMessage`): in
   * the message's channel, with the button's block and value as sent; as `userId` (default: the reporter).
   */
  press(message: RecordedCall, actionId: string, userId?: string): ReturnType<typeof postInteraction>;
  /** Clicks a button on an incident's card (its value is the incident id), as `userId` (default: the reporter). */
  clickCard(card: CardRef, actionId: string, userId?: string): ReturnType<typeof postInteraction>;
  submit(a: {
    callbackId: string;
    privateMetadata: string;
    values: Record<string, Record<string, unknown>>;
    userId?: string;
    viewId?: string;
  }): ReturnType<typeof postInteraction>;
  /** Sends an Events API event (e.g. makeAppHomeOpened(user)), signed, as Slack does. */
  event(e: Record<string, unknown>): ReturnType<typeof postEvent>;
  /** The response_url calls (private replies) seen so far. */
  replies(): { text: string; blocks?: unknown[]; response_type?: string }[];
  /** Once the work listeners started after their acks so far has ended (a press's run and drawings), or `timeoutMs`. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let responseKey = 0;

/**
 * A bot for the enclosing describe: started before its tests, stopped after them, its fake Slack reset before each
 * test. The returned object is filled in once the bot has started, so the tests use it as they would startBot's.
 */
export function useBot(opts: HarnessOptions = {}): BotHarness {
  const bot = {} as BotHarness;
  let started = false;
  beforeAll(async () => {
    Object.assign(bot, await startBot(opts));
    started = true;
  });
  afterAll(async () => {
    if (started) await bot.stop();
  });
  beforeEach(() => bot.fake.reset());
  return bot;
}

export async function startBot(opts: HarnessOptions = {}): Promise<BotHarness> {
  const fake = opts.fake ?? (await FakeSlack.start());
  if (!opts.fake) {
    if (opts.incidentsChannel) fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
  }

  let dropSchema: (() => Promise<void>) | undefined;
  let disposeEmbedded: (() => Promise<void>) | undefined;
  let db: Database;
  let databaseUrl: string | undefined;
  if ((opts.database ?? 'postgres') === 'postgres') {
    if (opts.databaseUrl) {
      databaseUrl = opts.databaseUrl;
    } else {
      const s = await takeMigratedSchema();
      dropSchema = s.release;
      databaseUrl = s.url;
    }
    // As many connections as a bot process opens by default (DATABASE_POOL_MAX): four test files run at once, some with
    // two bots and their fronts' pools, against one server's 100 connections.
    db = createPostgresDatabase(databaseUrl, { max: 5, ...opts.dbOptions });
  } else {
    const embedded = await startTestEmbedded();
    db = embedded.db;
    disposeEmbedded = embedded.dispose;
  }
  // As the bot does at start: a test's short statement limit is not the migrations' (their advisory lock is shared by
  // every test file's bot, and waiting behind the others passed a 1 s limit on a loaded machine).
  await migrateAtStart(db);

  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-e2e-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    PORT: '0',
    LOG_LEVEL: 'error',
    // Tests declare and run far faster than people do; a test of the limits sets them through `env`.
    DECLARE_RATE_LIMIT: 'off',
    RUN_RATE_LIMIT: 'off',
    CHANNEL_CREATE_LIMIT: 'off',
    // Many bots share a test process: its thread's CPU priority is left alone (test/e2e/ack-front.test.ts sets it).
    WORK_NICE: '0',
    // The acknowledging front (a thread of its own, ACK_THREAD=on by default) is left out of the in-process bots: each
    // would start a worker thread, load its modules again (about 0.2 s of CPU) and, with alerts on, open ten
    // connections of its own; over the suite's hundreds of bots that was a sixth of the e2e files' CPU. What reaches
    // the app is the same either way. The front's own tests set ACK_THREAD=on (ack-front, http-edge-answers,
    // unknown-routes, alert-hooks, alert-hooks-outage), and every bot run as a process (startBotProcess, the console,
    // the benches) keeps the default.
    ACK_THREAD: 'off',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(opts.incidentsChannel ? { INCIDENTS_CHANNEL: INCIDENTS_CHANNEL_ID } : {}),
    ...opts.env,
  });
  const bot = createBot({
    config,
    db,
    runbook: opts.runbook ?? testRunbook(),
    timers: { maxSleepMs: 200 },
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.lightLimits ? { lightLimits: opts.lightLimits } : {}),
    ...(opts.escalation ? { escalation: opts.escalation } : {}),
    ...(opts.alerts ? { alerts: opts.alerts } : {}),
  });
  const { app, timers, alerts, inFlight } = bot;
  if (opts.timers !== false) timers.start();
  if (opts.alertLoop !== false) alerts.start();
  const server = (await app.start(0)) as Server;
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const click: BotHarness['click'] = (a) =>
    postInteraction(
      baseUrl,
      SIGNING_SECRET,
      makeBlockAction({
        userId: a.userId ?? TEST_REPORTER_ID,
        channelId: a.channelId,
        messageTs: a.messageTs,
        actionId: a.actionId,
        blockId: a.blockId ?? 'b',
        value: a.value,
        selectedOption: a.selectedOption,
        responseUrl: fake.responseUrl(`a${++responseKey}`),
        triggerId: a.triggerId,
        ...(a.ephemeral ? { ephemeral: true } : {}),
        ...(a.message ? { message: a.message } : {}),
      }),
    );

  return {
    baseUrl,
    timers,
    alerts,
    fake,
    db,
    app,
    command: (text, over = {}, postOpts) =>
      postSlashCommand(
        baseUrl,
        SIGNING_SECRET,
        { text, response_url: fake.responseUrl(`r${++responseKey}`), ...over },
        postOpts,
      ),
    answer: async (res) => {
      if (res.text) return JSON.parse(res.text) as { text: string; response_type?: string };
      const key = decodeURIComponent(res.sent.response_url.split('/').at(-1)!);
      const posted = await fake.waitFor('response_url', (c) => c.key === key);
      return posted.args as { text: string; response_type?: string };
    },
    replyTo: async (res, predicate, timeoutMs) => {
      const key = decodeURIComponent(res.sent.response_url.split('/').at(-1)!);
      const posted = await fake.waitFor(
        'response_url',
        (c) => c.key === key && (!predicate || predicate(c.args)),
        timeoutMs,
      );
      return posted.args;
    },
    click,
    press: (message, actionId, userId) => {
      type Actions = { type: string; block_id: string; elements: { action_id: string; value?: string }[] };
      const blocks = (message.args.blocks ?? []) as Actions[];
      const row = blocks.find((b) => b.type === 'actions' && b.elements.some((e) => e.action_id === actionId));
      if (!row) throw new Error(`no ${actionId} button on the message: ${JSON.stringify(message.args.blocks)}`);
      return click({
        channelId: String(message.args.channel),
        messageTs: String(message.response!.ts),
        actionId,
        blockId: row.block_id,
        value: row.elements.find((e) => e.action_id === actionId)!.value,
        userId,
      });
    },
    clickCard: (card, actionId, userId) =>
      click({ channelId: card.channelId, messageTs: card.cardTs, actionId, value: String(card.id), userId }),
    submit: (a) =>
      postInteraction(
        baseUrl,
        SIGNING_SECRET,
        makeViewSubmission({
          userId: a.userId ?? TEST_REPORTER_ID,
          callbackId: a.callbackId,
          privateMetadata: a.privateMetadata,
          values: a.values,
          viewId: a.viewId,
        }),
      ),
    event: (e) => postEvent(baseUrl, SIGNING_SECRET, e),
    replies: () =>
      fake.callsTo('response_url').map((c) => c.args as { text: string; blocks?: unknown[]; response_type?: string }),
    idle: (timeoutMs = 10_000) => inFlight.idle(timeoutMs),
    async stop() {
      await app.stop();
      // As src/start.ts stops (the same waits).
      await stopBotWork(bot, { workMs: 10_000, runsMs: 5_000 });
      await db.close();
      if (!opts.fake) await fake.close();
      await dropSchema?.();
      await disposeEmbedded?.();
    },
  };
}
