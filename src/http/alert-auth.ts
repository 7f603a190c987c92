import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Receiver } from '@upstash/qstash';
import type { AlertsSettings } from '../config.js';
import { cutToChars } from '../incidents/text.js';
import { header } from './request-body.js';

/** The generic hook's HMAC: `X-Alerts-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export const SIGNATURE_HEADER = 'x-alerts-signature';
/** Unix seconds when the request was signed; more than five minutes off this machine's clock is refused. */
export const TIMESTAMP_HEADER = 'x-alerts-timestamp';
/** The JWT Upstash QStash signs each delivery with. */
export const QSTASH_HEADER = 'upstash-signature';
export const MAX_SKEW_SECONDS = 5 * 60;

/** How a hook lets a sender prove who it is. */
export type AuthMethod = 'bearer' | 'hmac' | 'qstash';

/** `proof`: what proved it, good for one delivery only (a signature, a JWT; see AlertDelivery.proof). */
export type AuthResult = { ok: true; method: AuthMethod; proof?: string } | { ok: false; reason: string };

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();
/** Equal, compared in constant time (by digest, so the lengths need not match). */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The HMAC the generic hook expects for a body signed at `timestamp`, as the header carries it. */
export function alertSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Checks a delivery's proof of origin against what the hook accepts and the configuration has: a bearer token
 * (ALERTS_TOKEN), an HMAC signature with a timestamp (ALERTS_SIGNING_SECRET), or a QStash signature (the QSTASH_*
 * signing keys, checked by @upstash/qstash's Receiver: issuer, expiry and the body's hash). The first proof the
 * request carries is the one checked; the reason never holds a secret.
 */
export class AlertAuth {
  /**
   * One per signing key (current, next), made at the first QStash delivery: @upstash/qstash is loaded only by a bot
   * that takes them. Apart, so that what was wrong with a JWT signed with the current key (expired, another issuer) is
   * said, not the next key's failed try.
   */
  private receivers: Promise<[Receiver, Receiver]> | null = null;

  constructor(
    private readonly settings: Pick<AlertsSettings, 'token' | 'signingSecret' | 'qstash'>,
    private readonly now: () => number = Date.now,
  ) {}

  private get qstash(): boolean {
    return !!this.settings.qstash;
  }

  private qstashReceivers(): Promise<[Receiver, Receiver]> {
    const q = this.settings.qstash!;
    const one = (R: typeof Receiver, key: string) =>
      new R({ currentSigningKey: key, nextSigningKey: key, devMode: false });
    this.receivers ??= import('@upstash/qstash').then(({ Receiver }) => [
      one(Receiver, q.currentSigningKey),
      one(Receiver, q.nextSigningKey),
    ]);
    return this.receivers;
  }

