/**
 * `npm start` without Slack credentials at a terminal, or `npm start -- --console` (`npm run console`) at any time:
 * the real bot (Bolt app in HTTP mode on loopback, listeners, domain, database, runner, timers, as start() builds it)
 * with a local Slack Web API standing in for Slack, and a person typing at the terminal instead of in Slack.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../config.js';
import { SETUP_INSTRUCTIONS } from '../http/setup-server.js';
import { LocalSlack } from '../local-slack/local-slack.js';
import { type RunningBot, StartupError, start } from '../start.js';
import { ControlNumbers } from './control-numbers.js';
import { defaultName, People, userIdFor } from './people.js';
import { ConsoleSession } from './session.js';
import { type ConsoleRunbook, withStandIns } from './stand-ins.js';
import { chooseStyle } from './style.js';
import { Cancelled, EndOfInput, Interrupted, Terminal } from './terminal.js';
import { ToBot } from './to-bot.js';
import { loadWorkspace, saveWorkspace, workspaceFile } from './workspace-file.js';

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
  const slack = await LocalSlack.start({ keepCalls: 100 });
  const file = workspaceFile(config.dataDir, config.databaseUrl);
  const loaded = loadWorkspace(file, slack.workspace);
  if (loaded.problem) write(style.yellow(loaded.problem));
  const ws = slack.workspace;
  if (!loaded.restored) ws.startIdsAt(Date.now());
  if (!ws.channels.has(GENERAL_CHANNEL_ID)) ws.addChannel('general', { id: GENERAL_CHANNEL_ID });
  if (!ws.channels.has(INCIDENTS_CHANNEL_ID)) ws.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID });
  const people = new People(ws, () => [GENERAL_CHANNEL_ID, INCIDENTS_CHANNEL_ID]);
  const youName = defaultName(env);
  const you = { id: userIdFor(youName), name: youName };

  const signingSecret = randomBytes(24).toString('hex');
  const log = new PassThrough();
  const startLines: string[] = [];
  let consoleRunbook: ConsoleRunbook | undefined;
  write(style.dim('Starting the bot with a local Slack on this machine…'));
  let bot: RunningBot;
  try {
    bot = await start(
      {
        ...env,
        SLACK_BOT_TOKEN: `xoxb-local-${randomBytes(12).toString('hex')}`,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_APP_TOKEN: '',
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
  } catch (err) {
    await slack.close();
    write(
      err instanceof ConfigError || err instanceof StartupError
        ? message(err)
        : `The bot could not start: ${message(err)}`,
    );
    return 1;
  }

  // The database is open: the console's files may go next to it now.
  const logFile = join(config.dataDir, 'console', 'bot.log');
  const notes: string[] = [];
  try {
    mkdirSync(join(config.dataDir, 'console'), { recursive: true });
    const out = createWriteStream(logFile, { flags: 'a' });
    out.on('error', () => log.unpipe(out).resume());
    log.pipe(out);
  } catch (err) {
    log.resume();
    notes.push(`The bot's log cannot be written to ${logFile} (${message(err)}); it is dropped.`);
  }

  const roles = new Map<string, string>();
  const { user } = people.ensure(youName);
  for (const p of consoleRunbook?.people ?? []) {
    people.ensureId(p.userId, p.name, p.roleName);
    roles.set(p.userId, p.roleName);
  }
  let saveProblem: string | undefined;
  const save = () => {
    try {
      saveWorkspace(file, ws);
      saveProblem = undefined;
    } catch (err) {
      if (!saveProblem) {
        saveProblem = `The console cannot save its channels to ${file} (${message(err)}); they will not be kept.`;
        term.print(style.yellow(saveProblem));
      }
    }
  };

  const term = new Terminal(stdin, stdout, stdin.isTTY === true, () => quit());
  let session: ConsoleSession | undefined;
  const toBot = new ToBot(`http://127.0.0.1:${bot.port}`, signingSecret, slack, () => session?.activity());
  session = new ConsoleSession(
    { slack, term, style, people, numbers: new ControlNumbers(), toBot, roles },
    user,
    GENERAL_CHANNEL_ID,
    // The set-up instructions without their first lines, which speak of set-up mode and what it serves.
    {
      setupText: SETUP_INSTRUCTIONS.split('\n\n')
        .slice(1)
        .join('\n\n')
        .replace(' (also served at /manifest.yml here)', ''),
    },
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
      ...startLines.map((l) => style.dim(l)),
      ...(notes.length ? [] : [style.dim(`The bot's log: ${logFile}.`)]),
      ...(loaded.restored ? [style.dim('Channels and messages from the last run are back.')] : []),
      ...notes.map((n) => style.yellow(n)),
    ].join('\n'),
  );

  let quitting = false;
  let resolveQuit: () => void = () => {};
  const quitRequested = new Promise<void>((r) => {
    resolveQuit = r;
  });
  function quit(): void {
    quitting = true;
    resolveQuit();
    term.interrupt();
  }
  const onSignal = () => quit();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const s = session;
  // Piped lines come at once: each waits for the bot to go quiet a little longer than a person would.
  const [quietMs, maxMs] = term.tty ? [250, 3000] : [1000, 8000];
  while (!quitting) {
    await Promise.race([s.settle(quietMs, maxMs), quitRequested]);
    if (quitting) break;
    try {
      const modal = s.nextModal();
      if (modal) {
        await s.runModal(modal);
        continue;
      }
      const line = await term.ask(s.prompt(), { command: true });
      if ((await s.handle(line)) === 'quit') break;
    } catch (err) {
      if (err instanceof Interrupted || err instanceof Cancelled) continue;
      if (err instanceof EndOfInput) break;
      // A fault of the console itself: said in a line, and the console goes on.
      term.print(style.yellow(`That did not work: ${message(err)}`));
    }
  }

  term.print(style.dim('Stopping: letting the bot finish what it is doing…'));
  await s.settle(500, 10_000);
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
  term.print(
    code === 0 ? 'Stopped. The database is closed; the next start finds everything where it was.' : 'Stopped.',
  );
  term.close();
  return code;
}
