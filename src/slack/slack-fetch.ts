import http from 'node:http';
import https from 'node:https';
import type { FetchFunction } from '@slack/web-api';
import { LightHeaders, LightResponse } from './light-response.js';

type FetchInit = NonNullable<Parameters<FetchFunction>[1]>;

/**
 * The Web API client's `fetch` (and Bolt's, for response_url replies), over `node:http` and `node:https` with
 * keep-alive agents. Every request the bot makes to Slack is a POST with a string body and a small JSON answer;
 * Node's own `fetch` runs each through WHATWG streams, which cost several times the CPU of the request itself, on the
 * event loop that also has to ack Slack within 3 s (bench/mixed: a third of the bot's CPU went there). Here the answer
 * is read whole and handed back as a `Response` of its own (LightResponse: no body stream, no undici Headers), so the
 * callers see what `fetch` gives them: status, headers, body, `url`; a network error rejects with
 * `TypeError('fetch failed')` and its cause, an abort with the signal's reason, as `fetch` does. What this does not carry (a body that is not a string, a redirect to follow, a URL
 * that is not http or https) goes to `fallback` (`fetch`) unchanged.
 */
export function slackFetch(fallback: FetchFunction = globalThis.fetch): FetchFunction {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  } as const;
  return (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const body = init.body ?? undefined;
    const protocol = url?.startsWith('https:') ? 'https:' : url?.startsWith('http:') ? 'http:' : undefined;
    if (!url || !protocol || (body !== undefined && typeof body !== 'string')) return fallback(input, init);
    return send(url, protocol, body, init, agents[protocol]).then((res) =>
      res === 'redirect' ? fallback(input, init) : res,
    );
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A header's name (an HTTP token) and a value Headers would take as it is (no surrounding blanks, no CR, LF, NUL). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLAIN_VALUE = /^(?![ \t])[^\r\n\0]*(?<![ \t])$/;

/**
 * The request's headers by their lower-case names, as `new Headers(given)` reads them (fetch's own reading). The Web
 * API client gives a plain object of a few strings on every call: read as it is, without building a Headers (its sort
 * and checks were about 5% of the bot's thread in a storm of declarations, bench/alerts). Anything else (a Headers,
 * pairs, a value Headers would trim, join or refuse) goes through Headers, as before.
 */
export function headersOf(given: FetchInit['headers']): Record<string, string> {
  if (given && typeof given === 'object' && Object.getPrototypeOf(given) === Object.prototype) {
    const out: Record<string, string> = {};
    let plain = true;
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
      const key = name.toLowerCase();
      if (typeof value !== 'string' || !TOKEN.test(name) || !PLAIN_VALUE.test(value) || key in out) {
        plain = false;
        break;
      }
      out[key] = value;
    }
    if (plain) return out;
  }
  const out: Record<string, string> = {};
  new Headers(given as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

/** What the callers read of a Response, LightResponse has (see there). */
const lightResponse = (...args: ConstructorParameters<typeof LightResponse>) =>
  new LightResponse(...args) as never as Response;

function send(
  url: string,
  protocol: 'http:' | 'https:',
  body: string | undefined,
  init: FetchInit,
  agent: http.Agent,
): Promise<Response | 'redirect'> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers = headersOf(init.headers);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length'))
    headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => fail(signal?.reason, true);
    const finish = (res: Response | 'redirect') => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(res);
    };
    function fail(err: unknown, aborted = false) {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(aborted ? err : new TypeError('fetch failed', { cause: err }));
    }
    const request = protocol === 'https:' ? https.request : http.request;
    const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && init.redirect !== 'manual') {
        res.resume();
        if (init.redirect === 'error') fail(new Error(`unexpected redirect (HTTP ${status})`));
        else finish('redirect');
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(err));
      res.on('end', () => {
        const nullBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
        const bytes = nullBody ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        finish(lightResponse(bytes, status, res.statusMessage ?? '', new LightHeaders(res.rawHeaders), url));
      });
    });
    req.on('error', (err) => fail(err));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}
