/**
 * Composition root: `npm start` runs this. It reads the configuration, opens and migrates the database, and starts the
 * Slack app (HTTP or Socket Mode), or set-up mode when there are no Slack credentials yet.
 */
import { ConfigError } from './config.js';
import { StartupError, start } from './start.js';

async function main(): Promise<void> {
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
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

void main();
