/** Web API client options of the app and of the start-up token check. */
export function slackClientOptions(apiUrl: string | undefined) {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    // At 3 a.m. a call should succeed or fail within seconds, not retry for half an hour (the SDK default).
    retryConfig: { retries: 3, factor: 2, minTimeout: 250, maxTimeout: 2000, randomize: true },
    timeout: 10_000,
  };
}
