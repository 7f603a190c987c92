/**
 * Composition root: `npm start` runs this. It reads the configuration, opens and migrates the database, and starts the
 * Slack app (HTTP or Socket Mode). Without Slack credentials it opens the console at a terminal (the real bot with a
 * local Slack; also `--console` at any time), or set-up mode when nobody is at the keys (a container, a process
 * manager).
 */
import { ConfigError } from './config.js';
import { consoleWanted } from './console/wanted.js';
import { StartupError, start } from './start.js';

async function main(): Promise<void> {
  if (consoleWanted(process.argv.slice(2), process.env, process.stdin.isTTY === true)) {
    // Loaded only when it runs: the bot in Slack never pays for the console's modules.
    const { runConsole } = await import('./console/run-console.js');
    const code = await runConsole({ env: process.env, stdin: process.stdin, stdout: process.stdout });
    process.exit(code);
  }
  try {
    const bot = await start();
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal} received, stopping.`);
      await bot.stop().catch((err) => console.error('error while stopping', err));
      process.exit(0);
    };
    // SIGHUP too (the terminal it ran in was closed): its default would end the process without stopping the
    // embedded database's server.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

void main();
