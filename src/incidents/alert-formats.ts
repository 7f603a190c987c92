import { createHash } from 'node:crypto';
import { type ZodError, z } from 'zod';
import { matchRule } from '../runbook/alert-rules.js';
import {
  ALERT_LEVELS,
  ALERT_STATUSES,
  type AlertDelivery,
  type AlertLevel,
  type AlertRule,
  type IncomingAlert,
  LABELS_LEFT_OUT,
  type UnsaidField,
} from './alert-types.js';
import type { Severity } from './severity.js';
import { cleanTitle, cutToChars, isBlank, mayHoldUnstorable, storableJson } from './text.js';

/**
 * What was wrong with a delivery, for the sender: a code (`malformed_json`, `missing_field`, `unknown_status`,
 * `unknown_level`, `invalid_payload`), a sentence naming the first problem, and every problem with its field.
 */
export interface PayloadProblem {
  error: string;
  message: string;
  problems: string[];
}

export type ParsedDelivery = { ok: true; delivery: AlertDelivery } | { ok: false; problem: PayloadProblem };

/** Longest text kept from a delivery's fields (summaries, label values); the rest is cut. */
const MAX_TEXT = 1000;
const MAX_LABELS = 64;
/** A source names where alerts come from in the card and storm control: `alertmanager`, `integration-metrics`. */
export const SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const missing = (what: string) => (iss: { input: unknown }) => (iss.input === undefined ? 'is missing' : what);
const text = (max = MAX_TEXT) =>
  z.string({ error: missing('must be text') }).transform((s) => cutToChars(cleanTitle(s).trim(), max));
/** A value quoted in a problem, cut short: `"FIRE"`, `3`. */
const quoted = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(cutToChars(v, 40)) : String(JSON.stringify(v)).slice(0, 40);
/**
 * One of a few words, whatever its case and the spaces around it (`"FIRING"`, `"Critical "`, as scripts send them);
 * anything else is named in the problem with the words taken.
 */
const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.enum(values, {
      error: (iss) =>
        iss.input === undefined
          ? 'is missing'
          : `${quoted(iss.input)} is not a ${what}; use ${values
              .map((w) => `"${w}"`)
              .join(values.length > 2 ? ', ' : ' or ')
              .replace(/, ("[^"]+")$/, ' or $1')}`,
    }),
  );
const status = oneOf(ALERT_STATUSES, 'status');
/** Labels or annotations: names to text. */
const textRecord = z.record(z.string(), z.string({ error: 'must be text' }), {
  error: missing('must be an object of text values'),
});
/**
 * The generic format's labels: at most MAX_LABELS (one alert per request: its sender is told, 400). A script's number
 * or true/false is kept as its text (`{"shard": 3}` as "3"), as Alertmanager's labels are text; one sent as null (an
 * unset variable) is left out, as Prometheus takes an empty label for none.
 */
const labels = z
  .record(
    z.string(),
    z
      .union([z.string(), z.number(), z.boolean(), z.null()], { error: 'must be text' })
      .transform((v) => (v === null ? null : String(v))),
    { error: missing('must be an object of text values') },
  )
  .transform((l) => Object.fromEntries(Object.entries(l).filter((e): e is [string, string] => e[1] !== null)))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `must have at most ${MAX_LABELS} labels`);
/**
 * A number or a text (`"12.5%"`): kept as text. A check's true/false is kept as its text too, as labels' are, rather
 * than dropping its alert; so is a number too large for JSON to read (`1e400`, read as Infinity).
 */
const quantity = z
  .preprocess(
    (v) => (typeof v === 'boolean' || (typeof v === 'number' && !Number.isFinite(v)) ? String(v) : v),
    z.union([z.number(), z.string()], { error: 'must be a number, a text or true/false' }),
  )
  .transform((v) => cutToChars(oneLine(String(v)) ?? '', 100));

/** The longest link kept from an annotation (as the generic format's `url` and `runbook_url`); a longer one is left out. */
const MAX_URL = 2000;

/**
 * A field shown on one line (a name, a label, a value): without line breaks (one in a label made a fake alert line
 * under a firing one, `✅ DiskFull · resolved`), bidi controls (which turn the rest of a line around) or runs of
 * spaces; null when nothing visible is left (a name of zero-width spaces is none).
 */
