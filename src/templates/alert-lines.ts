/**
 * What every alert message is made of: an alert's line (its state, name and links, the labels that tell it from its
 * twins, what it measured, its times), and the few phrases many of them say (a runbook row's threshold and line, a
 * group's alerts named, their sources, the incident they are in or were, a storm's cap). Pure.
 */
import { type AlertCardView, type AlertRule, type AlertView, LABELS_LEFT_OUT } from '../incidents/alert-types.js';
import { cleanTitle } from '../incidents/text.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { boldName, channelLink, clipEscaped, escapeMrkdwn, mrkdwnClip, slackDate, utcStamp } from './text.js';

/**
 * An alert's icon on its line (the card, `/incident alerts`, a group's notice, a page): resolved, or firing at its
 * level, so that a firing warning never wears a critical's red circle. A warning's and an info alert's are the icons
 * of their level everywhere else (LEVEL_EMOJI: the list's headings, the Home tab, a notice's title).
 */
const FIRING_EMOJI = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' } as const;
export const stateEmoji = (a: Pick<AlertView, 'status' | 'level'>) =>
  a.status === 'resolved' ? ':white_check_mark:' : FIRING_EMOJI[a.level];

/** A time as each reader's clock shows it (Slack's date token), `10:07 UTC` where tokens are not shown. */
export const at = (d: Date) => slackDate(d, utcStamp(d), '{date_short} {time}');

/** The longest URL linked: a longer one is left out (the name shows unlinked), so lines are never cut inside a link. */
const MAX_LINKED_URL = 1000;

/** Whether a URL can be linked: http(s), not too long, and nothing in it that could break out of the link. */
export const linkable = (url: string | null | undefined): url is string =>
  !!url && url.length <= MAX_LINKED_URL && /^https?:\/\/[^\s<>|]+$/.test(url);
/**
 * The URLs of one alert's name and links, in characters, at most: four links of 1,000 characters each (a long
 * generatorURL, runbook, graph and a silence link of many labels) made a line, and so a card's section, longer than
 * the 3,000 characters Slack takes, and the card was refused.
 */
const LINE_LINKS_MAX = 1200;

/**
 * An alert's name (bold), linked to its source, then ` (<…|graph> · <…|runbook> · <…|silence>)`: its graph (Grafana's
 * panel or dashboard) and its runbook, when its source gave them apart from the name's own link, and where it is
 * silenced, while it fires (a resolved alert has nothing to silence). Within `budget` characters of URLs: the name's
 * link first, then the runbook, the graph and the silence form; one past what is left is left out.
 */
export function namedWithLinks(
  a: Pick<AlertView, 'name' | 'url' | 'runbookUrl' | 'silenceUrl' | 'dashboardUrl' | 'status'>,
  budget = LINE_LINKS_MAX,
): string {
  let left = budget;
  const take = (url: string | null | undefined): url is string => {
    if (!linkable(url) || url.length > left) return false;
    left -= url.length;
    return true;
  };
  const name = boldName(a.name, 80);
  const own = take(a.url) ? `<${a.url}|${name}>` : name;
  const runbook = a.runbookUrl !== a.url && take(a.runbookUrl) ? `<${a.runbookUrl}|runbook>` : null;
  const graph = a.dashboardUrl !== a.url && take(a.dashboardUrl) ? `<${a.dashboardUrl}|graph>` : null;
  const silence = a.status === 'firing' && take(a.silenceUrl) ? `<${a.silenceUrl}|silence>` : null;
  const links = [graph, runbook, silence].filter(Boolean);
  return `${own}${links.length ? ` (${links.join(' · ')})` : ''}`;
}

/**
 * The alert's own threshold, beside its value: as sent when it compares (`> 10%`), else named as a threshold, since
 * `87% (85%)` read as two measurements (and the runbook row's threshold may be shown beside it).
 */
const thresholdShown = (t: string) => (/^\s*[<>=≤≥!]/.test(t) ? mrkdwnClip(t, 40) : `threshold ${mrkdwnClip(t, 40)}`);

