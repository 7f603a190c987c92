/**
 * Composition root: `npm start` runs this. It reads the configuration, opens and migrates the database, and starts the
 * Slack app (HTTP or Socket Mode). Without Slack credentials it opens the console at a terminal (the real bot with a
 * local Slack; also `--console` at any time), or set-up mode when nobody is at the keys (a container, a process
 * manager).
 */
import { ConfigError } from './config.js';
import { consoleWanted } from './console/wanted.js';
import { StartupError, start } from './start.js';

/** LOG_LEVEL=debug (as the config reads it): an unexpected failure also prints where it happened. */
const debug = process.env.LOG_LEVEL?.trim().toLowerCase() === 'debug';

/**
 * What a person reads when the bot cannot go on: the message of a problem the bot knows (it says what to set or do),
 * else one line saying what failed. Never a stack trace, unless LOG_LEVEL=debug asks for it.
 */
function failure(err: unknown, doing: string): string {
  if (err instanceof ConfigError || err instanceof StartupError) return err.message;
  const what = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.trim() || 'an unknown error';
  const line = `${doing}: ${what.replace(/\.$/, '')}.`;
  if (debug && err instanceof Error && err.stack) return `${line}\n${err.stack}`;
  return `${line} Start it again with LOG_LEVEL=debug to see where it failed.`;
}

async function main(): Promise<void> {
  let doing = 'The bot could not start';
  // What fails outside the awaited chain while starting (and for the console's whole run), e.g. the Socket Mode
  // client's own retry, whose failure nothing awaits, is told the same way.
  const unexpected = (err: unknown) => {
    console.error(failure(err, doing));
    process.exit(1);
  };
  process.on('uncaughtException', unexpected);
  process.on('unhandledRejection', unexpected);
  try {
    if (consoleWanted(process.argv.slice(2), process.env, process.stdin.isTTY === true)) {
      doing = 'The console stopped';
      // Loaded only when it runs: the bot in Slack never pays for the console's modules.
      const { runConsole } = await import('./console/run-console.js');
      const code = await runConsole({ env: process.env, stdin: process.stdin, stdout: process.stdout });
      process.exit(code);
    }
    const bot = await start();
    // Running: what nothing catches from now on is a bug, for Node's own report (with its stack) and the exit.
    process.off('uncaughtException', unexpected);
    process.off('unhandledRejection', unexpected);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal} received, stopping.`);
      try {
        await bot.stop();
      } catch (err) {
        console.error(failure(err, 'The bot did not stop cleanly'));
        process.exit(1);
      }
      process.exit(0);
    };
    // SIGHUP too (the terminal it ran in was closed): its default would end the process without stopping the
    // embedded database's server.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  } catch (err) {
    console.error(failure(err, doing));
    process.exit(1);
  }
}

void main();