export function oneLine(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const line = cleanTitle(s).replace(/\s+/g, ' ').trim();
  return isBlank(line) ? null : line;
}

/** A severity label as it reads: one line, lower case, without invisible characters (`critical\u200b` is critical). */
const severityWord = (s: string | undefined) =>
  oneLine(s)
    ?.replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '')
    .toLowerCase()
    // `SEV-1`, `sev 1`, `Sev_1`: the one word `sev1`.
    .replace(/^sev[-_ ]+(?=\d$)/, 'sev') || undefined;

/**
 * The severity an alert's `severity` label names when it is a SEV level of critical alerts (`sev0`, `SEV-1`): the
 * incident it opens is declared at it, when no runbook row says otherwise. Null for any other label.
 */
export function labelSeverity(label: string | undefined): Severity | null {
  const m = /^sev([01])$/.exec(severityWord(label) ?? '');
  return m ? (Number(m[1]) as Severity) : null;
}

const clipOrNull = (s: string | undefined, max: number) => {
  const line = oneLine(s);
  return line === null ? null : cutToChars(line, max);
};

/** An alert's description as kept: one line (no fake alert lines), at most 500 characters; null when it is its summary. */
function descriptionOf(text: string, summary: string): string | null {
  const line = oneLine(cleanTitle(head(text, 4 * MAX_TEXT)));
  if (!line || isBlank(line) || line === summary.trim()) return null;
  return cutToChars(line, 500);
}

/** The first `units` UTF-16 units of a text, not splitting a character: what is worth cleaning of a long one. */
function head(s: string, units: number): string {
  if (s.length <= units) return s;
  const cut = s.slice(0, units);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * A field's place in the body as its sender finds it in their JSON, written as jq and JavaScript write it:
 * `alerts[0].labels.n`, `labels["app.kubernetes.io/name"]` (a key that is no identifier quoted); `body` for the body.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (!path.length) return 'body';
  return path
    .map((k, at) =>
      typeof k === 'number'
        ? `[${k}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(k))
          ? `${at ? '.' : ''}${String(k)}`
          : `[${JSON.stringify(String(k))}]`,
    )
    .join('');
}

/** The codes a sender can act on, by what the first problem is. */
function problemOf(err: ZodError, extra: string[] = []): PayloadProblem {
  const problems = [...err.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`), ...extra];
  const first = err.issues[0];
  const field = String(first?.path.at(-1) ?? '');
  const error =
    first?.message === 'is missing'
      ? 'missing_field'
      : field === 'status'
        ? 'unknown_status'
        : field === 'level' || field === 'severity'
          ? 'unknown_level'
          : 'invalid_payload';
  return { error, message: problems[0] ?? 'the payload is not valid', problems };
}

/**
 * Payloads of another format than the hook reads, each told where it goes (a sender who pasted the wrong URL fixes it
 * at once, not field by field): the hook it came to, the fields that mark it (all of them present), what to say.
 * Looked at only when the payload is not the hook's own.
 */
const SENT_ELSEWHERE: readonly { hook: 'alertmanager' | 'generic'; marks: readonly string[]; says: string }[] = [
  {
    hook: 'generic',
    marks: ['alerts', 'groupKey', 'status'],
    says: 'this is an Alertmanager webhook delivery (it has alerts, groupKey and status): send it to POST /hooks/alertmanager, which reads that format; /hooks/alerts takes one alert in the generic format',
  },
  {
    hook: 'alertmanager',
    marks: ['source', 'key', 'level'],
    says: 'this is an alert in the generic format (it has source, key and level): send it to POST /hooks/alerts; /hooks/alertmanager takes the Alertmanager webhook format',
  },
  {
    hook: 'alertmanager',
    marks: ['ruleName', 'state', 'evalMatches'],
    says: "this is Grafana's legacy alerting webhook (ruleName, state, evalMatches), which the bot does not read: send from a Grafana Alerting contact point of type Webhook (Grafana 9 and later; legacy alerting is gone since Grafana 11), or post each alert to /hooks/alerts in the generic format",
  },
];

