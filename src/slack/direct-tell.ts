import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ephemeralIn, replyTo, type Tell } from './handle.js';

const asMessage = (msg: Parameters<Tell>[0]) => (typeof msg === 'string' ? { text: msg } : msg);

/** A direct message from the bot (the app's Messages tab): for surfaces with no channel to answer in. */
export function directMessageTo(client: WebClient, user: string): Tell {
  return (msg) => client.chat.postMessage({ channel: user, ...asMessage(msg) });
}

/**
 * Only to the person, in the channel they were in (a form opened from `/incident declare` or an alert's notice) or the
 * incident's; as a direct message where that does not reach them: a channel the bot is not in, a direct message between
 * two people, or a channel they are not in (Slack refuses an ephemeral message to a non-member: user_not_in_channel).
 */
export function ephemeralElseDirect(client: WebClient, channel: string, user: string): Tell {
  const inChannel = ephemeralIn(client, channel, user);
  const direct = directMessageTo(client, user);
  return async (msg) => {
    try {
      return await inChannel(msg);
    } catch {
      return direct(msg);
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
