/**
 * What fired, as a page tells the person it wakes: short alert lines in its direct message (pageAlerts), plain text
 * for email and PagerDuty (pageAlertsText), or that it has all resolved since. Pure.
 */
import { type AlertCardView, type AlertView, pressingCount } from '../incidents/alert-types.js';
import {
  at,
  bareSummary,
  describedBelow,
  linkable,
  measured,
  namedWithLinks,
  runbookLine,
  shownService,
  sourcesNamed,
  stateEmoji,
  tellingLabels,
  toldLabels,
} from './alert-lines.js';
import { wholeLines } from './blocks.js';
import { mrkdwnClip, truncate } from './text.js';

/** At most this many firing alerts are named in a page; the rest are counted. */
const PAGE_ALERTS_MAX = 3;

/** A page's alert lines' URLs, each: three of them and the runbook's actions fit its section whole. */
const PAGE_LINKS_MAX = 500;

/** What a page says fired: every firing alert the view holds, those it names, how many more fire; null when none. */
function pageFiring(v: AlertCardView): { firing: AlertView[]; named: AlertView[]; more: number } | null {
  const all = v.alerts.filter((a) => a.status === 'firing');
  if (all.length === 0 || v.firing === 0) return null;
  // Info alerts are recorded only: not what a person is woken for, unless nothing else fires.
  const pressing = all.filter((a) => a.level !== 'info');
  const [firing, count] = pressing.length > 0 && pressingCount(v) > 0 ? [pressing, pressingCount(v)] : [all, v.firing];
  const named = firing.slice(0, PAGE_ALERTS_MAX);
  return { firing, named, more: count - named.length };
}

/**
 * What fired, for a page's direct message (read on a phone, woken at night): the firing alerts, each on a short line
 * (name, the labels that tell it from the others of its name, service, what it measured: no summaries, times or
 * counts), at most PAGE_ALERTS_MAX then how many more, and the runbook's action for them; the alerts' source. Null
 * when none fires (the page says nothing of alerts). `short` is the first alert alone, as plain text (not escaped),
 * for the notification's text. Pure.
 */
export function pageAlerts(v: AlertCardView): { mrkdwn: string; short: string } | null {
  const fired = pageFiring(v);
  if (!fired) return pageAllResolved(v);
  const { firing, named, more } = fired;
  // A page leaves summaries out: alerts of one name are twins there whatever their summaries say.
  const telling = tellingLabels(firing, (a) => a.name);
  const line = (a: AlertView) => {
    const told = [toldLabels(a, telling(a)) || null, shownService(a), measured(a) || null].filter(Boolean);
    return [
      `${stateEmoji(a)} ${namedWithLinks(a, PAGE_LINKS_MAX)}`,
      // Critical goes without saying on a page; a warning or an info alert says what it is.
      a.level !== 'critical' ? a.level : null,
      ...told,
      // An alert that says nothing else (a script's key alone): its summary is what tells the person what happened.
      ...(told.length === 0 ? [bareSummary(a, (t, n) => mrkdwnClip(t, n))] : []),
    ]
      .filter(Boolean)
      .join(' · ')
      .concat(describedBelow(a, 200));
  };
  const lines = [
    `*What fired* (from ${sourcesNamed(v)}):`,
    ...named.map(line),
    ...(more > 0 ? [`…and ${more} more firing.`] : []),
    ...v.rules.map(runbookLine),
  ];
  const first = firing[0]!;
  // Unescaped: the page's text is escaped as a whole.
  const short = [first.name, first.metric, first.value, first.threshold ? `(${first.threshold})` : null]
    .filter(Boolean)
    .join(' ');
  return { mrkdwn: wholeLines(lines), short: truncate(short, 150) };
}

