import { WebClient, type WebClientOptions } from '@slack/web-api';
import { slackErrorCode, slackErrorReason, toChatPlatformError } from './slack-errors.js';

/** Who the bot is in Slack (from auth.test), so that Bolt need not ask again. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
  /** The workspace (auth.test's team_id), when Slack named it. */
  teamId?: string;
}

/** Slack answers that mean the token itself is wrong, as opposed to Slack being unreachable. */
export const TOKEN_REFUSED: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/** The bot cannot start: the message says what is wrong and what to do. */
export class BotIdentityError extends Error {}

/**
 * Asks Slack who the bot token belongs to (auth.test, with the client's retries). Bolt would otherwise make the same
 * call itself, in the background, and an unreachable Slack at that moment crashed the process with a stack trace a
 * few seconds after it said it was listening.
 */
export async function fetchBotIdentity(token: string, clientOptions: WebClientOptions): Promise<BotIdentity> {
  const apiUrl = clientOptions.slackApiUrl ?? 'https://slack.com/api/';
  const client = new WebClient(token, { ...clientOptions, logger: quietLogger });
  try {
    const res = await client.auth.test();
    if (!res.bot_id || !res.user_id) {
      throw new BotIdentityError(
        'SLACK_BOT_TOKEN is not a bot token of an app (auth.test named no bot). Use the Bot User OAuth Token ' +
          '(xoxb-…) from OAuth & Permissions.',
      );
    }
    return { botId: res.bot_id, botUserId: res.user_id, ...(res.team_id ? { teamId: res.team_id } : {}) };
  } catch (err) {
    if (err instanceof BotIdentityError) throw err;
    const code = slackErrorCode(err);
    if (code && TOKEN_REFUSED.has(code)) {
      throw new BotIdentityError(
        `Slack refused SLACK_BOT_TOKEN (${code}). Copy the Bot User OAuth Token (xoxb-…) again from OAuth & ` +
          'Permissions, and reinstall the app to the workspace if it was removed.',
      );
    }
    const reason = slackErrorReason(err);
    throw new BotIdentityError(
      `Could not reach Slack's Web API at ${apiUrl} to check SLACK_BOT_TOKEN (${reason}). Check the network ` +
        '(and SLACK_API_URL if set), then start the bot again.',
    );
  }
}

/**
 * Which workspace the bot is in, and its user: known from the start's auth.test when it named the workspace (not a
 * round trip more before the first alert's channel or a maintenance notice), else asked of Slack once and kept; a
 * failure is asked again next time.
 */
export function workspaceSelf(
  client: WebClient,
  identity?: BotIdentity,
): () => Promise<{ teamId: string; botUserId: string }> {
  if (identity?.teamId) {
    const known = Promise.resolve({ teamId: identity.teamId, botUserId: identity.botUserId });
    return () => known;
  }
  let me: Promise<{ teamId: string; botUserId: string }> | null = null;
  return () => {
    me ??= client.auth.test().then(
      (r) => ({ teamId: r.team_id ?? '', botUserId: r.user_id ?? identity?.botUserId ?? '' }),
      (err) => {
        me = null;
        throw toChatPlatformError(err, 'find out which workspace the bot is in');
      },
    );
    return me;
  };
}

/** The start-up checks' own failures are reported by their errors; the client's retry warnings would only repeat them. */
export const quietLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error' as never,
  setName() {},
};
