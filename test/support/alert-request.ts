import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';

export const ALERTS_TOKEN = 'alerts-token-0123456789abcdef';
export const ALERTS_SIGNING_SECRET = 'alerts-signing-secret-0123456789';
export const QSTASH_CURRENT = 'sig_current_0123456789abcdefghij';
export const QSTASH_NEXT = 'sig_next_0123456789abcdefghijklmn';

/** The bot's environment for taking alerts: every proof of origin on. */
export const ALERTS_ENV = {
  ALERTS_TOKEN,
  ALERTS_SIGNING_SECRET,
  QSTASH_CURRENT_SIGNING_KEY: QSTASH_CURRENT,
  QSTASH_NEXT_SIGNING_KEY: QSTASH_NEXT,
  // Cards show repeats of their alerts a second later here (10s by default).
  ALERTS_REPEAT_REFRESH: '1s',
};

/** A payload Alertmanager 0.25 sent (test/fixtures/alertmanager/<name>.json), as text. */
export function alertmanagerFixture(name: 'group-firing' | 'group-one-resolved'): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/alertmanager/${name}.json`, import.meta.url)), 'utf8');
}

/** A payload as Grafana Alerting's webhook contact point sends it (test/fixtures/grafana/<name>.json), as text. */
export function grafanaFixture(name: 'firing'): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/grafana/${name}.json`, import.meta.url)), 'utf8');
}

export interface PostedAlert {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answers field by field
  json: any;
  text: string;
}

export interface AlertAuthOptions {
  /** `Authorization: Bearer <token>` (default ALERTS_TOKEN; null: none). */
  token?: string | null;
  /** Signs `<timestamp>.<body>` with the secret; `timestamp` in Unix seconds (default now). */
  hmac?: { secret?: string; timestamp?: number; signature?: string };
  /** Signs as QStash does (a JWT with the body's hash) with `key` (default the current signing key). */
  qstash?: { key?: string; url?: string; expiresIn?: number | null; issuer?: string; body?: string };
  headers?: Record<string, string>;
  method?: string;
  /** Sends the body compressed, with its `Content-Encoding` (signatures are of the text, as the bot reads it back). */
  compress?: 'gzip' | 'deflate' | 'br';
  /** Sends these bytes instead of the body (a body compressed some other way); signatures stay of `body`. */
  bytes?: Buffer;
  /**
   * Sends it again after a 503 "unavailable", as Alertmanager and QStash do (default true): the bot answers so when
   * its database does not answer in time, which a loaded test machine (CI's) sometimes makes it do; a resend is
   * recognised as the same delivery. False for a test of that 503 itself.
   */
  resendUnavailable?: boolean;
}

/** The JWT Upstash QStash puts in `Upstash-Signature`: HS256, issuer Upstash, subject the URL, the body's SHA-256. */
export async function qstashSignature(
  body: string,
  /** `expiresIn`: seconds from now (null: no expiry); `issuer`: default Upstash. */
  o: { key?: string; url?: string; expiresIn?: number | null; issuer?: string } = {},
): Promise<string> {
  const hash = createHash('sha256').update(body).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ body: hash })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(o.issuer ?? 'Upstash')
    .setSubject(o.url ?? 'http://127.0.0.1/hooks/alerts')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setJti(`jwt_${randomUUID()}`);
  if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 300));
  return jwt.sign(new TextEncoder().encode(o.key ?? QSTASH_CURRENT));
}

/** POSTs a delivery to a hook as a sender does; returns the status and the JSON answer. */
export async function postAlerts(
  baseUrl: string,
  path: string,
  body: string | object,
  o: AlertAuthOptions = {},
): Promise<PostedAlert> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  if (o.hmac) {
    const ts = String(o.hmac.timestamp ?? Math.floor(Date.now() / 1000));
    headers['x-alerts-timestamp'] = ts;
    headers['x-alerts-signature'] =
      o.hmac.signature ??
      `sha256=${createHmac('sha256', o.hmac.secret ?? ALERTS_SIGNING_SECRET)
        .update(`${ts}.${text}`)
        .digest('hex')}`;
  } else if (o.qstash) {
    // Signed for the URL it is posted to, as QStash does (`url` overrides it).
    headers['upstash-signature'] = await qstashSignature(o.qstash.body ?? text, {
      url: `${baseUrl}${path}`,
      ...o.qstash,
    });
  } else if (o.token !== null) {
    headers.authorization = `Bearer ${o.token ?? ALERTS_TOKEN}`;
  }
  let sent: string | Buffer = o.bytes ?? text;
  if (o.compress) {
    headers['content-encoding'] = o.compress;
    sent =
      o.compress === 'gzip' ? gzipSync(text) : o.compress === 'deflate' ? deflateSync(text) : brotliCompressSync(text);
  }
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${baseUrl}${path}`, { method: o.method ?? 'POST', headers, body: sent });
    const answer = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(answer);
    } catch {
      // not JSON: the test looks at `text`
    }
    const unavailable = res.status === 503 && (json as { error?: string } | null)?.error === 'unavailable';
    if (!unavailable || o.resendUnavailable === false || attempt >= RESENDS)
      return { status: res.status, json, text: answer };
    console.warn(`postAlerts: ${path} answered 503 (${answer}); sent again as a sender would (try ${attempt + 1})`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

/** How many times postAlerts sends a delivery the bot answered 503 "unavailable" (about 20 s of tries in all). */
const RESENDS = 8;

/** A delivery in the generic format, with overrides. */
export function genericAlert(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'integration-metrics',
    key: 'api-error-rate',
    status: 'firing',
    level: 'critical',
    metric: 'error_rate',
    value: '12.5%',
    threshold: '> 10%',
    service: 'api-service',
    summary: 'Error rate above 10% on api-service',
    labels: { tenant: 'acme' },
    url: 'https://console.atomagentos.com/metrics/error_rate',
    ...over,
  };
}

/**
 * One alert of an Alertmanager delivery: firing since `startsAt` (keep one start across deliveries: a new start is a
 * new firing), or resolved now.
 */
export function alertmanagerAlert(
  fingerprint: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  o: { startsAt: string; status?: 'firing' | 'resolved' },
): Record<string, unknown> {
  const status = o.status ?? 'firing';
  return {
    status,
    labels,
    annotations,
    startsAt: o.startsAt,
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
    generatorURL: '',
    fingerprint,
  };
}

/** An Alertmanager webhook delivery (version 4) of one group: firing while one of its alerts fires. */
export function alertmanagerGroup(
  groupKey: string,
  alerts: readonly Record<string, unknown>[],
  common: { groupLabels?: Record<string, string>; commonLabels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    receiver: 'incident-bot',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: common.groupLabels ?? {},
    commonLabels: common.commonLabels ?? {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey,
    truncatedAlerts: 0,
  };
}