  /**
   * The JWT checked with the current key, then, when its signature is not the current key's, with the next; the reason
   * it is refused, or null. A JWT without an expiry would be good forever: refused.
   */
  private async qstashRefusal(jwt: string, body: string): Promise<string | null> {
    const [current, next] = await this.qstashReceivers();
    const why = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : 'invalid');
    try {
      await current.verify({ signature: jwt, body });
    } catch (err) {
      if (!/signature verification failed/i.test(why(err))) return why(err);
      try {
        await next.verify({ signature: jwt, body });
      } catch (err2) {
        return why(err2);
      }
    }
    return typeof jwtClaims(jwt).exp === 'number' ? null : 'the JWT has no expiry: QStash always sets one';
  }

  /** Whether any of `methods` is configured: a hook with none answers 404. */
  configured(methods: readonly AuthMethod[]): boolean {
    return methods.some((m) =>
      m === 'bearer' ? !!this.settings.token : m === 'hmac' ? !!this.settings.signingSecret : !!this.qstash,
    );
  }

  /**
   * Every proof the request carries is checked, and a wrong one refuses it whatever else came with it (a right token
   * beside a wrong signature is a sender that signs wrongly, or someone guessing); save an Authorization header beside a
   * signature that holds, which is a proxy's (its basic auth), not the sender's. A signature or a JWT that holds is the
   * delivery's proof, good once (a replay of it is a duplicate).
   */
  async check(req: IncomingMessage, body: string, methods: readonly AuthMethod[]): Promise<AuthResult> {
    const authorization = header(req, 'authorization');
    const signature = header(req, SIGNATURE_HEADER);
    const jwt = header(req, QSTASH_HEADER);
    // A signature of a kind the bot is not set up for, beside a token, is not looked at: QStash adds Upstash-Signature to
    // every delivery, and a bot told only the bearer token takes the delivery on it.
    const looked = (m: AuthMethod) => methods.includes(m) && (authorization === undefined || this.configured([m]));
    const signed: AuthResult[] = [];
    if (signature !== undefined && looked('hmac')) signed.push(this.checkHmac(req, signature, body));
    if (jwt !== undefined && looked('qstash')) signed.push(await this.checkQstash(req, jwt, body));
    const wrong = signed.find((r) => !r.ok);
    if (wrong) return wrong;
    if (authorization !== undefined && methods.includes('bearer')) {
      const token = this.checkToken(authorization);
      if (signed[0]) return signed[0];
      return token;
    }
    if (signed[0]) return signed[0];
    return {
      ok: false,
      reason: `no ${methods.map((m) => (m === 'bearer' ? 'bearer token' : m === 'hmac' ? `${SIGNATURE_HEADER} signature` : `${QSTASH_HEADER}`)).join(' or ')}`,
    };
  }

  /**
   * `Authorization: Bearer <ALERTS_TOKEN>`, or HTTP Basic with the token as the password (or as the user name, with
   * no password): senders that offer only basic auth (Alertmanager's `basic_auth`, Grafana's webhook user and
   * password, a monitoring SaaS) can be pointed at the hook too. Any other scheme is named in the refusal.
   */
  private checkToken(authorization: string): AuthResult {
    const token = this.settings.token;
    if (!token) return { ok: false, reason: 'bearer tokens are not accepted (ALERTS_TOKEN is not set)' };
    const [, scheme = '', credentials = ''] = /^\s*(\S+)\s*(.*?)\s*$/.exec(authorization) ?? [];
    if (/^bearer$/i.test(scheme)) {
      return credentials && same(credentials, token)
        ? { ok: true, method: 'bearer' }
        : { ok: false, reason: 'wrong bearer token' };
    }
    if (/^basic$/i.test(scheme)) {
      const pair = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = pair.indexOf(':');
      const [user, password] = colon === -1 ? [pair, ''] : [pair.slice(0, colon), pair.slice(colon + 1)];
      const right = password ? same(password, token) : !!user && same(user, token);
      return right
        ? { ok: true, method: 'bearer' }
        : { ok: false, reason: 'wrong password in basic auth (send ALERTS_TOKEN as the password)' };
    }
    return {
      ok: false,
      reason: `the Authorization scheme ${JSON.stringify(scheme.slice(0, 20))} is not taken: send "Bearer <ALERTS_TOKEN>" (or basic auth with it as the password)`,
    };
  }

  private checkHmac(req: IncomingMessage, signature: string, body: string): AuthResult {
    const secret = this.settings.signingSecret;
    if (!secret) return { ok: false, reason: 'signed requests are not accepted (ALERTS_SIGNING_SECRET is not set)' };
    const timestamp = header(req, TIMESTAMP_HEADER)?.trim();
    if (timestamp && /^\d{13,16}$/.test(timestamp)) {
      return {
        ok: false,
        reason: `${TIMESTAMP_HEADER} looks like milliseconds: send Unix seconds (and sign those), got ${JSON.stringify(cutToChars(timestamp, 40))}`,
      };
    }
    if (!timestamp) {
      return { ok: false, reason: `a signed request needs ${TIMESTAMP_HEADER} (Unix seconds)` };
    }
    if (!/^\d{1,12}$/.test(timestamp)) {
      return {
        ok: false,
        reason: `${TIMESTAMP_HEADER} must be whole seconds since 1970 (Unix time, such as ${Math.floor(this.now() / 1000)}), got ${JSON.stringify(cutToChars(timestamp, 40))}`,
      };
    }
    const skew = Math.round(Number(timestamp) - this.now() / 1000);
    if (Math.abs(skew) > MAX_SKEW_SECONDS) {
      return {
        ok: false,
        reason: `stale timestamp: ${TIMESTAMP_HEADER} is ${Math.abs(skew)} s in the ${skew > 0 ? 'future' : 'past'}, more than ${MAX_SKEW_SECONDS} s from this machine's clock`,
      };
    }
    // `sha256=<hex>` as documented, or the bare hex, in either case; several (a sender rotating its secret signs with
    // both) separated by commas or blanks, any of them matching. Each compared in constant time.
    // Its base64 too (what many senders' HMAC helpers give), compared as sent: base64 has cases of its own.
    const expected = alertSignature(secret, timestamp, body).slice('sha256='.length);
    const expected64 = Buffer.from(expected, 'hex').toString('base64');
    const sent = signature
      .split(/[\s,]+/)
      .filter(Boolean)
      .slice(0, 8)
      .map((s) => s.replace(/^sha256=/i, ''));
    if (!sent.some((s) => same(s.toLowerCase(), expected) || same(s, expected64))) {
      return {
        ok: false,
        reason: `the signature does not match the body and timestamp (${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with ALERTS_SIGNING_SECRET>)`,
      };
    }
    // The signed message is its timestamp and body, whichever form of the signature came.
    return {
      ok: true,
      method: 'hmac',
      proof: `hmac\u0000${timestamp}\u0000${createHash('sha256').update(body).digest('hex')}`,
    };
  }

  /**
   * QStash's JWT: its signature, issuer, expiry and body hash (the Receiver), then its subject, the URL QStash
   * delivered to: a JWT signed for another endpoint (another app's, taking the same QStash account's keys) is not
   * replayed here. Told the public URLs QStash posts to (QSTASH_URL), the subject must be one of them, and what the
   * request says of its host and path is not trusted (a proxy in front may rewrite both). Told none, the subject's
   * path must be the request's, and its host the request's Host or X-Forwarded-Host (a proxy in front).
   */
  private async checkQstash(req: IncomingMessage, jwt: string, body: string): Promise<AuthResult> {
    if (!this.qstash) {
      return {
        ok: false,
        reason: 'QStash deliveries are not accepted (the QSTASH_*_SIGNING_KEY variables are not set)',
      };
    }
    const refused = await this.qstashRefusal(jwt, body);
    if (refused) return { ok: false, reason: `QStash signature refused (${refused})` };
    const sub = jwtSubject(jwt);
    const target = sub !== undefined && URL.canParse(sub) ? new URL(sub) : null;
    const urls = this.settings.qstash?.urls;
    if (urls) {
      if (target && urls.includes(target.href)) return { ok: true, method: 'qstash', proof: jwtProof(jwt) };
      return {
        ok: false,
        reason: `QStash signature refused: signed for another URL (${JSON.stringify(cutToChars(sub ?? '', 120))}, not QSTASH_URL ${JSON.stringify(cutToChars(urls.join(', '), 240))})`,
      };
    }
    const here = new URL(req.url ?? '/', 'http://localhost');
    const path = here.pathname;
    const hosts = [header(req, 'x-forwarded-host')?.split(',')[0], header(req, 'host')]
      .map((h) => h?.trim())
      .filter((h): h is string => !!h);
    // A Host is a host and port, nothing else (`evil@bot.example.com` would read as bot.example.com).
    const sameHost = (h: string) =>
      !!target &&
      !/[@/\\?#\s]/.test(h) &&
      URL.canParse(`${target.protocol}//${h}`) &&
      new URL(`${target.protocol}//${h}`).host === target.host;
    // The whole URL QStash posted to: http(s), no user part, the same path and query (a source named in the query is
    // another hook's), no fragment.
    const exact =
      !!target &&
      (target.protocol === 'https:' || target.protocol === 'http:') &&
      !target.username &&
      !target.password &&
      !target.hash &&
      target.pathname === path &&
      target.search === here.search;
    if (!exact || !hosts.some(sameHost)) {
      const seen = `${hosts[0] ?? '(no Host)'}${path}${here.search}`;
      return {
        ok: false,
        reason: `QStash signature refused: signed for another URL (${JSON.stringify(cutToChars(sub ?? '', 120))}, not ${JSON.stringify(cutToChars(seen, 120))})`,
      };
    }
    return { ok: true, method: 'qstash', proof: jwtProof(jwt) };
  }
}

/** The claims of a JWT whose signature was checked; none when they do not read. */
function jwtClaims(jwt: string): { jti?: unknown; sub?: unknown; exp?: unknown } {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return claims !== null && typeof claims === 'object' ? claims : {};
  } catch {
    return {};
  }
}

/** A QStash JWT as a proof good once: its id (`jti`, QStash's own for each delivery it signs), else the JWT itself. */
function jwtProof(jwt: string): string {
  const { jti } = jwtClaims(jwt);
  return typeof jti === 'string' && jti ? `qstash\u0000jti\u0000${jti}` : `qstash\u0000jwt\u0000${jwt}`;
}

/** The `sub` of a JWT whose signature was checked; undefined when it has none. */
function jwtSubject(jwt: string): string | undefined {
  const { sub } = jwtClaims(jwt);
  return typeof sub === 'string' ? sub : undefined;
}
