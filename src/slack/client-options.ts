import { meteredFetch, type SlackCallSink } from './metered-fetch.js';
import { slackFetch } from './slack-fetch.js';

/** Slack's Web API, when SLACK_API_URL does not say otherwise. */
const SLACK_API_URL = 'https://slack.com/api/';

/**
 * Web API client options of the app and of the start-up token check. With `onCall`, every request the clients make
 * is counted (method and error) through their `fetch` (see meteredFetch). Requests go over `node:http(s)` with
 * keep-alive agents (slackFetch), which costs the event loop a fraction of what `fetch` does.
 */
export function slackClientOptions(apiUrl: string | undefined, onCall?: SlackCallSink) {
  const slackApiUrl = apiUrl ? (apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`) : undefined;
  return {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    ...(onCall ? { fetch: meteredFetch(slackApiUrl ?? SLACK_API_URL, onCall, slackFetch()) } : {}),
    // At 3 a.m. a call should succeed or fail within seconds, not retry for half an hour (the SDK default).
    retryConfig: { retries: 3, factor: 2, minTimeout: 250, maxTimeout: 2000, randomize: true },
    timeout: 10_000,
  };
}
