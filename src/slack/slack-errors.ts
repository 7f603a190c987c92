import { ChatPlatformError } from '../incidents/errors.js';

interface PlatformErrorLike {
  code?: string;
  data?: { error?: string; needed?: string; provided?: string };
  statusCode?: number;
  retryAfter?: number;
  /** A request error's own (slack_webapi_request_error). */
  original?: { message?: unknown };
}

/** The client's words for a 429 it retried until its retries ran out (its last attempt's error). */
const RETRIES_RAN_OUT = /^A rate limit was exceeded \(url: .*, retry-after: (\d+)\)/;
/** The client's words for a 429 whose Retry-After it could not read (it gives up at once). */
const UNREADABLE_RETRY_AFTER = /^Retry header did not contain a valid timeout/;

/**
 * A 429 the Web API client did not give as a rate-limited error (slack_webapi_rate_limited_error, which it gives only
 * with `rejectRateLimitedCalls`): retried until its retries ran out, it gives its last attempt's plain error, wrapped as
 * a request error (as if Slack could not be reached); with a Retry-After it could not read, a plain error. Either way
 * Slack refused the call and did nothing. What Slack asked to wait (`seconds`, undefined when it said nothing readable),
 * or null for any other failure.
 */
function rateLimitOutlasted(e: Error & PlatformErrorLike): { seconds: number | undefined } | null {
  const messages = [e.message, e.code === 'slack_webapi_request_error' ? e.original?.message : undefined];
  for (const message of messages) {
    if (typeof message !== 'string') continue;
    const ranOut = RETRIES_RAN_OUT.exec(message);
    if (ranOut) return { seconds: Number(ranOut[1]) };
    if (UNREADABLE_RETRY_AFTER.test(message)) return { seconds: undefined };
  }
  return null;
}

/** What to tell a person when Slack says no. */
const HINTS: Record<string, string> = {
  missing_scope: 'the Slack app is missing a permission',
  not_in_channel: 'the bot is not a member of that channel: invite it with `/invite @Incident Bot`',
  channel_not_found: 'the channel does not exist or the bot cannot see it',
  is_archived: 'the channel is archived: unarchive it in Slack (its settings; the bot cannot), then try again',
  restricted_action: 'a workspace admin has restricted this action for apps',
  invalid_auth: 'the bot token is invalid: check SLACK_BOT_TOKEN',
  not_authed: 'no bot token was sent: check SLACK_BOT_TOKEN',
  account_inactive: 'the bot token belongs to a deactivated app or user',
  token_revoked: 'the bot token was revoked: reinstall the app',
  ratelimited: 'Slack is rate limiting the bot; try again in a minute',
  expired_trigger_id: 'the form took too long to open; try again',
  invalid_name_specials: 'the channel name has characters Slack does not allow',
  name_taken: 'a channel with that name already exists',
};

/** Turns a Web API failure into a ChatPlatformError whose message says what to do; anything else passes through. */
export function toChatPlatformError(err: unknown, doing: string): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & PlatformErrorLike;
  if (e.code === 'slack_webapi_platform_error' && e.data?.error) {
    const code = e.data.error;
    let hint = HINTS[code] ?? `Slack answered \`${code}\``;
    if (code === 'missing_scope' && e.data.needed) {
      hint = `the Slack app is missing the \`${e.data.needed}\` scope: add it under OAuth & Permissions (manifest.yml lists every scope) and reinstall the app`;
    }
    return new ChatPlatformError(code, `Couldn't ${doing}: ${hint}.`);
  }
  if (e.code === 'slack_webapi_http_error') {
    return new ChatPlatformError(
      'http_error',
      `Couldn't ${doing}: Slack answered HTTP ${e.statusCode ?? '?'} after retries. Try again shortly.`,
      e.statusCode,
    );
  }
  const outlasted = rateLimitOutlasted(e);
  if (e.code === 'slack_webapi_rate_limited_error' || outlasted) {
    const seconds = outlasted ? outlasted.seconds : e.retryAfter;
    return new ChatPlatformError(
      'ratelimited',
      `Couldn't ${doing}: Slack is rate limiting the bot; try again ${inSeconds(seconds)}.`,
    );
  }
  if (e.code === 'slack_webapi_request_error') {
    return new ChatPlatformError('request_error', `Couldn't ${doing}: Slack could not be reached. Try again shortly.`);
  }
  return err;
}

/**
 * The seconds Slack asked the bot to wait, when a call was refused for its rate (a client with
 * `rejectRateLimitedCalls`, or one whose retries ran out); undefined for any other failure, or when Slack said none.
 */
export function rateLimitedFor(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & PlatformErrorLike;
  return e.code === 'slack_webapi_rate_limited_error' ? e.retryAfter : rateLimitOutlasted(e)?.seconds;
}

export function slackErrorCode(err: unknown): string | undefined {
  const e = err as PlatformErrorLike | undefined;
  return e?.data?.error;
}

/** Why a call failed, in a word or a line: Slack's error code, else the first line of the error's message. */
export function slackErrorReason(err: unknown): string {
  return slackErrorCode(err) ?? (err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err));
}

/**
 * The bot's answer to a person could not be shown to them (Slack refused it for another reason than not reaching them
 * there: a malformed message, a bad token, Slack unwell). What they asked may have been done already, so the error
 * path (errorText) says so, rather than that nothing was changed; `cause` is Slack's error, logged with a reference.
 */
export class AnswerNotShownError extends Error {
  constructor(readonly cause: unknown) {
    super(`the answer could not be shown: ${slackErrorReason(cause)}`);
    this.name = 'AnswerNotShownError';
  }
}

/** When Slack said to try again: "in a minute" when it did not say, "in a moment" for 0, else its seconds. */
function inSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'in a minute';
  if (seconds <= 0) return 'in a moment';
  return seconds === 1 ? 'in 1 second' : `in ${Math.ceil(seconds)} seconds`;
}
