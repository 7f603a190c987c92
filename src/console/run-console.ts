/**
 * `npm start` without Slack credentials at a terminal, or `npm start -- --console` (`npm run console`) at any time:
 * the real bot (Bolt app in HTTP mode on a free port, with a signing secret only the console knows; listeners, domain,
 * database, runner, timers, as start() builds it) with a local Slack Web API on loopback standing in for Slack, and a
 * person typing at the terminal instead of in Slack. HOST=127.0.0.1 is passed for the bot's port too.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../config.js';
import { SETUP_INSTRUCTIONS } from '../http/setup-server.js';
import { LocalSlack } from '../local-slack/local-slack.js';
import { type RunningBot, StartupError, start } from '../start.js';
import { ControlNumbers } from './control-numbers.js';
import { defaultName, People, userIdFor } from './people.js';
import { ConsoleSession, QuitSignal } from './session.js';
import { type ConsoleRunbook, withStandIns } from './stand-ins.js';
import { chooseStyle } from './style.js';
import { Terminal } from './terminal.js';
import { ToBot } from './to-bot.js';
import { databaseIdentity, loadWorkspace, saveWorkspace, setAsideIfEarlier, workspaceFile } from './workspace-file.js';

export const GENERAL_CHANNEL_ID = 'C0GENERAL';
export const INCIDENTS_CHANNEL_ID = 'C0INCIDENTS';

/** Web API methods that change the workspace: after each, its file is written. */
const CHANGES = new Set([
  'conversations.create',
  'conversations.setTopic',
  'conversations.setPurpose',
  'conversations.invite',
  'conversations.join',
  'conversations.archive',
  'chat.postMessage',
  'chat.update',
  'chat.delete',
  'pins.add',
  'pins.remove',
]);

export interface ConsoleIo {
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number; hasColors?: () => boolean };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The set-up instructions without their first lines, which speak of set-up mode and what it serves. */
const SETUP_TEXT = SETUP_INSTRUCTIONS.split('\n\n')
  .slice(1)
  .join('\n\n')
  .replace(' (also served at /manifest.yml here)', '');

interface LocalBot {
  bot: RunningBot;
  signingSecret: string;
  alertsToken: string;
  consoleRunbook: ConsoleRunbook | undefined;
  startLines: string[];
}

/** start() as `npm start` runs it, with the console's credentials, its local Slack, its log and its people. */
async function startLocalBot(
  env: NodeJS.ProcessEnv,
  slack: LocalSlack,
  you: { id: string; name: string },
  log: Writable,
): Promise<LocalBot> {
  const signingSecret = randomBytes(24).toString('hex');
  // `/alert` sends alerts to the bot's hook with this token: the one set, or one only the console knows.
  const alertsToken = env.ALERTS_TOKEN?.trim() || randomBytes(24).toString('hex');
  const startLines: string[] = [];
  let consoleRunbook: ConsoleRunbook | undefined;
  const bot = await start(
    {
      ...env,
      SLACK_BOT_TOKEN: `xoxb-local-${randomBytes(12).toString('hex')}`,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_APP_TOKEN: '',
      ALERTS_TOKEN: alertsToken,
      SLACK_API_URL: slack.url,
      PORT: '0',
      HOST: '127.0.0.1',
      INCIDENTS_CHANNEL: INCIDENTS_CHANNEL_ID,
    },
    (line) => startLines.push(line),
    {
      logDestination: log,
      runbook: (rb) => {
        consoleRunbook = withStandIns(rb, you);
        return consoleRunbook.runbook;
      },
    },
  );
  return { bot, signingSecret, alertsToken, consoleRunbook, startLines };
}

/** Sends the bot's log to `DATA_DIR/console/bot.log`; what went wrong, if it cannot. */
function openLog(log: PassThrough, file: string): string | undefined {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const out = createWriteStream(file, { flags: 'a' });
    out.on('error', () => log.unpipe(out).resume());
    log.pipe(out);
    return undefined;
  } catch (err) {
    log.resume();
    return `The bot's log cannot be written to ${file} (${message(err)}); it is dropped.`;
  }
}

