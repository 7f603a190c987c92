/**
 * `/alert …` at the console: an alert from monitoring, written as one line, turned into the bot's generic alert format
 * (what `POST /hooks/alerts` takes) and sent as monitoring sends it. Pure: the line in, the body or what is wrong out.
 *
 *   /alert critical checkout error rate above 10%
 *   /alert warning disk 85% on db-1 metric=disk_usage value=85% service=db
 *   /alert resolve checkout error rate above 10%
 */

export const ALERT_SOURCE = 'console';

const LEVELS = ['critical', 'warning', 'info'] as const;
type Level = (typeof LEVELS)[number];

/** The generic format's optional fields that can be written as `field=value` on the line. */
const FIELDS = ['key', 'name', 'metric', 'value', 'threshold', 'service', 'url'] as const;
type Field = (typeof FIELDS)[number];

/** Other spellings of a field, as people used to Alertmanager write them (`alertname=HighLatency` is its name). */
const ALIASES: Readonly<Record<string, Field>> = { alertname: 'name' };

export interface GenericAlert {
  source: string;
  key: string;
  status: 'firing' | 'resolved';
  level: Level;
  summary?: string;
  name?: string;
  metric?: string;
  value?: string;
  threshold?: string;
  service?: string;
  url?: string;
}

export type AlertLine = { ok: true; alert: GenericAlert } | { ok: false; problem: string };

export const ALERT_USAGE =
  '/alert <critical|warning|info> <summary> [metric=… value=… service=… name=… (or alertname=…) key=…], /alert resolve <summary or key=…>';

/** The key an alert is known by when none is given: its summary's words, lower case, joined by dashes. */
export function keyOf(summary: string): string {
  return (
    summary
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 200) || 'alert'
  );
}

/**
 * Reads what follows `/alert`. `levelOf` gives the level an alert was last sent with, for a resolve (the format wants
 * one; a resolve of an alert this console never sent is critical).
 */
export function parseAlertLine(text: string, levelOf: (key: string) => Level | undefined = () => undefined): AlertLine {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const first = words.shift()?.toLowerCase();
  const resolving = first === 'resolve' || first === 'resolved';
  const level = LEVELS.find((l) => l === first);
  if (!resolving && !level) {
    return {
      ok: false,
      problem: first
        ? `"${first}" is not a level. Start with critical, warning, info or resolve: ${ALERT_USAGE}`
        : `Say what fires: ${ALERT_USAGE}`,
    };
  }
  const fields: Partial<Record<Field, string>> = {};
  const summaryWords: string[] = [];
  for (const w of words) {
    const m = /^([a-z_]+)=(.+)$/i.exec(w);
    const written = m?.[1]?.toLowerCase();
    const field = written ? (ALIASES[written] ?? FIELDS.find((f) => f === written)) : undefined;
    if (m && field) fields[field] = m[2]!;
    else summaryWords.push(w);
  }
  const summary = summaryWords.join(' ');
  const key = fields.key ?? (summary ? keyOf(summary) : undefined);
  if (!key) {
    return {
      ok: false,
      problem: resolving
        ? `Say which alert resolves: its summary as it was sent, or key=…: ${ALERT_USAGE}`
        : `Say what the alert is about (its summary): ${ALERT_USAGE}`,
    };
  }
  if (key.length > 200) return { ok: false, problem: 'The key is longer than 200 characters: give a shorter key=….' };
  const { key: _key, ...rest } = fields;
  return {
    ok: true,
    alert: {
      source: ALERT_SOURCE,
      key,
      status: resolving ? 'resolved' : 'firing',
      level: level ?? levelOf(key) ?? 'critical',
      ...(summary ? { summary } : {}),
      ...rest,
    },
  };
}

/** What the bot's answer to an alert means, in a line. */
export function describeAlertAnswer(alert: GenericAlert, status: number, body: string): { ok: boolean; line: string } {
  const what = `${alert.status === 'resolved' ? 'resolved' : `${alert.level} alert`} "${alert.key}"`;
  if (status === 202 || status === 200) {
    return {
      ok: true,
      line: `Sent ${what} from ${alert.source}, as monitoring would; the bot accepted it (${status}).`,
    };
  }
  let reason = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    reason = String(parsed.message ?? parsed.error ?? reason);
  } catch {
    // not JSON: the text as it came
  }
  return { ok: false, line: `The bot refused the ${what} (HTTP ${status}): ${reason || 'no reason given'}` };
}
