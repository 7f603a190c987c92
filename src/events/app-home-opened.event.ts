import type { ListenerDeps } from '../slack/deps.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';

/** A person opened the bot's Home tab: publish it, built from the database as it is now. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event, body, logger }) => {
    // The Messages tab sends the same event; only the Home tab has a view to publish.
    if (event.tab !== 'home') return;
    const teamId = (body as { team_id?: string }).team_id ?? '';
    await afterAck(
      // Bolt acknowledges Events API requests itself. The tab has nowhere to show an error: it is logged.
      {
        ack: async () => {},
        deps,
        logger,
        tell: async (msg) =>
          logger.warn(`could not publish the Home tab of ${event.user}: ${typeof msg === 'string' ? msg : msg.text}`),
      },
      () => deps.home.publish(teamId, event.user),
      // Under a flood the tab stays as it was; the next opening publishes it.
      {
        admit: 'gate',
        refuse: async () => logger.warn(`Home tab of ${event.user} not published: the bot is overloaded`),
      },
    );
  });
}
