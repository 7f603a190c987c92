import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ephemeralIn, replyTo, type Tell } from './handle.js';
import { AnswerNotShownError, slackErrorCode } from './slack-errors.js';

const asMessage = (msg: Parameters<Tell>[0]) => (typeof msg === 'string' ? { text: msg } : msg);

/** A direct message from the bot (the app's Messages tab): for surfaces with no channel to answer in. */
export function directMessageTo(client: WebClient, user: string): Tell {
  return (msg) => client.chat.postMessage({ channel: user, ...asMessage(msg) });
}

/**
 * Slack's answers to chat.postEphemeral that say it cannot reach the person in that channel, where a direct message
 * still can: they are not in it (user_not_in_channel), the bot is not (not_in_channel, no_permission), or cannot see
 * it (channel_not_found: a direct message between two people, a private channel), it is archived (is_archived), or a
 * workspace setting keeps the bot from posting there (restricted_action).
 */
const NOT_THERE = new Set([
  'user_not_in_channel',
  'not_in_channel',
  'no_permission',
  'channel_not_found',
  'is_archived',
  'restricted_action',
]);

/**
 * Only to the person, in the channel they were in (a form opened from `/incident declare` or an alert's notice) or the
 * incident's; as a direct message where that does not reach them (see NOT_THERE). Any other failure (a malformed
 * message, a bad token, Slack unwell) is thrown as an AnswerNotShownError, for the caller's error path (afterAck:
 * errorText through this same tell), rather than hidden by a second post that would fail the same way.
 */
export function ephemeralElseDirect(client: WebClient, channel: string, user: string): Tell {
  const inChannel = ephemeralIn(client, channel, user);
  const direct = directMessageTo(client, user);
  return async (msg) => {
    try {
      return await inChannel(msg);
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && NOT_THERE.has(code)) return direct(msg);
      throw new AnswerNotShownError(err);
    }
  };
}

/**
 * Private answer to a click: through its response_url on a message; as a direct message from the Home tab, where a
 * click has no response_url.
 */
export function tellClicker(
  body: { response_url?: string; user: { id: string } },
  respond: RespondFn,
  client: WebClient,
): Tell {
  return body.response_url ? replyTo(respond) : directMessageTo(client, body.user.id);
}
