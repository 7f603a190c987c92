import type { FetchFunction } from '@slack/web-api';

/** Told of each Web API request: its method, and its error or null. */
export type SlackCallSink = (method: string, error: string | null) => void;

const METHOD = /^[a-zA-Z][a-zA-Z0-9_.]{0,80}$/;

/**
 * `chat.postMessage` from `https://slack.com/api/chat.postMessage`; `external_url` for a URL outside the API (a
 * response_url, a file upload).
 */
export function slackMethod(url: string, apiUrl: string): string {
  if (!url.startsWith(apiUrl)) return 'external_url';
  const method = url.slice(apiUrl.length).split(/[?#]/)[0] ?? '';
  return METHOD.test(method) ? method : 'other';
}

/**
 * The Web API client's `fetch`, counting every HTTP attempt (retries included) and its error: Slack's own
 * (`{ ok: false, error }`, read from a copy of the body), `ratelimited` for a 429, `http_<status>` for another status,
 * `timeout` or `request_error` when no answer came. Every WebClient Bolt makes is built from the same client options,
 * so this one hook sees the app's calls and each request's. The answer is handed back untouched.
 */
export function meteredFetch(
  apiUrl: string,
  sink: SlackCallSink,
  inner: FetchFunction = globalThis.fetch,
): FetchFunction {
  return async (url, init) => {
    const method = slackMethod(String(url), apiUrl);
    let res: Awaited<ReturnType<FetchFunction>>;
    try {
      res = await inner(url, init);
    } catch (err) {
      const name = (err as { name?: string } | null)?.name;
      sink(method, name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'request_error');
      throw err;
    }
    if (res.status === 429) sink(method, 'ratelimited');
    else if (res.status !== 200) sink(method, `http_${res.status}`);
    else sink(method, await slackError(res));
    return res;
  };
}

/** Slack's `error` from a 200 answer's JSON body (read from a clone), or null when it says ok (or is not JSON). */
async function slackError(res: Awaited<ReturnType<FetchFunction>>): Promise<string | null> {
  const copy = (res as { clone?: () => typeof res }).clone?.();
  if (!copy || !(res.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const body = (await copy.json()) as { ok?: unknown; error?: unknown };
    if (body.ok !== false) return null;
    return typeof body.error === 'string' && METHOD.test(body.error) ? body.error : 'unknown';
  } catch {
    return null;
  }
}
