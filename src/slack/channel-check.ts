import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { ChannelUse } from '../runbook/channels.js';
import { quietLogger } from './bot-identity.js';
import { slackErrorReason } from './slack-errors.js';

const FIND_ID = "in Slack, click the channel's name: the ID is at the bottom of About";

interface ChannelInfo {
  name?: string;
  is_archived?: boolean;
  is_private?: boolean;
  is_member?: boolean;
}

/** What is wrong with one channel as Slack describes it (null: nothing), for a start-up line. */
export function channelProblem(use: ChannelUse, info: ChannelInfo | { error: string }): string | null {
  const named = `${use.uses.join(' and ')} ${use.uses.length > 1 ? 'name' : 'names'} the channel ${use.id}`;
  if ('error' in info) {
    if (info.error === 'channel_not_found') {
      return (
        `${named}, which Slack does not know or the bot cannot see: nothing will be posted there. Check the ID ` +
        `(${FIND_ID}); a private channel needs the bot invited (/invite the bot in it).`
      );
    }
    return `Could not check the channel ${use.id} (${info.error}): ${use.uses.join(' and ')} will use it as given.`;
  }
  const shown = info.name ? ` (#${info.name})` : '';
  if (info.is_archived) {
    return `${named}${shown}, which is archived: nothing can be posted there. Unarchive it, or name another channel.`;
  }
  if (info.is_private && info.is_member === false) {
    return `${named}${shown}, a private channel the bot is not in: nothing will be posted there. Invite the bot (/invite the bot in it).`;
  }
  return null;
}

/**
 * Asks Slack about each channel the configuration and the runbook name (conversations.info, which needs the
 * channels:read and groups:read scopes manifest.yml asks for) and says what is wrong with each: one that Slack does
 * not know or the bot cannot see, an archived one, a private one without the bot. Found at start, not when the first
 * announcement or hand-off notice fails at 3 a.m. Never throws: a failure to ask is one of the lines.
 */
export async function checkChannels(
  token: string,
  clientOptions: WebClientOptions,
  channels: readonly ChannelUse[],
): Promise<string[]> {
  if (channels.length === 0) return [];
  const client = new WebClient(token, { ...clientOptions, logger: quietLogger });
  const problems: string[] = [];
  for (const use of channels) {
    let info: ChannelInfo | { error: string };
    try {
      info = ((await client.conversations.info({ channel: use.id })).channel ?? {}) as ChannelInfo;
    } catch (err) {
      const code = slackErrorReason(err);
      if (code === 'missing_scope') {
        problems.push(
          'Could not check the channels the configuration names: the app lacks the channels:read or groups:read ' +
            'scope (manifest.yml asks for both). Add them and reinstall the app; until then the channels are used as given.',
        );
        break;
      }
      info = { error: code };
    }
    const problem = channelProblem(use, info);
    if (problem) problems.push(problem);
  }
  return problems;
}
