import type { ListenerRegistry } from '../slack/listener-router.js';
import { renderHelp } from '../templates/help.js';

/** `@Incident Bot` in a channel: answer in the thread with how to use the bot. */
export function register(app: ListenerRegistry): void {
  app.event('app_mention', async ({ event, client, logger }) => {
    try {
      await client.chat.postMessage({
        channel: event.channel,
        thread_ts: event.thread_ts ?? event.ts,
        text: renderHelp().text,
      });
    } catch (err) {
      logger.warn('could not answer a mention', err);
    }
  });
}
