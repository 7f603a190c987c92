import { performance } from 'node:perf_hooks';
import { type KnownSecret, redactWith } from './redact.js';

/**
 * One health-endpoint probe, as the runbook's `curl https://[tenant].atomagentos.com/api/health` does. It never
 * throws: every failure is a result a responder can read.
 */

export interface HttpCheckOptions {
  timeoutMs: number;
  /** The status (or statuses) that count as healthy. Default: any 2xx. */
  expectStatus?: number | readonly number[];
  method?: 'GET' | 'HEAD';
  headers?: Readonly<Record<string, string>>;
  /** Characters of the body kept in the result (redacted). Default 300; 0 does not read the body. */
  maxBodyChars?: number;
  /** Values masked in the body and the error wherever they appear (the bot's own tokens), as runCommand does. */
  secrets?: readonly KnownSecret[];
}

export interface HttpCheckResult {
  ok: boolean;
  status?: number;
  /** Time to the response headers, or to the failure. */
  latencyMs: number;
  /** Why it is not ok: a status other than expected, a timeout, a refused connection... */
  error?: string;
  /** The start of the body, redacted: health endpoints often say which dependency is down. */
  body?: string;
}

export async function httpCheck(url: string, options: HttpCheckOptions): Promise<HttpCheckResult> {
  const redact = redactWith(options.secrets ?? []);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, latencyMs: 0, error: `not a valid URL: ${redact(url)}` };
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return { ok: false, latencyMs: 0, error: `only http and https URLs can be checked, not ${target.protocol}` };
  }

  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(target, {
      method: options.method ?? 'GET',
      headers: options.headers,
      // A redirect (to a login page, say) is not a healthy answer from a health endpoint.
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), error: redact(describeFetchError(error, options.timeoutMs)) };
  }
  const latencyMs = elapsed();
  const start = await readStart(response, options.maxBodyChars ?? 300);
  const body = start === undefined ? undefined : redact(start);
  const ok = isExpected(response.status, options.expectStatus);
  return {
    ok,
    status: response.status,
    latencyMs,
    ...(ok ? {} : { error: `expected ${describeExpected(options.expectStatus)}, got ${response.status}` }),
    ...(body ? { body } : {}),
  };
}

function isExpected(status: number, expected: number | readonly number[] | undefined): boolean {
  if (expected === undefined) return status >= 200 && status < 300;
  return typeof expected === 'number' ? status === expected : expected.includes(status);
}

function describeExpected(expected: number | readonly number[] | undefined): string {
  if (expected === undefined) return 'a 2xx status';
  return typeof expected === 'number' ? String(expected) : expected.join(' or ');
}

/** Reads at most `maxChars` of the body, then lets the rest go; a slow or endless body costs nothing more. */
async function readStart(response: Response, maxChars: number): Promise<string | undefined> {
  if (!response.body) return undefined;
  if (maxChars <= 0) {
    await response.body.cancel().catch(() => {});
    return undefined;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // Timed out or reset while reading the body: the status is what matters, keep what arrived.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const start = text.slice(0, maxChars).trim();
  return start === '' ? undefined : start;
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    default:
      break;
  }
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