/** What to tell the sender of a payload of another format than `hook` reads (see SENT_ELSEWHERE); null when none. */
function sentElsewhere(value: unknown, hook: 'alertmanager' | 'generic'): PayloadProblem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const row = SENT_ELSEWHERE.find((r) => r.hook === hook && r.marks.every((m) => m in value));
  if (!row) return null;
  const message = `body: ${row.says}`;
  return { error: 'invalid_payload', message, problems: [message] };
}

/**
 * A number JSON.parse would not read as sent may be in the text: one it reads as Infinity or 0 (an exponent of 3
 * digits or more, or 309 digits), or one of 16 significant digits or more (a whole number past 2^53, a decimal such as
 * 0.12345678901234567890123), which it may round. A double holds any decimal of 15 significant digits as sent.
 */
const MAY_OVERFLOW = /\d[eE][+-]?\d{3}|\d(?:\.?\d){15}/;
/** A JSON string (skipped whole, so digits inside it are not taken for a number) or a JSON number. */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
/** A JSON number's parts: sign, whole digits, fraction digits, exponent. */
const NUMBER_PARTS = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The decimal value a number's text writes, in one form (`0.0150`, `1.5e-2` and `15E-3` alike), to compare two
 * writings of a number: its significant digits and the power of ten of the first.
 */
function decimalValue(t: string): string {
  const m = NUMBER_PARTS.exec(t);
  if (!m) return t;
  const [, sign, whole = '', fraction = '', exponent = '0'] = m;
  const digits = whole + fraction;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  const significant = digits.slice(lead).replace(/0+$/, '');
  if (!significant) return '0';
  return `${sign}${significant}e${BigInt(exponent) + BigInt(whole.length - lead - 1)}`;
}

/**
 * The JSON text with each number JSON.parse would not read as sent quoted, so the field holds what the sender sent,
 * as text: one too large for a double (`1e400`, which it reads as Infinity, shown so on the card), a whole number past
 * 2^53 (`12345678901234567891`, which it rounds to 12345678901234567000), and a decimal a double does not hold
 * (`0.12345678901234567890123`, read as 0.12345678901234568; `1e-400`, read as 0). An alert's `value` and `threshold`
 * are shown as sent, a numeric `key` stays the key sent (two keys that round alike were one alert), and a field that
 * must be a number is refused naming it, never given Infinity or a number rounded.
 */
function hugeNumbersAsText(json: string): string {
  if (!MAY_OVERFLOW.test(json)) return json;
  const asSent = (t: string) => {
    const n = Number(t);
    if (!Number.isFinite(n)) return false;
    // A whole number is shown as JavaScript writes it, which is as sent up to 2^53 (past it, 1e+21 for 21 digits).
    if (/^-?\d+$/.test(t)) return Number.isSafeInteger(n);
    return decimalValue(String(n)) === decimalValue(t);
  };
  return json.replace(STRING_OR_NUMBER, (t) => (t.startsWith('"') || asSent(t) ? t : `"${t}"`));
}

/**
 * JSON text to a value; a body that is not JSON is named as such. Valid JSON may still carry what Postgres cannot
 * store (a NUL, a lone surrogate, escaped, in a label or its name): made storable, not refused, for no alert is dropped
 * and a sender told to send again would send the same.
 */
export function parseJson(body: string): { ok: true; value: unknown } | { ok: false; problem: PayloadProblem } {
  try {
    // A byte order mark before the JSON (PowerShell's and some editors' UTF-8) is not part of it.
    const value = JSON.parse(hugeNumbersAsText(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body)) as unknown;
    return { ok: true, value: mayHoldUnstorable(body) ? storableJson(value) : value };
  } catch (err) {
    const message = `the body is not valid JSON (${err instanceof Error ? err.message : String(err)})`;
    return { ok: false, problem: { error: 'malformed_json', message, problems: [message] } };
  }
}

// --- Prometheus Alertmanager (and Grafana Alerting): the webhook format -------------------------------------------

/**
 * The webhook format's versions this reads: Alertmanager's (4) and Grafana Alerting's (1), which is Alertmanager's
 * with fields of its own added (orgId, title, state, message; per alert values, valueString, silenceURL, dashboardURL,
 * panelURL, imageURL): of those, an alert's values (or valueString), silenceURL and panelURL (else dashboardURL)
 * are read. Another version may mean another shape: refused, saying which are read.
 */
