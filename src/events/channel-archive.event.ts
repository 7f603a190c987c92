import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';

/** Slack's events for a channel archived or unarchived: a public channel's, and a private one's (group_). */
const ARCHIVE_EVENTS = {
  channel_archive: 'archived',
  group_archive: 'archived',
  channel_unarchive: 'unarchived',
  group_unarchive: 'unarchived',
} as const;

/**
 * Someone archived a channel, or unarchived it: when it is an open incident's, it is recorded and told, or the bot
 * comes back into it (ChannelArchives). Bolt has acknowledged the event; what goes wrong is logged (there is nobody to
 * answer).
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  for (const [type, what] of Object.entries(ARCHIVE_EVENTS)) {
    app.event(type, async ({ event, logger }) => {
      // Who did it: `user`, or `actor_id` (group_unarchive names them so).
      const e = event as { channel?: unknown; user?: unknown; actor_id?: unknown; event_ts?: unknown };
      const who = typeof e.user === 'string' ? e.user : e.actor_id;
      if (typeof e.channel !== 'string' || typeof who !== 'string' || typeof e.event_ts !== 'string') return;
      await deps.channelArchives[what]({ channelId: e.channel, userId: who, eventTs: e.event_ts }).catch((err) =>
        logger.warn(`could not handle ${type} of ${e.channel}`, err),
      );
    });
  }
}