/** What the alert measured: `error_rate 12% (> 10%)`; a value no metric names, as one (`value 12.53`). */
export function measured(a: Pick<AlertView, 'metric' | 'value' | 'threshold'>): string {
  const parts = [
    a.metric ? mrkdwnClip(a.metric, 60) : a.value ? 'value' : null,
    a.value ? mrkdwnClip(a.value, 30) : null,
    a.threshold ? `(${thresholdShown(a.threshold)})` : null,
  ].filter(Boolean);
  return parts.join(' ');
}

/** The alert's service as its line shows it; none when it is the alert's name too (a generic alert keyed by it). */
export const shownService = (a: Pick<AlertView, 'service' | 'name'>) =>
  a.service && a.service !== a.name ? mrkdwnClip(a.service, 40) : null;

/** Labels never shown to tell alerts apart: the name is shown already, the other is the bot's own note. */
const UNTOLD_LABELS = new Set(['alertname', LABELS_LEFT_OUT]);
/** At most this many labels tell an alert apart, each cut, so a line stays well within a section's 3000. */
const TOLD_LABELS_MAX = 3;
const TOLD_NAME_MAX = 40;
const TOLD_VALUE_MAX = 60;

/** Alerts a line tells apart by name and summary alone are twins when they share both. */
const byNameAndSummary = (a: Pick<AlertView, 'name' | 'summary'>) => `${a.name}\u0000${a.summary ?? ''}`;

/**
 * The labels that tell each listed alert from its twins (the alerts a reader could not tell apart otherwise: by
 * default those that share its name and summary; `twinsOf` says what a line shows of them): those whose values differ
 * among them (or that some have and others not), in name order, at most TOLD_LABELS_MAX; none for an alert with no
 * twin. Two PodCrash alerts that share a summary differ by `instance`: each line shows its own, whatever other alerts
 * the list holds.
 */
export function tellingLabels<A extends Pick<AlertView, 'labels' | 'name' | 'summary'>>(
  alerts: readonly A[],
  twinsOf: (a: A) => string = byNameAndSummary,
): (a: A) => string[] {
  const sets = new Map<string, Pick<AlertView, 'labels'>[]>();
  for (const a of alerts) {
    const twins = sets.get(twinsOf(a));
    if (twins) twins.push(a);
    else sets.set(twinsOf(a), [a]);
  }
  const told = new Map<string, string[]>();
  for (const [key, twins] of sets) {
    if (twins.length < 2) continue;
    const names = [...new Set(twins.flatMap((a) => Object.keys(a.labels ?? {})))].filter((n) => !UNTOLD_LABELS.has(n));
    told.set(
      key,
      names
        .filter((n) => new Set(twins.map((a) => a.labels?.[n] ?? null)).size > 1)
        .sort()
        .slice(0, TOLD_LABELS_MAX),
    );
  }
  return (a) => told.get(twinsOf(a)) ?? [];
}

/**
 * A label's name or value on one line (line breaks in it would make lines of their own, a fake alert line among
 * them), cut in its middle when long: values that differ often share a long start (`https://checkout…/healthz/eu`
 * and `…/us`), so the end is kept.
 */
function oneLineCut(text: string, max: number): string {
  // Without bidi controls, as every field shown on a line is read: a label `pod-b\u202Eevil` turned the rest of the
  // line around.
  const flat = cleanTitle(text).replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  if (chars.length <= max) return escapeMrkdwn(flat);
  const head = Math.floor((max - 1) / 3);
  return `${escapeMrkdwn(chars.slice(0, head).join(''))}…${escapeMrkdwn(chars.slice(chars.length - (max - 1 - head)).join(''))}`;
}

/** `instance=pod-a, pod=x`: the alert's values of the telling labels it has, escaped and cut; '' when none. */
export function toldLabels(a: Pick<AlertView, 'labels'>, names: readonly string[]): string {
  return names
    .filter((n) => a.labels?.[n] !== undefined)
    .map((n) => `${oneLineCut(n, TOLD_NAME_MAX)}=${oneLineCut(a.labels![n]!, TOLD_VALUE_MAX)}`)
    .join(', ');
}

/**
 * One alert in one line: state (and when it resolved), name, the labels that tell it from the other alerts listed
 * (`telling`: see tellingLabels), service, what it measured, its summary, first and last seen, count. First seen and
 * resolved are the alert's own times when its source gives them (Alertmanager's startsAt and endsAt); last seen is
 * when a delivery last carried it.
 */