export const WEBHOOK_VERSIONS: ReadonlyMap<string, string> = new Map([
  ['4', 'Prometheus Alertmanager'],
  ['1', 'Grafana Alerting'],
]);
const VERSIONS_READ = [...WEBHOOK_VERSIONS].map(([v, who]) => `"${v}" (${who})`).join(' or ');

/** Go's zero time (0001-01-01T00:00:00Z): what Alertmanager sends as the endsAt of an alert with no end yet. */
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');
/**
 * Whether a time is none: absent, or at or before Go's zero time, however it is written. A sender writing the zero
 * time in its own zone sends `0000-12-31T19:00:00-05:00` (the same instant) or, east of UTC, an instant in year 0,
 * which PostgreSQL cannot hold: taken as the time it means to be, none, never stored.
 */
const isZeroTime = (t: string | undefined) => !t || t.startsWith('0001-01-01') || Date.parse(t) <= ZERO_TIME_MS;

/** An RFC 3339 time as Go writes it (`2026-11-30T08:02:05.288086355Z`, `…+01:00`), read to the millisecond. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const TIME_HELP = 'must be a time in RFC 3339, e.g. 2026-01-01T00:00:00Z';
const isTime = (t: string) => RFC3339.test(t) && !Number.isNaN(Date.parse(t));
/** A time as the bot keeps it: ISO 8601 in UTC, to the millisecond. */
const utc = (t: string) => new Date(Date.parse(t)).toISOString();

/*
 * An Alertmanager delivery carries a whole group, and a 400 makes Alertmanager drop all of it: so an alert that is
 * odd but readable is taken, not refused. One without an alertname is named after its fingerprint; one with more
 * than MAX_LABELS labels keeps MAX_LABELS of them (saying so); annotations are read, not kept, so any number is read;
 * an over-long fingerprint or group key is shortened with a hash of the whole (so it still names one alert or group).
 * What is not readable (a label that is not text, a status or time that is none) is still refused, naming it.
 */
const amAlert = z.object({
  status,
  labels: textRecord,
  annotations: textRecord.default({}),
  startsAt: z.string({ error: missing(TIME_HELP) }).refine(isTime, TIME_HELP),
  endsAt: z
    .string({ error: TIME_HELP })
    .refine((t) => isZeroTime(t) || isTime(t), TIME_HELP)
    .optional(),
  generatorURL: z.string({ error: 'must be text' }).optional(),
  fingerprint: z.string({ error: 'must be text' }).optional(),
  // Grafana's: where this alert is silenced, and its graph (the panel, the dashboard). Read loosely (not text: none).
  silenceURL: z.unknown().optional(),
  panelURL: z.unknown().optional(),
  dashboardURL: z.unknown().optional(),
  // Grafana's: what its rule's expressions evaluated to (`{"B": 12.53, "C": 1}`), and the same as text, which older
  // versions send alone. Read loosely (see grafanaValue).
  values: z.unknown().optional(),
  valueString: z.unknown().optional(),
});

const amPayload = z.object({
  // Text in both senders' bodies; a number (`"version": 4`, written by hand) is read as its text.
  version: z
    .union([z.string(), z.number()], { error: 'must be text' })
    .transform(String)
    .refine((v) => WEBHOOK_VERSIONS.has(v), `must be ${VERSIONS_READ}: the webhook formats this reads`)
    .optional(),
  status,
  receiver: z.string({ error: 'must be text' }).optional(),
  groupKey: z.string({ error: missing('must be text') }).min(1, 'must not be empty'),
  groupLabels: textRecord.default({}),
  commonLabels: textRecord.default({}),
  commonAnnotations: textRecord.default({}),
  externalURL: z.string({ error: 'must be text' }).optional(),
  // Read loosely: a count that is not one is taken as none, rather than refusing the group.
  truncatedAlerts: z.unknown().optional(),
  alerts: z.array(amAlert, { error: missing('must be a list of alerts') }).min(1, 'must hold at least one alert'),
});

/** A number as an alert line shows it: whole above 1,000, else four significant digits (12.53, 0.1235). */
function shownNumber(n: number): string {
  return String(Math.abs(n) >= 1000 ? Math.round(n) : Number(n.toPrecision(4)));
}

/**
 * `[ var='B' labels={…} value=12.53 ]` (or `metric='…'` before Grafana 9.1), each pair read from the text: its value
 * is all that stands before the pair's `]`, a number or not (`+Inf`, `NaN`, `null` for an expression with no value).
 */