/** The time the last alert of an incident whose alerts have all resolved resolved; null when none says. */
function lastResolved(v: AlertCardView): Date | null {
  const times = v.alerts.filter((a) => !a.firedAgainAt && a.resolvedAt).map((a) => a.resolvedAt!.getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}

/**
 * Whether alerts opened the incident (not only people adding some to one they declared): only then does every alert
 * having resolved say that monitoring no longer sees its trouble. A view without `openedFrom` is of alerts alone.
 */
const openedFromAlerts = (v: AlertCardView) => v.openedFrom === undefined || v.openedFrom.length > 0;

/**
 * A page of an incident opened from alerts that have all resolved since (a later page: nobody acknowledged): what fired,
 * and that monitoring no longer sees it, so that the person woken knows it may be over, and that it stays open until
 * someone resolves it. Null when it has no alerts, or a person declared it (the alerts people added to it say nothing
 * of whether its trouble is over).
 */
function pageAllResolved(v: AlertCardView): { mrkdwn: string; short: string } | null {
  if (v.total === 0 || v.alerts.length === 0 || !openedFromAlerts(v)) return null;
  const last = lastResolved(v);
  const named = v.alerts.slice(0, PAGE_ALERTS_MAX);
  const more = v.total - named.length;
  const lines = [
    `*What fired* (from ${sourcesNamed(v)}) *has resolved*${last ? `, the last ${at(last)}` : ''}: monitoring no longer sees the trouble. The incident stays open until someone resolves it: check, then resolve it, or acknowledge and carry on.`,
    ...named.map((a) => `:white_check_mark: ${namedWithLinks(a, PAGE_LINKS_MAX)}`),
    ...(more > 0 ? [`…and ${more} more, resolved.`] : []),
  ];
  const first = v.alerts[0]!;
  return { mrkdwn: wholeLines(lines), short: truncate(`${first.name} resolved`, 150) };
}

/**
 * What fired, as plain text for a page by email or PagerDuty: `HighErrorRate · api-service · error_rate 14% (> 10%)`
 * and its links, up to PAGE_ALERTS_MAX then how many more, then the runbook's action; the first line names the source.
 * Empty when none fires. Pure.
 */
export function pageAlertsText(v: AlertCardView): string[] {
  const fired = pageFiring(v);
  if (!fired) {
    if (v.total === 0 || v.alerts.length === 0 || !openedFromAlerts(v)) return [];
    const last = lastResolved(v);
    return [
      `What fired (from ${v.sources.join(', ')}) has resolved${last ? `, the last at ${last.toISOString()}` : ''}: monitoring no longer sees the trouble. The incident stays open until someone resolves it.`,
      ...v.alerts.slice(0, PAGE_ALERTS_MAX).map((a) => `- ${truncate(a.name.replace(/\s+/g, ' '), 80)} (resolved)`),
    ];
  }
  const { named, more } = fired;
  const one = (s: string | null | undefined, max: number) => (s ? truncate(s.replace(/\s+/g, ' '), max) : null);
  const line = (a: AlertView) => {
    const what =
      [
        one(a.metric, 60) ?? (a.value ? 'value' : null),
        one(a.value, 30),
        a.threshold ? `(${one(a.threshold, 40)})` : null,
      ]
        .filter(Boolean)
        .join(' ') || null;
    return [
      one(a.name, 80),
      one(a.service, 40),
      what,
      // Nothing else said of it: its summary (see pageAlerts).
      !a.service && !what ? bareSummary(a, (t, n) => one(t, n)) : null,
      linkable(a.url) ? a.url : null,
      linkable(a.dashboardUrl) && a.dashboardUrl !== a.url ? `graph: ${a.dashboardUrl}` : null,
      linkable(a.runbookUrl) && a.runbookUrl !== a.url ? `runbook: ${a.runbookUrl}` : null,
    ]
      .filter(Boolean)
      .join(' · ');
  };
  return [
    `What fired (from ${v.sources.join(', ')}):`,
    ...named.map((a) => `- ${line(a)}`),
    ...(more > 0 ? [`- and ${more} more firing`] : []),
    ...v.rules.map((r) => `Runbook: ${r.name} ${r.threshold}${r.duration ? ` for ${r.duration}` : ''}: ${r.action}`),
  ];
}