export function alertLine(a: AlertView, telling: readonly string[] = []): string {
  // The name, its links and what tells it apart are kept whole; the rest of the line is what gets cut when it is long.
  const told = toldLabels(a, telling);
  const head = `${a.firedAgainAt ? ':arrow_right:' : stateEmoji(a)} ${namedWithLinks(a)}${told ? ` · ${told}` : ''}`;
  const what = measured(a);
  const rest = [
    // A warning or info alert among an incident's critical ones (a group's, a storm's, one added) says so.
    a.level === 'critical' ? null : a.level,
    shownService(a),
    what || null,
    a.summary !== a.name ? mrkdwnClip(a.summary, 160) : null,
    a.firedAgainAt
      ? `fired again after this incident was resolved (${at(a.firedAgainAt)}): no longer followed here`
      : `${a.status}${a.status === 'resolved' && a.resolvedAt ? ` ${at(a.resolvedAt)}` : ''}${a.maintenance ? ' (maintenance: not declared)' : ''}`,
    `first ${at(a.firstSeen)}`,
    `last ${at(a.lastSeen)}`,
    `×${a.count}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `${head} · ${clipEscaped(rest, 600)}`;
}

/** An alert's description on a quoted line of its own under its line (`max` characters at most); '' when it has none. */
export const describedBelow = (a: Pick<AlertView, 'description'>, max: number): string =>
  a.description ? `\n> ${mrkdwnClip(a.description, max)}` : '';

/** An alert's summary where it says more than its name, cut to 120 characters by `cut`; null otherwise. */
export const bareSummary = (a: AlertView, cut: (text: string, max: number) => string | null): string | null =>
  a.summary && a.summary.trim() !== a.name ? cut(a.summary, 120) : null;

/** A runbook row's threshold and how long it must hold (`> 10% for 2m`); the threshold alone when it gives no time. */
export const thresholdFor = (r: Pick<AlertRule, 'threshold' | 'duration'>) =>
  `${mrkdwnClip(r.threshold, 40)}${r.duration ? ` for ${mrkdwnClip(r.duration, 10)}` : ''}`;

/** Alerts of one group, as a channel message names them: `the warning alert *DiskFull* (prom)`, `3 alerts of prom`. */
export function alertsNamed(alerts: readonly AlertView[]): string {
  const first = alerts[0];
  const source = first ? mrkdwnClip(first.source, 40) : '';
  return alerts.length === 1 && first
    ? `the ${first.level} alert ${boldName(first.name, 80)} (${source})`
    : `${alerts.length} alerts${source ? ` of ${source}` : ''}`;
}

/** A runbook row's line under what fired (the card, a page): `*Runbook:* HighErrorRate > 10% for 2m — <its action>`. */
export const runbookLine = (r: Pick<AlertRule, 'name' | 'threshold' | 'duration' | 'action'>) =>
  `*Runbook:* ${mrkdwnClip(r.name, 60)} ${thresholdFor(r)} — ${mrkdwnClip(r.action, RUNBOOK_TEXT_MAX.alertAction)}`;

/** The sources of an incident's alerts, as `from …` names them: each cut and escaped. */
export const sourcesNamed = (v: Pick<AlertCardView, 'sources'>) => v.sources.map((s) => mrkdwnClip(s, 40)).join(', ');

/** `incident #12 (<#C1>)`: an incident named, with its channel when it has one (a private one named too). */
export const incidentLinked = (i: { number: number; channelId: string | null }) =>
  `incident #${i.number}${i.channelId ? ` (${channelLink(i.channelId)})` : ''}`;

/**
 * Where alerts went or were before: `incident #12 (<#C1>)`, or `a private incident`, not named. (`private?: never`: an
 * Incident, whose `private` is a flag, is not taken for a private place; incidentLinked names it.)
 */
export const incidentNamed = (p: { number: number; channelId: string | null; private?: never } | { private: true }) =>
  'private' in p ? 'a private incident' : incidentLinked(p);

/** Storm control's cap, as said: `one incident`, `3 incidents`. */
export const capOf = (max: number) => (max === 1 ? 'one incident' : `${max} incidents`);