const VALUE_STRING_PAIR = /(?:var|metric)='([^']*)'[^\]]*?\bvalue=([^\]]*?)\s*\]/gi;

/** A Grafana value kept as text (`"NaN"`, `"+Inf"`, a state's word): at most this long, as shown. */
const GRAFANA_TEXT_VALUE = 30;
/** A number written out in decimal (`12.53`, `-1e3`): a value sent as such text is read as the number. */
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * One of a Grafana alert's `values`: a finite number, or text (a number sent as text is read as one; other text, such
 * as `NaN` or `+Inf`, is kept as it is, cleaned and cut); null for anything else (null, an object, empty text).
 */
function grafanaEntry(v: unknown): number | string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const text = cleanTitle(v.slice(0, 200)).trim();
  if (text === '') return null;
  const n = Number(text);
  return DECIMAL.test(text) && Number.isFinite(n) ? n : cutToChars(text, GRAFANA_TEXT_VALUE);
}

/** A value as an alert line shows it: a number in few digits, text as it came. */
const shownValue = (v: number | string): string => (typeof v === 'number' ? shownNumber(v) : v);

/**
 * What a Grafana alert's rule evaluated to, from its `values` (or, when it sends none, its `valueString`): the one
 * value, or, when the rule has several expressions, the one that is not its condition's 0 or 1 (`{"B": 12.53, "C": 1}`
 * is 12.53); when that does not tell, each as `B=12.53, D=7`. A value sent as text that is no number (`"NaN"`) is
 * kept as text, from either. Null when none is readable: the alert then shows no value.
 */
export function grafanaValue(values: unknown, valueString: unknown): string | null {
  let pairs: [string, number | string][] = [];
  if (values && typeof values === 'object' && !Array.isArray(values))
    pairs = Object.entries(values).flatMap(([k, v]): [string, number | string][] => {
      const e = grafanaEntry(v);
      return e === null ? [] : [[k, e]];
    });
  if (pairs.length === 0 && typeof valueString === 'string')
    pairs = [...valueString.slice(0, 4000).matchAll(VALUE_STRING_PAIR)].flatMap((m): [string, number | string][] => {
      // Grafana writes an expression that gave no value as `value=null`: no value, as a null in `values` is.
      const e = m[2] === 'null' ? null : grafanaEntry(m[2]);
      return e === null ? [] : [[m[1]!, e]];
    });
  if (pairs.length === 0) return null;
  if (pairs.length === 1) return shownValue(pairs[0]![1]);
  const measured = pairs.filter(([, n]) => n !== 0 && n !== 1);
  if (measured.length === 1) return shownValue(measured[0]![1]);
  return pairs.map(([k, n]) => `${cutToChars(cleanTitle(k), 20)}=${shownValue(n)}`).join(', ');
}

