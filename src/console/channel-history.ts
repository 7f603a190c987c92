/**
 * What `/open` shows of a channel: its latest messages, with the lines Slack posts itself when someone joins or leaves
 * ("@cto joined the channel") read apart from what people wrote, and not counted among the latest: a channel where
 * people come and go still shows its card.
 */
import type { StoredMessage } from '../local-slack/workspace.js';
import type { Names } from './render-message.js';

type Line = Pick<StoredMessage, 'user' | 'subtype' | 'inviter'>;

/**
 * "@cto joined the channel" ("… added by incident-bot" when invited) for Slack's line about someone joining or leaving;
 * undefined for a message written.
 */
export function membershipLine(m: Line, names: Pick<Names, 'user'>): string | undefined {
  switch (m.subtype) {
    case 'channel_join':
      return `@${names.user(m.user)} joined the channel${m.inviter ? `, added by @${names.user(m.inviter)}` : ''}`;
    case 'channel_leave':
      return `@${names.user(m.user)} left the channel`;
    default:
      return undefined;
  }
}

/** The last `count` messages written, with the join and leave lines among and after them; all, when there are fewer. */
export function latestMessages<M extends Line>(messages: M[], count: number): M[] {
  let from = messages.length;
  for (let written = 0; from > 0 && written < count; ) {
    from--;
    if (!messages[from]!.subtype) written++;
  }
  return messages.slice(from);
}