/** Runs the console until the person leaves; the exit code. Problems are told in words, never as a stack trace. */
export async function runConsole({ env, stdin, stdout }: ConsoleIo): Promise<number> {
  const style = chooseStyle(stdout, env);
  const write = (text: string) => stdout.write(`${text}\n`);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (err) {
    write(message(err));
    return 1;
  }
  let slack: LocalSlack;
  try {
    slack = await LocalSlack.start({ keepCalls: 100 });
  } catch (err) {
    write(`The console could not start its local Slack on 127.0.0.1: ${message(err)}`);
    return 1;
  }
  const file = workspaceFile(config.dataDir, config.databaseUrl);
  const loaded = loadWorkspace(file, slack.workspace);
  if (loaded.problem) write(style.yellow(loaded.problem));
  const ws = slack.workspace;
  if (!loaded.restored) ws.startIdsAt(Date.now());
  if (!ws.channels.has(GENERAL_CHANNEL_ID)) ws.addChannel('general', { id: GENERAL_CHANNEL_ID });
  if (!ws.channels.has(INCIDENTS_CHANNEL_ID)) ws.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID });
  const people = new People(ws, () => [GENERAL_CHANNEL_ID, INCIDENTS_CHANNEL_ID]);
  const youName = defaultName(env);

  write(style.dim('Starting the bot with a local Slack on this machine…'));
  const log = new PassThrough();
  let local: LocalBot;
  try {
    local = await startLocalBot(env, slack, { id: userIdFor(youName), name: youName }, log);
  } catch (err) {
    await slack.close();
    const known = err instanceof ConfigError || err instanceof StartupError;
    write(known ? message(err) : `The bot could not start: ${message(err)}`);
    return 1;
  }
  const { bot, consoleRunbook } = local;

  // Saved channels of an earlier database at this address would open channels of incidents that are gone.
  const database = await databaseIdentity(bot.db);
  const earlier = setAsideIfEarlier(file, ws, loaded.database, database);
  if (earlier) {
    write(style.yellow(earlier));
    ws.addChannel('general', { id: GENERAL_CHANNEL_ID });
    ws.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID });
  }
  const restored = loaded.restored && !earlier;

  // The database is open: the console's files may go next to it now.
  const logFile = join(config.dataDir, 'console', 'bot.log');
  const logProblem = openLog(log, logFile);
  const roles = new Map<string, string>();
  const { user } = people.ensure(youName);
  for (const p of consoleRunbook?.people ?? []) {
    people.ensureId(p.userId, p.name, p.roleName);
    roles.set(p.userId, p.roleName);
  }

  const quit = new QuitSignal();
  const term = new Terminal(stdin, stdout, stdin.isTTY === true, () => quit.request());
  quit.onRequest(() => term.interrupt());
  let saveProblem: string | undefined;
  const save = () => {
    try {
      saveWorkspace(file, ws, database);
      saveProblem = undefined;
    } catch (err) {
      if (!saveProblem) {
        saveProblem = `The console cannot save its channels to ${file} (${message(err)}); they will not be kept.`;
        term.print(style.yellow(saveProblem));
      }
    }
  };
  let session: ConsoleSession | undefined;
  const toBot = new ToBot(
    `http://127.0.0.1:${bot.port}`,
    local.signingSecret,
    slack,
    () => session?.activity(),
    local.alertsToken,
  );
  session = new ConsoleSession(
    { slack, term, style, people, numbers: new ControlNumbers(), toBot, roles },
    user,
    GENERAL_CHANNEL_ID,
    { setupText: SETUP_TEXT, changed: save },
  );
  save();
  slack.subscribe((call) => {
    if (CHANGES.has(call.method) && call.response?.ok === true) save();
  });

  write(
    [
      style.bold('Incident bot console: the real bot, with a local Slack standing in for Slack.'),
      `You are @${user.name} in #general. Type what you would type in Slack (try ${style.cyan('/incident help')}), or ${style.cyan('/help')} for the console's commands.`,
      ...(consoleRunbook?.notes ?? []),
      ...local.startLines.map((l) => style.dim(l)),
      logProblem ? style.yellow(logProblem) : style.dim(`The bot's log: ${logFile}.`),
      ...(restored ? [style.dim('Channels and messages from the last run are back.')] : []),
    ].join('\n'),
  );

  const onSignal = () => quit.request();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal was closed
  await session.run(quit);

  term.print(style.dim('Stopping: letting the bot finish what it is doing…'));
  await session.settle(500, 10_000);
  let code = 0;
  try {
    await bot.stop();
  } catch (err) {
    code = 1;
    term.print(style.yellow(`The bot did not stop cleanly: ${message(err)}`));
  }
  save();
  await slack.close();
  log.end();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  term.print(
    code === 0 ? 'Stopped. The database is closed; the next start finds everything where it was.' : 'Stopped.',
  );
  term.close();
  return code;
}