/** Grafana's link to an alert's graph: its panel's, else its dashboard's; an http(s) URL no longer than MAX_URL. */
function dashboardUrlOf(panel: unknown, dashboard: unknown): string | null {
  for (const u of [panel, dashboard]) {
    if (typeof u === 'string' && u.length <= MAX_URL && /^https?:\/\//i.test(u.trim())) return u.trim();
  }
  return null;
}

/** The labels the bot reads: kept first when an alert has more than MAX_LABELS. */
const READ_LABELS = ['alertname', 'severity', 'service', 'job', 'metric', 'instance'];

export { LABELS_LEFT_OUT };

/** Longest fingerprint and group key kept as sent. */
const MAX_FINGERPRINT = 200;
const MAX_GROUP_KEY = 2000;

const hashOf = (s: string, chars: number) => createHash('sha256').update(s).digest('hex').slice(0, chars);

/**
 * An alert's labels as kept: all of them up to MAX_LABELS; past that, the ones the bot reads and then the others by
 * name, MAX_LABELS - 1 in all, and LABELS_LEFT_OUT saying how many were left out of how many.
 */
function keptLabels(l: Record<string, string>): Record<string, string> {
  const names = Object.keys(l);
  if (names.length <= MAX_LABELS) return l;
  const read = READ_LABELS.filter((k) => Object.hasOwn(l, k));
  const order = [...read, ...names.filter((k) => !READ_LABELS.includes(k)).sort()];
  const kept = order.slice(0, MAX_LABELS - 1);
  return {
    ...Object.fromEntries(kept.map((k) => [k, l[k]!])),
    [LABELS_LEFT_OUT]: `${names.length - kept.length} of ${names.length}`,
  };
}

/** A group key as kept: as sent, or past MAX_GROUP_KEY its start and a hash of the whole. */
function groupKeyOf(key: string): string {
  if (key.length <= MAX_GROUP_KEY) return key;
  const head = key.slice(0, MAX_GROUP_KEY - 20);
  return `${/[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head}…#${hashOf(key, 16)}`;
}

/** An alert's identity: the fingerprint sent (hashed when over-long), else the labels' own. */
function fingerprintOf(sent: string | undefined, l: Record<string, string>): string {
  if (!sent) return labelFingerprint(l);
  return sent.length <= MAX_FINGERPRINT ? sent : hashOf(sent, 32);
}

/** The longest silence link kept: the card links none longer (MAX_LINKED_URL there), and each alert has its own. */
const MAX_SILENCE_URL = 1000;

/**
 * Where an alert is silenced: the URL its sender gave (Grafana's silenceURL), else Alertmanager's silence form filled
 * with the alert's labels as matchers, on the delivery's externalURL (its web UI). Null without either, when the URL
 * is not http(s), or when it is longer than a card links (so a body's long externalURL is not copied to each alert).
 */
function silenceUrlOf(given: unknown, externalUrl: string | undefined, labels: Record<string, string>): string | null {
  const web = (u: unknown): u is string =>
    typeof u === 'string' && u.length <= MAX_SILENCE_URL && /^https?:\/\/\S+$/i.test(u);
  if (web(given)) return given;
  if (!web(externalUrl)) return null;
  const matchers = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',');
  const url = `${externalUrl.replace(/\/+$/, '')}/#/silences/new?filter=${encodeURIComponent(`{${matchers}}`)}`;
  return url.length <= MAX_SILENCE_URL ? url : null;
}

