/**
 * A 429 the Web API client does not give as a rate-limited error (its retries ran out, or Slack's Retry-After was not
 * a number of seconds) is still Slack's refusal: `ratelimited`, nothing done, not an unknown failure.
 */
import { WebClient, LogLevel as WebLogLevel } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { ChatPlatformError, mayHaveBeenDone } from '../../src/incidents/errors.js';
import { rateLimitedFor, toChatPlatformError } from '../../src/slack/slack-errors.js';
import type { Failure } from '../support/fake-slack.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

describe('a 429 the client gives up on', () => {
  const fake = useFakeSlack({ reset: true });
  let n = 0;
  /** What posting answered with `failure` throws, through a client that retries a 429 `retries` times. */
  const refusal = async (failure: Failure, retries: number) => {
    const client = new WebClient('xoxb-test', {
      slackApiUrl: fake.url,
      retryConfig: { retries, minTimeout: 0, maxTimeout: 0 },
      logLevel: WebLogLevel.ERROR,
    });
    const channel = fake.addChannel(`rate-limited-${++n}`);
    fake.failNext('chat.postMessage', failure, retries + 1);
    return client.chat.postMessage({ channel, text: 'hello' }).then(
      () => expect.unreachable('posted'),
      (err: unknown) => err,
    );
  };

  it('its retries run out: ratelimited, nothing done, with the seconds Slack asked for', async () => {
    const err = await refusal({ status: 429, retryAfter: 1 }, 1);
    const said = toChatPlatformError(err, 'post the message');
    expect(said).toBeInstanceOf(ChatPlatformError);
    expect(said).toMatchObject({ slackError: 'ratelimited' });
    expect((said as Error).message).toBe(
      "Couldn't post the message: Slack is rate limiting the bot; try again in 1 second.",
    );
    expect(mayHaveBeenDone(said)).toBe(false);
    expect(rateLimitedFor(err)).toBe(1);
  });

  it('a Retry-After that is no number of seconds: ratelimited, nothing done, no wait said', async () => {
    const err = await refusal({ status: 429, retryAfter: 'soon' }, 0);
    const said = toChatPlatformError(err, 'post the message');
    expect(said).toMatchObject({ slackError: 'ratelimited' });
    expect((said as Error).message).toMatch(/try again in a minute\./);
    expect(mayHaveBeenDone(said)).toBe(false);
    expect(rateLimitedFor(err)).toBeUndefined();
  });

  it('a request that never reached Slack is still request_error (maybe done)', () => {
    const err = Object.assign(new Error('A request error occurred: connect ECONNREFUSED'), {
      code: 'slack_webapi_request_error',
      original: new Error('connect ECONNREFUSED'),
    });
    const said = toChatPlatformError(err, 'post the message');
    expect(said).toMatchObject({ slackError: 'request_error' });
    expect(mayHaveBeenDone(said)).toBe(true);
    expect(rateLimitedFor(err)).toBeUndefined();
  });

  it('says the wait as a person reads it: a moment for 0 seconds, 1 second, N seconds', () => {
    const limited = (retryAfter: number) =>
      (
        toChatPlatformError(
          Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter }),
          'post the message',
        ) as Error
      ).message;
    expect(limited(0)).toBe("Couldn't post the message: Slack is rate limiting the bot; try again in a moment.");
    expect(limited(1)).toMatch(/try again in 1 second\.$/);
    expect(limited(30)).toMatch(/try again in 30 seconds\.$/);
  });
});
