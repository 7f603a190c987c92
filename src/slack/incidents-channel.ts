import { WebClient, type WebClientOptions } from '@slack/web-api';
import { CHANNEL_ID_HELP } from '../config.js';
import { quietLogger } from './bot-identity.js';
import { slackErrorCode, slackErrorReason } from './slack-errors.js';

/** INCIDENTS_CHANNEL names a channel the bot cannot find: the message says what to set instead. */
export class IncidentsChannelError extends Error {}

/** Slack allows up to 1000 channels a page; fewer pages means fewer calls against the method's rate limit. */
const PAGE_SIZE = 1000;

/**
 * The ID of the public channel named `name` (without `#`), looked up with conversations.list (which needs the
 * channels:read scope). Archived channels do not count. Refuses, saying what to put in INCIDENTS_CHANNEL instead, when
 * there is no such channel, the scope is missing or Slack cannot be asked.
 */
export async function findChannelId(token: string, clientOptions: WebClientOptions, name: string): Promise<string> {
  const client = new WebClient(token, { ...clientOptions, logger: quietLogger });
  const instead = `Set INCIDENTS_CHANNEL to ${CHANNEL_ID_HELP}`;
  let cursor: string | undefined;
  try {
    do {
      const page = await client.conversations.list({
        types: 'public_channel',
        exclude_archived: true,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      const found = page.channels?.find((c) => c.name === name || c.name_normalized === name);
      if (found?.id) return found.id;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === 'missing_scope') {
      throw new IncidentsChannelError(
        `INCIDENTS_CHANNEL is #${name}, and finding a channel by its name needs the channels:read scope, which the ` +
          `app does not have. ${instead}, or add channels:read to the app (manifest.yml asks for it) and reinstall it.`,
      );
    }
    const reason = slackErrorReason(err);
    throw new IncidentsChannelError(
      `Could not ask Slack for the channel #${name} named in INCIDENTS_CHANNEL (${reason}). ${instead}, which ` +
        'needs no look-up, or start the bot again.',
    );
  }
  throw new IncidentsChannelError(
    `INCIDENTS_CHANNEL is #${name}, and the workspace has no public channel of that name (archived ones do not ` +
      `count). ${instead}; a private channel must be given by its ID, with the bot invited to it.`,
  );
}