/** The labels' own fingerprint, for a sender too old to send one (sorted name=value pairs, hashed). */
function labelFingerprint(l: Record<string, string>): string {
  const pairs = Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`);
  return createHash('sha256').update(pairs.join('\u0000')).digest('hex').slice(0, 16);
}

/**
 * The `severity` label values seen in the wild (Prometheus mixins, Grafana, PagerDuty's and Opsgenie's words), by the
 * level they mean. A value in none of these is taken as a warning: a notice people see, with a Declare button, which
 * neither pages anyone on a guess nor drops the alert (a 400 makes Alertmanager give up on it after its retries).
 */
const SEVERITY_WORDS: Record<AlertLevel, readonly string[]> = {
  critical: ['critical', 'crit', 'page', 'pager', 'emergency', 'disaster', 'fatal', 'sev0', 'sev1', 'p1'],
  warning: ['warning', 'warn', 'error', 'err', 'high', 'major', 'average', 'sev2', 'p2', 'p3'],
  info: ['info', 'informational', 'information', 'low', 'minor', 'none', 'notice', 'debug', 'ok', 'sev3', 'p4', 'p5'],
};

function levelOfSeverity(severity: string): AlertLevel | null {
  for (const level of ALERT_LEVELS) if (SEVERITY_WORDS[level].includes(severity)) return level;
  return null;
}

/**
 * An Alertmanager (or Grafana Alerting) webhook delivery. The alert's level is its runbook row's (by alertname or the `metric`
 * label), else its `severity` label (critical, warning, info, or a common word for one of them: `page`, `error`,
 * `minor`…; none: warning). Any other severity label with no row: a warning, its summary saying so.
 */
/** Grafana's alerts about a rule's data rather than its condition: what each says, for a title naming the rule. */
const GRAFANA_DATA_STATES: Readonly<Record<string, string>> = {
  DatasourceNoData: 'no data',
  DatasourceError: 'its data source failed',
};

export function parseAlertmanager(value: unknown, rules: readonly AlertRule[], source: string): ParsedDelivery {
  const r = amPayload.safeParse(value);
  if (!r.success) return { ok: false, problem: sentElsewhere(value, 'alertmanager') ?? problemOf(r.error) };
  const p = r.data;
  // One alert per fingerprint: a sender that lists the same alert twice (a proxy merging two of Alertmanager's
  // deliveries) said last what it means now, as the generic format's next POST would. Each is in the place of its
  // first mention, so the order of the others is as sent.
  const byFingerprint = new Map<string, IncomingAlert>();
  for (const a of p.alerts) {
    const fingerprint = fingerprintOf(a.fingerprint, a.labels);
    const named = oneLine(a.labels.alertname);
    const name = named || `unnamed alert ${fingerprint}`;
    const severity = severityWord(a.labels.severity);
    const stated = severity ? levelOfSeverity(severity) : null;
    // An empty or blank annotation is none (a template that rendered nothing): the next one says what fired.
    const note = (k: string) =>
      [a.annotations[k], p.commonAnnotations[k]].find((v) => v !== undefined && v.trim() !== '');
    const value = clipOrNull(note('value') ?? grafanaValue(a.values, a.valueString) ?? undefined, 100);
    const rule = matchRule(rules, { name, metric: oneLine(a.labels.metric), level: stated, value });
    const level: AlertLevel = rule?.level ?? stated ?? 'warning';
    const unknown =
      !rule && severity && !stated
        ? ` (severity "${cutToChars(severity, 40)}" is not a level the bot knows: taken as a warning; add a row for ${cutToChars(name, 60)} to the runbook file's alerts, or use critical, warning or info)`
        : '';
    const unnamed = named ? '' : ' (it has no alertname label: named after its fingerprint)';
    // Grafana names an alert about a rule's data (no data, a failing query) after that state, its rule in `rulename`.
    const state = named ? GRAFANA_DATA_STATES[named] : undefined;
    const ruleName = a.labels.rulename?.trim();
    const fallback = state && ruleName ? `${ruleName}: ${state} (${name})` : name;
    const summary = `${note('summary') ?? note('description') ?? note('message') ?? fallback}${unknown}${unnamed}`;
    const described = note('description');
    const given = note('runbook_url');
    const runbookUrl = given && given.length <= MAX_URL ? given : null;
    byFingerprint.set(fingerprint, {
      fingerprint,
      name: cutToChars(name, 200),
      status: a.status,
      level,
      rule: rule?.name ?? null,
      // A summary may be the group's common one: cleaned only as far as it can be kept, not whole for each alert.
      summary: cutToChars(cleanTitle(head(summary, 4 * MAX_TEXT)).trim() || name, MAX_TEXT),
      service: oneLine(a.labels.service) ?? oneLine(a.labels.job),
      metric: oneLine(a.labels.metric) ?? rule?.metric ?? null,
      // What may come from the common annotations is cut, or left out, so that it is not copied whole to every alert.
      value,
      threshold: clipOrNull(note('threshold'), 100) ?? rule?.threshold ?? null,
      labels: keptLabels(a.labels),
      url: a.generatorURL || runbookUrl || null,
      runbookUrl,
      silenceUrl: silenceUrlOf(a.silenceURL, p.externalURL, a.labels),
      dashboardUrl: dashboardUrlOf(a.panelURL, a.dashboardURL),
      // The description, when the summary is something else (the title falls back to it when there is no summary).
      ...(described && note('summary') ? { description: descriptionOf(described, note('summary')!) } : {}),
      // A zero start is none, as the generic format's: first seen is then when the bot received it.
      startsAt: isZeroTime(a.startsAt) ? null : utc(a.startsAt),
      endsAt: a.endsAt && !isZeroTime(a.endsAt) ? utc(a.endsAt) : null,
    });
  }
  const alerts = [...byFingerprint.values()];
  const t = p.truncatedAlerts;
  const truncated = typeof t === 'number' && Number.isSafeInteger(t) && t > 0 ? Math.min(t, 2 ** 31 - 1) : 0;
  return {
    ok: true,
    delivery: { source, format: 'alertmanager', groupKey: groupKeyOf(p.groupKey), alerts, truncated },
  };
}

// --- The generic format: anything else (IntegrationMetrics evaluations, scripts, cron checks) -----------------------

