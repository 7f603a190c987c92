import type { FetchFunction } from '@slack/web-api';
import { LightResponse } from './light-response.js';

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
 * so this one hook sees the app's calls and each request's. The answer is read once, as text, and handed back as a
 * `Response` with the same status, headers, body and `url` (a clone would tee the body through two streams and parse
 * every answer twice; the body is parsed here only when it says `"ok": false`).
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
    else if (!(res.headers.get('content-type') ?? '').includes('json')) sink(method, null);
    else {
      const text = await res.text();
      sink(method, slackError(text));
      // slackFetch's answers can be read again; another (fetch's) is handed on as a copy.
      if (res instanceof LightResponse) return res;
      const copy = new Response(text, {
        status: res.status,
        statusText: res.statusText,
        headers: [...res.headers.entries()],
      });
      Object.defineProperty(copy, 'url', { value: res.url });
      return copy;
    }
    return res;
  };
}

/** An answer that may say `"ok": false`; any other JSON answer is not parsed. */
const NOT_OK = /"ok"\s*:\s*false/;

/** Slack's `error` from a 200 answer's JSON body, or null when it says ok (or is not JSON). */
function slackError(text: string): string | null {
  if (!NOT_OK.test(text)) return null;
  try {
    const body = JSON.parse(text) as { ok?: unknown; error?: unknown };
    if (body.ok !== false) return null;
    return typeof body.error === 'string' && METHOD.test(body.error) ? body.error : 'unknown';
  } catch {
    return null;
  }
}
