import { WebClient, type WebClientOptions } from '@slack/web-api';
import { slackErrorCode } from './slack-errors.js';

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
    const reason = code ?? (err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err));
    throw new BotIdentityError(
      `Could not reach Slack's Web API at ${apiUrl} to check SLACK_BOT_TOKEN (${reason}). Check the network ` +
        '(and SLACK_API_URL if set), then start the bot again.',
    );
  }
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