/**
 * An optional field of the generic format: absent, or null (a script's None, a template's empty value), is none. Only
 * optional fields: a null key, status or level is still refused, naming it.
 */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const genericPayload = z.object({
  source: z
    .string({ error: missing('must be text') })
    .regex(SOURCE_PATTERN, 'must be 1 to 64 letters, digits, dots, dashes, colons or underscores'),
  // A number (`"key": 1042`, a check's id) is read as its text.
  key: z.union([z.string(), z.number().transform(String)], { error: missing('must be text') }).pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      // A key of spaces or invisible characters names no check: its alert would show as a blank name.
      .refine((k) => !isBlank(k), 'must hold something visible, not only spaces or invisible characters'),
  ),
  status,
  level: oneOf(ALERT_LEVELS, 'level'),
  /** The alert's name (matched against the runbook's rows); default its row's name, else its metric, else its key. */
  name: optional(text(200)),
  metric: optional(text(200)),
  value: optional(quantity),
  threshold: optional(quantity),
  service: optional(text(200)),
  summary: optional(text()),
  labels: optional(labels),
  url: optional(z.url({ error: 'must be a URL' }).max(2000)),
  runbook_url: optional(z.url({ error: 'must be a URL' }).max(2000)),
  /** What fired in more words than the summary (shown in `/incident alerts` and on a page). */
  description: optional(text()),
});

/**
 * A delivery in the generic format: one alert. Its runbook row is found by name, else by metric and value (see
 * matchRule); the row decides the level, else the alert's `level`.
 */
export function parseGeneric(value: unknown, rules: readonly AlertRule[]): ParsedDelivery {
  // A list of alerts (a script batching them): said in words, not as zod's "expected object, received array".
  if (Array.isArray(value)) {
    const message = `body: one alert per request, a JSON object; this is a list of ${value.length}: send each alert in a POST of its own`;
    return { ok: false, problem: { error: 'invalid_payload', message, problems: [message] } };
  }
  const r = genericPayload.safeParse(value);
  if (!r.success) return { ok: false, problem: sentElsewhere(value, 'generic') ?? problemOf(r.error) };
  const a = r.data;
  const rule = matchRule(rules, { name: a.name ?? null, metric: a.metric ?? null, level: a.level, value: a.value });
  const name = oneLine(a.name) || rule?.name || oneLine(a.metric) || a.key;
  const summary =
    a.summary ||
    [
      a.service,
      a.metric ?? name,
      a.value !== undefined ? `is ${a.value}` : null,
      a.threshold ? `(${a.threshold})` : null,
    ]
      .filter(Boolean)
      .join(' ');
  return {
    ok: true,
    delivery: {
      source: a.source,
      format: 'generic',
      groupKey: a.key,
      alerts: [
        {
          fingerprint: a.key,
          name: cutToChars(name, 200),
          status: a.status,
          level: rule?.level ?? a.level,
          rule: rule?.name ?? null,
          summary,
          service: a.service ?? null,
          metric: a.metric ?? rule?.metric ?? null,
          value: a.value ?? null,
          threshold: a.threshold ?? rule?.threshold ?? null,
          labels: a.labels ?? {},
          url: a.url ?? null,
          runbookUrl: a.runbook_url ?? null,
          ...(a.description ? { description: descriptionOf(a.description, summary) } : {}),
          startsAt: null,
          endsAt: null,
          ...(a.status === 'resolved' ? { unsaid: unsaidOf(a) } : {}),
        },
      ],
    },
  };
}

/**
 * What a generic resolution leaves unsaid, kept from the alert's firing (changeAlert): its name and runbook row unless
 * it names them (a name or a metric), its level always (a resolution does not reclassify), its summary unless it
 * gives one, and each other field it leaves out. `{"source","key","status":"resolved","level"}` is a whole resolve.
 */
function unsaidOf(a: z.infer<typeof genericPayload>): UnsaidField[] {
  const unsaid: UnsaidField[] = ['level'];
  if (!a.name && !a.metric) unsaid.push('name', 'rule');
  if (!a.summary) unsaid.push('summary');
  const fields = [
    ['service', a.service],
    ['metric', a.metric],
    ['value', a.value],
    ['threshold', a.threshold],
    ['labels', a.labels],
    ['url', a.url],
    ['runbookUrl', a.runbook_url],
  ] as const;
  for (const [field, v] of fields) if (v === undefined) unsaid.push(field);
  return unsaid;
}
