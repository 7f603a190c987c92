import type { KnownBlock } from '@slack/types';
import {
  type AlertCardView,
  type AlertList,
  type AlertNoticeView,
  type AlertQuery,
  type AlertRule,
  type AlertView,
  type ChannelBudgetView,
  type DeclaredApart,
  type FiringAlertPlace,
  type FiringAlerts,
  type HeartbeatView,
  type JoinedWhy,
  LABELS_LEFT_OUT,
  type NotDeclaredView,
  type OfferClosed,
  type OutrankedView,
  type PastCapView,
  pressingCount,
  type WaitingForChannelView,
} from '../incidents/alert-types.js';
import { severityLabel } from '../incidents/severity.js';
import { cleanTitle } from '../incidents/text.js';
import type { Incident } from '../incidents/types.js';
import { describeDuration } from '../runbook/duration.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { button, packLines, wholeLines } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { alertRef, attachedRef } from './payloads.js';
import {
  boldName,
  channelLink,
  clipEscaped,
  escapeMrkdwn,
  LIMITS,
  mention,
  mrkdwnClip,
  slackDate,
  truncate,
  utcStamp,
} from './text.js';

/**
 * An alert's icon on its line (the card, `/incident alerts`, a group's notice, a page): resolved, or firing at its
 * level, so that a firing warning never wears a critical's red circle. A warning's and an info alert's are the icons
 * of their level everywhere else (LEVEL_EMOJI: the list's headings, the Home tab, a notice's title).
 */
const FIRING_EMOJI = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' } as const;
const stateEmoji = (a: Pick<AlertView, 'status' | 'level'>) =>
  a.status === 'resolved' ? ':white_check_mark:' : FIRING_EMOJI[a.level];

/** A time as each reader's clock shows it (Slack's date token), `10:07 UTC` where tokens are not shown. */
const at = (d: Date) => slackDate(d, utcStamp(d), '{date_short} {time}');

/** The longest URL linked: a longer one is left out (the name shows unlinked), so lines are never cut inside a link. */
const MAX_LINKED_URL = 1000;

/** Whether a URL can be linked: http(s), not too long, and nothing in it that could break out of the link. */
const linkable = (url: string | null | undefined): url is string =>
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
function namedWithLinks(
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
function measured(a: Pick<AlertView, 'metric' | 'value' | 'threshold'>): string {
  const parts = [
    a.metric ? mrkdwnClip(a.metric, 60) : a.value ? 'value' : null,
    a.value ? mrkdwnClip(a.value, 30) : null,
    a.threshold ? `(${thresholdShown(a.threshold)})` : null,
  ].filter(Boolean);
  return parts.join(' ');
}

/** The alert's service as its line shows it; none when it is the alert's name too (a generic alert keyed by it). */
const shownService = (a: Pick<AlertView, 'service' | 'name'>) =>
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
function toldLabels(a: Pick<AlertView, 'labels'>, names: readonly string[]): string {
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
const describedBelow = (a: Pick<AlertView, 'description'>, max: number): string =>
  a.description ? `\n> ${mrkdwnClip(a.description, max)}` : '';

/** An alert's summary where it says more than its name, cut to 120 characters by `cut`; null otherwise. */
const bareSummary = (a: AlertView, cut: (text: string, max: number) => string | null): string | null =>
  a.summary && a.summary.trim() !== a.name ? cut(a.summary, 120) : null;

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
    `*What fired* (from ${v.sources.map((s) => mrkdwnClip(s, 40)).join(', ')}):`,
    ...named.map(line),
    ...(more > 0 ? [`…and ${more} more firing.`] : []),
    ...v.rules.map(
      (r) =>
        `*Runbook:* ${mrkdwnClip(r.name, 60)} ${thresholdFor(r)} — ${mrkdwnClip(r.action, RUNBOOK_TEXT_MAX.alertAction)}`,
    ),
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
 * A page of an incident opened from alerts that have all resolved since (a later page: nobody acknowledged): what fired,
 * and that monitoring no longer sees it, so that the person woken knows it may be over, and that it stays open until
 * someone resolves it. Null when it has no alerts.
 */
function pageAllResolved(v: AlertCardView): { mrkdwn: string; short: string } | null {
  if (v.total === 0 || v.alerts.length === 0) return null;
  const last = lastResolved(v);
  const named = v.alerts.slice(0, PAGE_ALERTS_MAX);
  const more = v.total - named.length;
  const lines = [
    `*What fired* (from ${v.sources.map((s) => mrkdwnClip(s, 40)).join(', ')}) *has resolved*${last ? `, the last ${at(last)}` : ''}: monitoring no longer sees the trouble. The incident stays open until someone resolves it: check, then resolve it, or acknowledge and carry on.`,
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
    if (v.total === 0 || v.alerts.length === 0) return [];
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

/** A runbook row's threshold and how long it must hold (`> 10% for 2m`); the threshold alone when it gives no time. */
const thresholdFor = (r: Pick<AlertRule, 'threshold' | 'duration'>) =>
  `${mrkdwnClip(r.threshold, 40)}${r.duration ? ` for ${mrkdwnClip(r.duration, 10)}` : ''}`;

const counted = (v: AlertCardView) =>
  `${v.firing} firing · ${v.resolved} resolved · from ${v.sources.map((s) => mrkdwnClip(s, 40)).join(', ')}`;

/** The alerts a Raise offer names, at most (the card lists them all). */
const OUTRANKED_SHOWN = 5;

/**
 * In an incident's channel: a critical alert joined it, and its runbook row declares a higher severity than the
 * incident has. Says how to raise it (the bot does not on its own). Pure.
 */
export function renderOutranked(i: Incident, v: OutrankedView): Message {
  const row = v.rule
    ? `the runbook's row ${boldName(v.rule.name, 60)} (${thresholdFor(v.rule)}) declares`
    : 'a critical alert without a runbook row is declared';
  const joined = v.others.length ? `${v.others.length + 1} critical alerts` : 'A critical alert';
  const text = `:rotating_light: ${joined} joined this ${severityLabel(i.severity)} incident, and ${row} ${severityLabel(v.severity)}. The severity was not changed: *Raise to ${severityLabel(v.severity)}* below (or \`/incident sev${v.severity}\`) raises it.`;
  // The one whose row declares it first, then a few of the others (the card lists them all): whole lines, as many as
  // fit beside the count of the rest (long links make long lines).
  const all = [v.alert, ...v.others];
  const shown: string[] = [];
  let size = 0;
  for (const a of all.slice(0, OUTRANKED_SHOWN)) {
    const line = alertLine(a);
    if (shown.length > 0 && size + line.length + 1 > LIMITS.sectionText - 100) break;
    shown.push(line);
    size += line.length + 1;
  }
  const more = all.length - shown.length;
  if (more > 0) shown.push(`…and ${more} more (the card lists them).`);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(shown.join('\n'), 3000) } },
      {
        type: 'actions',
        block_id: `${BLOCK.raiseSeverity}:${i.id}`,
        elements: [button(ACTION.raiseSeverity, `Raise to ${severityLabel(v.severity)}`, `sev${v.severity}`, 'danger')],
      },
    ],
  };
}

/** Alerts of one group, as a channel message names them: `the warning alert *DiskFull* (prom)`, `3 alerts of prom`. */
function alertsNamed(alerts: readonly AlertView[]): string {
  const first = alerts[0];
  const source = first ? mrkdwnClip(first.source, 40) : '';
  return alerts.length === 1 && first
    ? `the ${first.level} alert ${boldName(first.name, 80)} (${source})`
    : `${alerts.length} alerts${source ? ` of ${source}` : ''}`;
}

/**
 * In an incident's channel: someone added alerts to it from their notice (Add to incident): who, which (the first few
 * lines, then how many more), and that their repeats and resolution show on the card from now on. Pure.
 */
export function renderAttached(
  by: string,
  alerts: readonly AlertView[],
  alertIncident: number | null,
  /** Taken out since: the button is gone, and the message says who took them out and when. */
  takenOut?: { by: string; at: Date },
): Message {
  const first = alerts[0];
  const head = `:link: ${mention(by)} added ${alertsNamed(alerts)} to this incident. The card shows ${alerts.length === 1 ? 'it' : 'them'} with the others, as ${alerts.length === 1 ? 'it fires or resolves' : 'they fire or resolve'}; \`/incident alerts\` lists every one.`;
  const telling = tellingLabels(alerts);
  const { blocks: lines, shown } = packLines(
    alerts.map((a) => alertLine(a, telling(a))),
    3,
  );
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }, ...lines];
  if (alerts.length > shown)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${alerts.length - shown} more.` }] });
  // Added to the wrong incident: undone here, while the incident is open.
  if (takenOut || alertIncident === null)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `:leftwards_arrow_with_hook: Taken out${takenOut ? ` by ${mention(takenOut.by)} ${at(takenOut.at)}` : ''}.`,
        },
      ],
    });
  else
    blocks.push({
      type: 'actions',
      block_id: `${BLOCK.attachedActions}:${alertIncident}`,
      elements: [
        button(
          ACTION.detachAlerts,
          alerts.length === 1 ? 'Take it out (added by mistake)' : 'Take them out (added by mistake)',
          attachedRef.encode(alertIncident),
        ),
      ],
    });
  const plain = alerts.length === 1 && first ? `the ${first.level} alert ${first.name}` : `${alerts.length} alerts`;
  return { text: `Alerts added to this incident: ${escapeMrkdwn(plain)}`, blocks };
}

/** In an incident's channel: someone took alerts added by hand out of it again (see renderAttached). Pure. */
export function renderDetached(by: string, alerts: readonly AlertView[]): Message {
  const text = `:leftwards_arrow_with_hook: ${mention(by)} took ${alertsNamed(alerts)} out of this incident: ${alerts.length === 1 ? 'it is' : 'they are'} in no incident again, and ${alerts.length === 1 ? 'its' : 'their'} notice in the incidents channel offers *Declare incident* and *Add to an open incident* again.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * In a storm's incident channel: alerts storm control sent here were declared apart (Declare incident on the incidents
 * channel's message, or on their notice): which, where they went (a private incident not named), by whom, and that
 * this incident no longer follows them. Pure.
 */
export function renderMovedOut(
  alerts: readonly AlertView[],
  to: { number: number; channelId: string | null } | { private: true },
  by: string,
  /** Declared apart as `to`, or `to` (the incident they were in before they fired again) reopened for them. */
  how: 'declared' | 'reopened' = 'declared',
): Message {
  const where =
    'private' in to
      ? 'a private incident'
      : `incident #${to.number}${to.channelId ? ` (${channelLink(to.channelId)})` : ''}`;
  const [them, it] = alerts.length === 1 ? ['it', 'it is'] : ['them', 'they are'];
  const why =
    how === 'declared'
      ? `declared apart by ${mention(by)}`
      : `which ${mention(by)} reopened for ${them} (${alerts.length === 1 ? 'it' : 'they'} had fired again after it was resolved)`;
  const text = `:heavy_minus_sign: ${alertsNamed(alerts)} moved to ${where}, ${why}: ${it} no longer followed here, and the card no longer shows ${them}.`;
  const plain = `${alerts.length === 1 ? `The alert ${alerts[0]!.name}` : `${alerts.length} alerts`} moved to ${'private' in to ? 'a private incident' : `incident #${to.number}`}`;
  return {
    text: escapeMrkdwn(plain),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } }],
  };
}

/**
 * In a resolved incident's channel: its alerts fired again and, their source past its storm cap, joined another incident
 * open (a private one not named), where they are followed now; Reopen (while it is resolved) works on this one again
 * and brings them back here. Pure.
 */
export function renderFiredElsewhere(
  resolved: Incident,
  alerts: readonly AlertView[],
  joined: DeclaredApart,
  /** The incident was reopened since (by its Reopen, or any other way): said instead of the button. */
  reopened?: { by: string | null; at: Date | null },
): Message {
  const where =
    'private' in joined
      ? 'a private incident'
      : `incident #${joined.number}${joined.channelId ? ` (${channelLink(joined.channelId)})` : ''}`;
  const [it, its] = alerts.length === 1 ? ['it', 'its'] : ['they', 'their'];
  const named = alertsNamed(alerts);
  const source = alerts[0] ? mrkdwnClip(alerts[0].source, 40) : 'Its source';
  const lines = reopened
    ? [
        `:leftwards_arrow_with_hook: ${named.charAt(0).toUpperCase()}${named.slice(1)} fired again after this incident was resolved, and joined ${where} (${source} was past its storm cap, \`ALERTS_MAX_INCIDENTS\`).`,
        `:repeat: Reopened${reopened.by ? ` by <@${reopened.by}>` : ''}${reopened.at ? ` ${at(reopened.at)}` : ''}: this incident is worked on again. \`/incident alerts\` shows where ${its === 'its' ? 'the alert is' : 'they are'} followed now.`,
      ]
    : [
        `:leftwards_arrow_with_hook: ${named.charAt(0).toUpperCase()}${named.slice(1)} fired again after this incident was resolved. ${source} is past its storm cap (\`ALERTS_MAX_INCIDENTS\`), so ${it} joined ${where}, where ${it} ${alerts.length === 1 ? 'is' : 'are'} followed now, not here.`,
        resolved.status === 'resolved'
          ? `If this incident's trouble is back, *Reopen* works on it again and brings ${its === 'its' ? 'the alert' : 'them'} back here.`
          : null,
      ].filter((l): l is string => l !== null);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(lines.join('\n'), LIMITS.sectionText) } },
  ];
  if (!reopened && resolved.status === 'resolved' && alerts[0])
    blocks.push({
      type: 'actions',
      elements: [
        {
          ...button(ACTION.reopenForAlert, 'Reopen incident', alertRef.encode(alerts[0].id)),
          confirm: {
            title: { type: 'plain_text', text: `Reopen incident #${resolved.number}?` },
            text: {
              type: 'plain_text',
              text: `It goes back to Investigating, and ${alerts.length === 1 ? 'the alert leaves' : 'the alerts leave'} ${'private' in joined ? 'the incident it joined' : `#${joined.number}`} to be followed here again.`,
            },
            confirm: { type: 'plain_text', text: 'Reopen' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  const plain = `${alerts.length === 1 ? `The alert ${alerts[0]?.name ?? ''}` : `${alerts.length} alerts`} fired again after incident #${resolved.number} was resolved and joined ${'private' in joined ? 'a private incident' : `incident #${joined.number}`}`;
  return { text: escapeMrkdwn(plain), blocks };
}

/** The answer to Reopen on a message that an incident's alert fired again elsewhere (AlertService.reopenForAlert). */
export function renderReopenedForAlert(r: {
  incident: Pick<Incident, 'number'>;
  reopened: boolean;
  movedFrom: Pick<Incident, 'number' | 'private'> | null;
  alerts: readonly AlertView[];
}): string {
  const state = r.reopened
    ? `:repeat: You reopened incident #${r.incident.number}: it is Investigating again.`
    : `Incident #${r.incident.number} is open already.`;
  if (!r.movedFrom || r.alerts.length === 0)
    return `${state} Its alert is no longer in the incident it had joined, so nothing was moved: \`/incident alerts\` shows where it is.`;
  const from = r.movedFrom.private ? 'the private incident it had joined' : `#${r.movedFrom.number}`;
  return `${state} ${r.alerts.length === 1 ? 'Its alert left' : `${r.alerts.length} of its alerts left`} ${from} and ${r.alerts.length === 1 ? 'is' : 'are'} followed here again.`;
}

/** Where a firing alert is, after its line. */
export function placeOf(p: FiringAlertPlace): string {
  switch (p.kind) {
    case 'incident':
      return `→ incident #${p.number}${p.channelId ? ` ${channelLink(p.channelId)}` : ''}${p.resolved ? ' (resolved, still firing)' : ''}`;
    case 'private':
      return '→ a private incident';
    case 'security':
      return '→ its details went to on-call by direct message';
    case 'notice':
      return `→ its notice in ${channelLink(p.channelId)}`;
    case 'recorded':
      return '→ recorded only';
  }
}

/** Each alert level's emoji, where alerts are listed by level. */
export const LEVEL_EMOJI = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
} as const;
const LEVEL_HEADING = {
  critical: `${LEVEL_EMOJI.critical} *Critical*`,
  warning: `${LEVEL_EMOJI.warning} *Warning*`,
  info: `${LEVEL_EMOJI.info} *Info*`,
} as const;

/** The words of `/incident alerts WORDS` as typed (escaped), quoted; '' when none. */
const quotedWords = (q: AlertQuery | undefined) =>
  q && q.words.length > 0 ? `“${mrkdwnClip(q.words.join(' '), 100)}”` : '';

/** The command that lists from the `from`th alert on, with the same words. */
const listFrom = (q: AlertQuery | undefined, from: number) =>
  `\`/incident alerts${q && q.words.length > 0 ? ` ${mrkdwnClip(q.words.join(' '), 100)}` : ''}${from > 1 ? ` from ${from}` : ''}\``;

/**
 * What a list of `of` alerts (those holding the words) that shows `shown` from the `from`th says of the rest: which it
 * shows, how many more, the command that shows the next, and (without words) how to narrow it. '' when it shows all.
 */
function restOfList(q: AlertQuery | undefined, of: number, shown: number): string {
  const from = q?.from ?? 1;
  const more = of - (from - 1) - shown;
  const showing = from > 1 || more > 0 ? ` · showing ${from}–${from + shown - 1}` : '';
  if (more <= 0) return showing;
  const narrow =
    q && q.words.length > 0
      ? ''
      : ', `/incident alerts WORDS` only those holding every word (a host, an alert name, `firing`, `resolved`)';
  return `${showing} · ${more} more not shown: ${listFrom(q, from + shown)} shows the next${narrow}`;
}

/** A list asked from past its end (`from 500` of 300): how many there are, and the command from the first. */
const pastTheEnd = (q: AlertQuery | undefined, of: number, what: string) =>
  `${what}: ${of}, none from number ${q?.from ?? 1} on. ${listFrom(q, 1)} lists them from the first.`;

/**
 * What is firing now, whatever the source (`/incident alerts` outside an incident channel): by level, most severe
 * first, each alert's line and where it is (its incident, its notice, or recorded only). Pure.
 */
export function renderFiringAlerts(f: FiringAlerts, now: Date): Message {
  const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: 'Alerts firing now' } };
  const words = quotedWords(f.query);
  const alone = (text: string, fallback: string): Message => ({
    text: fallback,
    blocks: [header, { type: 'section', text: { type: 'mrkdwn', text } }],
  });
  if (f.total === 0 && words) {
    return alone(
      `No alert firing now holds ${words} (${at(now)}). \`/incident alerts\` lists every alert firing; in an incident channel, that incident's, resolved ones too.`,
      'No alert firing now holds those words.',
    );
  }
  if (f.total === 0) {
    return alone(
      `No alert from monitoring is firing now (${at(now)}). \`/incident alerts\` in an incident channel lists that incident's, resolved ones too.`,
      'No alert is firing now.',
    );
  }
  if (f.alerts.length === 0) {
    return alone(
      pastTheEnd(f.query, f.total, `Alerts firing now${words ? ` holding ${words}` : ''}`),
      'No alert firing from there.',
    );
  }
  // Each level's heading, then its alerts (in the order given: the most severe level first). Alerts of one name and
  // summary (a group's nodes) say the labels that tell them apart, as on the card.
  const telling = tellingLabels(f.alerts);
  const lines: { text: string; alert: boolean }[] = [];
  for (const level of ['critical', 'warning', 'info'] as const) {
    const of = f.alerts.filter((a) => a.level === level);
    if (of.length === 0) continue;
    lines.push({ text: `${LEVEL_HEADING[level]} (${of.length}${f.alerts.length < f.total ? '+' : ''})`, alert: false });
    for (const a of of) lines.push({ text: `${alertLine(a, telling(a))} ${placeOf(a.place)}`, alert: true });
  }
  const { blocks: listed, shown } = packLines(
    lines.map((l) => l.text),
    LIMITS.blocksPerMessage - 2,
  );
  const shownAlerts = lines.slice(0, shown).filter((l) => l.alert).length;
  const footer: KnownBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${f.total} firing${words ? ` holding ${words}` : ''}${restOfList(f.query, f.total, shownAlerts)} · as of ${at(now)} · in an incident channel, \`/incident alerts\` lists that incident's`,
      },
    ],
  };
  const text = `Alerts firing now (${f.total}):\n${f.alerts
    .slice(0, shownAlerts)
    .map((a) => `${a.level} ${a.name}: ${a.summary}`)
    .join('\n')}`;
  return { text: mrkdwnClip(text, LIMITS.messageText / 2), blocks: [header, ...listed, footer] };
}

/**
 * The card's alert section: the alerts' state, first and last seen and count, the runbook's action for them, a storm
 * and the incident they opened before when there is one. At most the alerts the view holds, then "and N more". Pure.
 */
export function renderAlertSection(v: AlertCardView): KnownBlock[] {
  const head = [
    `:rotating_light: *Alerts* · ${counted(v)}`,
    ...v.rules.map(
      (r) =>
        `*Runbook:* ${mrkdwnClip(r.name, 60)} ${thresholdFor(r)} — ${mrkdwnClip(r.action, RUNBOOK_TEXT_MAX.alertAction)}`,
    ),
    v.storm
      ? `:cyclone: *Alert storm:* ${mrkdwnClip(v.storm.source, 40)} reached its cap of ${capOf(v.storm.maxIncidents)} opened in 10 minutes; its further critical alerts join this one.`
      : null,
    ...v.truncated.map(
      (t) =>
        `:warning: *${t.count.toLocaleString('en-US')} more alert${t.count === 1 ? '' : 's'} not sent:* ${mrkdwnClip(t.source, 40)} left ${t.count === 1 ? 'it' : 'them'} out of ${t.groups === 'storm' ? "its latest deliveries of this storm's groups" : 'its latest delivery of this group'} (its webhook's \`max_alerts\`), so ${t.count === 1 ? 'it is' : 'they are'} not listed here: see them in Alertmanager, or raise \`max_alerts\`.`,
    ),
    v.follows
      ? `:leftwards_arrow_with_hook: The same alert was in ${'private' in v.follows ? 'a private incident' : `incident #${v.follows.number}${v.follows.channelId ? ` (${channelLink(v.follows.channelId)})` : ''}`} before; it was resolved and fired again.`
      : null,
  ].filter(Boolean);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(head.join('\n'), LIMITS.sectionText) } },
  ];
  const telling = tellingLabels(v.alerts);
  const lines = v.alerts.map((a) => alertLine(a, telling(a)));
  const { blocks: listed, shown } = packLines(lines, 1);
  blocks.push(...listed);
  const more = v.total - shown;
  if (more > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${more} more: \`/incident alerts\` lists every one.` }],
    });
  }
  return blocks;
}

/** What a notice calls its alert: a warning, or a critical alert (one a maintenance window held back). */
const NOTICE_LABEL = { critical: 'Critical alert', warning: 'Warning', info: 'Alert' } as const;

/**
 * An alert in the incidents channel, for a person to decide on: what fired and what the runbook says, and Declare
 * incident. A warning's; or a critical alert's that a maintenance window held back (recorded, not declared, as its
 * runbook row says), which the notice says. Pure.
 */
export function renderAlertNotice(
  n: AlertNoticeView,
  /** `direct`: a security alert's notice sent to on-call by direct message (see AlertNoticeView.security). */
  to: 'channel' | 'direct' = 'channel',
  /**
   * Sent directly: whether the incidents channel heard that the alert fired (there is one, and private incidents are
   * announced there as such), which the message tells on-call; else the channel heard nothing of it.
   */
  channelHeard = false,
): Message {
  // Withdrawn: on-call's direct copy (if it was sent one) as the channel's, naming nothing of the alert either.
  if (n.withdrawn) return renderWithdrawnNotice(n);
  if (n.security && to === 'channel') return renderSecurityNotice(n);
  const notice = n.group ? renderGroupNotice(n, n.group) : renderOneNotice(n);
  if (!n.security) return notice;
  // Sent to on-call alone: said why, and only Declare incident (its form has Private ticked); Add to an open incident
  // would offer public incidents too.
  const heard = channelHeard
    ? `the incidents channel was told only that ${n.group ? 'security alerts' : 'a security alert'} fired, nothing of what`
    : `the incidents channel was told nothing of ${n.group ? 'them' : 'it'}`;
  const why = `:lock: *Sent to you directly, on call:* ${n.group ? 'these alerts read' : 'this alert reads'} as a security matter, so ${heard}. Declaring from here opens a private incident.`;
  const blocks = notice.blocks.map((b) =>
    b.type === 'actions'
      ? { ...b, elements: b.elements.filter((e) => 'action_id' in e && e.action_id !== ACTION.attachAlert) }
      : b,
  );
  return { text: `Security alert (sent to you directly): ${notice.text}`, blocks: [sectionOf(why), ...blocks] };
}

const sectionOf = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * A notice in the incidents channel whose alerts (no security alert among them) joined a private incident, their
 * group's, after it was posted: withdrawn, naming nothing of the alert, nor why the group is handled privately (its
 * host and addresses, or a word of security, would tell what the private incident is about), or from which someone
 * declared a private incident (said so). No button. On-call's direct copy, if it was sent one, the same: the private
 * incident, not a DM, is where its alerts are seen now. Pure.
 */
function renderWithdrawnNotice(n: AlertNoticeView): Message {
  const what = n.group ? 'these alerts' : 'this alert';
  // Someone declared a private incident from the notice itself (its button, Private ticked): said so, as ever.
  const byHand = n.declared && 'private' in n.declared && !n.declared.joined && !n.declared.attached;
  const text = byHand
    ? `:lock: *This notice was withdrawn:* a private incident was declared from ${what}, so what it showed is no longer shown here.`
    : ':information_source: *This notice was withdrawn:* its alert is now handled privately, with the other alerts of its group, so what it showed is no longer shown here.';
  return { text: 'Alert notice withdrawn: its alert is now handled privately', blocks: [sectionOf(text)] };
}

/**
 * A security alert's notice in the incidents channel: that one fired, at which level, and whether it resolved or an
 * incident was declared from it, no more than a private incident's announcement says (no name, summary, labels,
 * values or links, no button: on-call has the notice whole). Pure.
 */
function renderSecurityNotice(n: AlertNoticeView): Message {
  const a = n.alert;
  const firing = n.group ? n.group.firing > 0 : a.status === 'firing';
  const what = `${n.group ? 'Security alerts' : 'A security alert'} fired (${a.level} level)`;
  const text = firing
    ? `:lock: *${what}.* What fired went to on-call directly; it is not shown here.`
    : `:white_check_mark: *${what}, and ${n.group ? 'have' : 'has'} resolved.* What fired went to on-call directly; it is not shown here.`;
  const blocks: KnownBlock[] = [sectionOf(text)];
  if (n.declared) blocks.push(...noticeOutcome(n, n.group ? 'these alerts' : 'this alert', !firing));
  return { text: `${what}: sent to on-call directly`, blocks };
}

function renderOneNotice(n: AlertNoticeView): Message {
  const a = n.alert;
  const emoji =
    a.status === 'resolved' ? ':white_check_mark:' : a.level === 'critical' ? ':rotating_light:' : ':warning:';
  const title = `${emoji} *${NOTICE_LABEL[a.level]}:* ${namedWithLinks(a)} — ${mrkdwnClip(a.summary, 300)}`;
  const held =
    a.level === 'critical' && a.maintenance
      ? `:construction: *Recorded, not declared:* a maintenance window is open and the runbook's row for this alert says \`during_maintenance: record\`.${a.status === 'firing' && !n.declared ? ' Declare an incident if it needs one; if it still fires once the window is over, the bot declares it.' : ''}`
      : null;
  const facts = [
    `*Source* ${mrkdwnClip(a.source, 40)}`,
    a.service ? `*Service* ${mrkdwnClip(a.service, 60)}` : null,
    measured(a) ? `*Measured* ${measured(a)}` : null,
    n.rule ? `*Threshold* ${thresholdFor(n.rule)}` : null,
  ].filter(Boolean);
  const lines = [
    title,
    facts.join(' · '),
    runbookAction(n),
    `${a.status === 'resolved' ? `Resolved ${a.resolvedAt ? at(a.resolvedAt) : ''}` : 'Firing'} · first ${at(a.firstSeen)} · last ${at(a.lastSeen)} · ×${a.count}`,
    held,
    beforeLine(n),
  ].filter((l): l is string => Boolean(l));
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines(lines) } }];
  blocks.push(...noticeOutcome(n, 'this alert', a.status === 'resolved'));
  const text = `${a.status === 'resolved' ? 'Resolved' : a.level === 'critical' ? 'Critical' : 'Warning'} alert ${mrkdwnClip(a.name, 80)}${held ? ' (recorded during maintenance, not declared)' : ''}: ${mrkdwnClip(a.summary, 300)}`;
  return { text, blocks };
}

/**
 * A notice's runbook line: its row's action, and the playbook the row points at (the one an incident declared from it
 * is given, as its card shows); null without a row.
 */
function runbookAction(n: AlertNoticeView): string | null {
  if (!n.rule) return null;
  const playbook = n.rule.playbook
    ? ` · *Playbook:* ${mrkdwnClip(n.rule.playbook.title, RUNBOOK_TEXT_MAX.playbookTitle)}`
    : '';
  return `*Runbook action:* ${mrkdwnClip(n.rule.action, RUNBOOK_TEXT_MAX.alertAction)}${playbook}`;
}

/** The incident the notice's alert was in before it fired again (said while no incident holds it); null: none. */
function beforeLine(n: AlertNoticeView): string | null {
  if (!n.before || n.declared) return null;
  const where =
    'private' in n.before
      ? 'a private incident'
      : `incident #${n.before.number}${n.before.channelId ? ` (${channelLink(n.before.channelId)})` : ''}`;
  return `:leftwards_arrow_with_hook: The same alert was in ${where} before; it was resolved and this alert fired again.`;
}

/**
 * The notice's last part: who declared an incident from it, or its Declare incident button; once every alert of it
 * has resolved, the button stays (the incident may not be over) but is not the one to press first, and says so.
 */
function noticeOutcome(n: AlertNoticeView, what: 'this alert' | 'these alerts', resolved: boolean): KnownBlock[] {
  if (n.declared) {
    const source = mrkdwnClip(n.alert.source, 40);
    const cap = `past the storm cap: ${source} had opened as many incidents from alerts as \`ALERTS_MAX_INCIDENTS\` allows in 10 minutes, so storm control sent ${what === 'these alerts' ? 'them' : 'it'} there instead of declaring one`;
    const said = n.declared.joined
      ? 'private' in n.declared
        ? `:lock: ${what === 'these alerts' ? 'These alerts' : 'This alert'} joined a private incident, ${cap}.`
        : `:twisted_rightwards_arrows: Joined incident #${n.declared.number}${n.declared.channelId ? ` in ${channelLink(n.declared.channelId)}` : ''}, ${cap}. A different trouble? Declare incident takes ${what === 'these alerts' ? 'them' : 'it'} out of #${n.declared.number} into ${what === 'these alerts' ? 'their' : 'its'} own.`
      : 'private' in n.declared
        ? n.declared.attached
          ? `:lock: ${what === 'these alerts' ? 'These alerts were' : 'This alert was'} added to a private incident.`
          : `:lock: A private incident was declared from ${what}.`
        : `${n.declared.attached ? 'Added to' : 'Declared as'} incident #${n.declared.number}${n.declared.channelId ? ` in ${channelLink(n.declared.channelId)}` : ''} by ${mention(n.declared.by)}.`;
    const context: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: said }] };
    // Joined a storm's public incident: it may be a different trouble, declared apart from here as from the incidents
    // channel's message of names new to that incident.
    if (!n.declared.joined || 'private' in n.declared || resolved) return [context];
    return [
      context,
      {
        type: 'actions',
        block_id: `${BLOCK.alertNoticeActions}:${n.alert.id}`,
        elements: [button(ACTION.declareFromAlert, 'Declare incident', alertRef.encode(n.alert.id))],
      },
    ];
  }
  const actions: KnownBlock = {
    type: 'actions',
    block_id: `${BLOCK.alertNoticeActions}:${n.alert.id}`,
    elements: [
      button(
        ACTION.declareFromAlert,
        'Declare incident',
        alertRef.encode(n.alert.id),
        resolved ? undefined : 'primary',
      ),
      // What it warns of may be part of an incident already open: its alerts join that one instead.
      button(ACTION.attachAlert, 'Add to an open incident', alertRef.encode(n.alert.id)),
    ],
  };
  if (!resolved) return [actions];
  const note = `Every alert of it has resolved: declare an incident only if what it warned of is not over.`;
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: note }] }, actions];
}

/**
 * A group's alerts in one notice (a delivery of many warnings, or warnings of the group that came while its notice
 * was live): how many fire, what the runbook says, each alert's line (the first few), and one Declare incident, which
 * takes every firing alert of the group into the incident. Pure.
 */
function renderGroupNotice(n: AlertNoticeView, g: NonNullable<AlertNoticeView['group']>): Message {
  const a = n.alert;
  const listed = g.alerts;
  const label = NOTICE_LABEL[a.level];
  const emoji = g.firing === 0 ? ':white_check_mark:' : a.level === 'critical' ? ':rotating_light:' : ':warning:';
  const names = [...new Set(listed.map((x) => x.name))];
  const named = names
    .slice(0, 3)
    .map((name) => `${boldName(name, 60)}`)
    .join(', ');
  const resolved = g.total - g.firing;
  const head = `${emoji} *${label}s of one group: ${g.total}* (${g.firing} firing${resolved ? `, ${resolved} resolved` : ''}) — ${named}${names.length > 3 ? ', …' : ''}`;
  const facts = [`*Source* ${mrkdwnClip(a.source, 40)}`, n.rule ? `*Threshold* ${thresholdFor(n.rule)}` : null].filter(
    Boolean,
  );
  const held =
    a.level === 'critical' && a.maintenance
      ? ":construction: *Recorded, not declared:* a maintenance window is open and the runbook's row for these alerts says `during_maintenance: record`."
      : null;
  const top = [head, facts.join(' · '), runbookAction(n), held].filter(Boolean).join('\n');
  const telling = tellingLabels(listed);
  const { blocks: lines, shown } = packLines(
    listed.map((x) => alertLine(x, telling(x))),
    3,
  );
  const more = g.total - shown;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(top, LIMITS.sectionText) } },
    ...lines,
  ];
  if (more > 0)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${more} more of this group${g.firing > 0 ? ': `/incident alerts` lists what fires' : ''}.`,
        },
      ],
    });
  if (g.leftOut)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${g.leftOut.toLocaleString('en-US')} more not sent by ${mrkdwnClip(a.source, 40)} (its \`max_alerts\`): see them there.`,
        },
      ],
    });
  blocks.push(...noticeOutcome(n, 'these alerts', g.firing === 0));
  const text = `${g.firing === 0 ? 'Resolved' : label} alerts: ${g.total} of one group (${g.firing} firing), ${names
    .slice(0, 3)
    .map((x) => mrkdwnClip(x, 60))
    .join(', ')}`;
  return { text, blocks };
}

/**
 * The answer to Declare incident on an alert already in an open incident, told to whoever clicked (anyone in the
 * incidents channel): a private incident is not named. Pure.
 */
export function alreadyInIncident(incident: Incident): string {
  if (incident.private) {
    return ':lock: This alert is already in a private incident. If you should be part of it, ask the security responders to invite you.';
  }
  const where = incident.channelId ? ` in ${channelLink(incident.channelId)}` : '';
  return `:information_source: This alert is already in incident #${incident.number}${where}.`;
}

/** Every alert of the incident resolved: said in its channel, with Resolve incident. Pure. */
export function renderAllResolved(i: Incident, v: AlertCardView): Message {
  // One that fired again after the incident was resolved (followed in a later incident) did not resolve: its time is
  // not a resolution's, and it is not said to have resolved.
  const movedOn = v.alerts.filter((a) => a.firedAgainAt).length;
  const last = v.alerts
    .filter((a) => !a.firedAgainAt)
    .map((a) => a.resolvedAt)
    .filter((d): d is Date => d !== null);
  const latest = last.length ? new Date(Math.max(...last.map((d) => d.getTime()))) : null;
  const only = v.total === 1 ? v.alerts[0] : undefined;
  const info = v.firingInfo ?? 0;
  const stillInfo = info
    ? `; ${info === 1 ? '1 info alert still fires' : `${info} info alerts still fire`}, recorded only: ${info === 1 ? 'it keeps' : 'they keep'} no incident open`
    : '';
  const moved = movedOn
    ? ` or, for ${movedOn === 1 ? 'one' : movedOn}, fired again after the incident was resolved and is followed in a later incident`
    : '';
  const head =
    movedOn || info
      ? `Every ${info ? 'critical and warning ' : ''}alert of this incident has resolved${latest ? ` (the last ${at(latest)})` : ''}${moved}${stillInfo}`
      : only
        ? `Every alert of this incident has resolved (its one alert, ${boldName(only.name, 80)}${latest ? `, ${at(latest)}` : ''})`
        : `Every alert of this incident has resolved (all ${v.total}${latest ? `, the last ${at(latest)}` : ''})`;
  const text = `:white_check_mark: ${head}. If the incident is over, resolve it; if not, carry on: an alert that fires again shows here.`;
  return {
    text: `Every alert of incident #${i.number} has resolved.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: `${BLOCK.alertsResolvedActions}:${i.id}`,
        elements: [button(ACTION.resolve, 'Resolve incident', String(i.id), 'primary')],
      },
    ],
  };
}

/**
 * The offer to resolve (renderAllResolved) once it no longer stands, in place: what it said, and why its Resolve
 * incident button is gone. Pure.
 */
export function renderResolveOfferClosed(
  i: Incident,
  why: OfferClosed,
  /** The incident has an info alert (recorded only: one may still fire, as it kept no incident open). */
  hasInfo = false,
): Message {
  // What the offer said; the info alerts' caveat only for an incident that has one (a reader would look for it).
  const said = hasInfo
    ? ':white_check_mark: Every alert of this incident had resolved (info alerts aside: they keep no incident open).'
    : ':white_check_mark: Every alert of this incident had resolved.';
  const now =
    why.kind === 'resolved'
      ? `:white_check_mark: The incident was *resolved*${why.by ? ` by ${mention(why.by)}` : ''} ${at(why.at)}.`
      : why.kind === 'added'
        ? `:link: A firing alert was added to this incident ${at(why.at)}: the incident is not over, so this offer no longer stands.`
        : `:fire: An alert of this incident is firing (${at(why.at)}): the incident is not over, so this offer no longer stands.`;
  return {
    text: `Every alert of incident #${i.number} had resolved.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: said } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: now }] },
    ],
  };
}

/**
 * In the incident's channel, after it was told every alert had resolved: an alert fires again, so the incident is not
 * over (the offer to resolve it no longer stands). The firing alerts, as the card lists them. Pure.
 */
export function renderFiredAgain(i: Incident, v: AlertCardView): Message {
  // Info alerts are recorded only: they neither made the offer wait nor close it.
  const firing = v.alerts.filter((a) => a.status === 'firing' && a.level !== 'info');
  const count = pressingCount(v);
  const shown = firing.slice(0, 3);
  const telling = tellingLabels(v.alerts);
  const more = count - shown.length;
  // Firing again, or new to the incident (another node of its group): either way firing now.
  const text = `:fire: ${count === 1 ? 'An alert of this incident is firing' : `${count} alerts of this incident are firing`} after every one had resolved: the incident is not over, and the offer above to resolve it no longer stands.`;
  return {
    text: `An alert of incident #${i.number} is firing again.`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...shown.map((a) => ({
        type: 'section' as const,
        text: { type: 'mrkdwn' as const, text: alertLine(a, telling(a)) },
      })),
      ...(more > 0
        ? [
            {
              type: 'context' as const,
              elements: [{ type: 'mrkdwn' as const, text: `…and ${more} more: \`/incident alerts\` lists them.` }],
            },
          ]
        : []),
    ],
  };
}

/** `1 alert of this incident still fires`, `3 alerts of this incident still fire`: the resolve form's and resolution's. */
export const alertsStillFiring = (count: number) =>
  count === 1 ? '1 alert of this incident still fires' : `${count} alerts of this incident still fire`;

/** Storm control's cap, as said: `one incident`, `3 incidents`. */
const capOf = (max: number) => (max === 1 ? 'one incident' : `${max} incidents`);

/**
 * Storm control started sending a source's further critical alerts to this incident: said once, in its channel
 * (`here`) and in the incidents channel (`everyone`, naming the incident). `back`: they come back to it, after the
 * storm had left it (its channel is told so; the incidents channel's message says it as any move). Pure.
 */
export function renderStorm(
  i: Incident,
  s: { source: string; maxIncidents: number; back?: boolean },
  to: 'here' | 'everyone',
  /** The incidents the storm sent them to before this one, oldest first (the incidents channel's message, updated). */
  earlier: readonly { number: number; channelId: string | null }[] = [],
  /**
   * Its thread has a reply telling a move (the message names the earlier incidents: it says the thread tells when it
   * changed). A message posted with them by a later step, its first post refused, has none yet.
   */
  threaded = false,
): Message {
  const source = boldName(s.source, 40);

  const where = to === 'here' ? 'this incident' : `incident #${i.number}${i.channelId ? ` (<#${i.channelId}>)` : ''}`;
  const before = earlier.length
    ? ` now (before: ${earlier
        .slice(-5)
        .map((e) => `#${e.number}`)
        .join(', ')}${threaded ? '; the thread says when it changed' : ''})`
    : '';
  const text =
    // The cap, not a count: past it, an alert with no open incident on its side (public or private) opens one still.
    `:cyclone: *Alert storm:* ${source} reached its cap of ${capOf(s.maxIncidents)} opened in 10 minutes (\`ALERTS_MAX_INCIDENTS\`); ` +
    `its further critical alerts join an open incident that has their alert (or runbook row); those of no open incident's alert join ${where}${before}, the storm's incident, instead of opening more; ` +
    'one more severe than every incident open opens its own. None is dropped: ' +
    `\`/incident alerts\`${to === 'here' ? '' : ' in its channel'} lists every one.`;
  if (s.back && to === 'here') {
    const back =
      `:cyclone: *Alert storm back:* ${source}'s further critical alerts join this incident again, the storm's ` +
      'incident once more, instead of opening more (one more severe than every incident open opens its own). ' +
      'None is dropped: `/incident alerts` lists every one.';
    return {
      text: `Alert storm: ${mrkdwnClip(s.source, 40)}'s further critical alerts join this incident again`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: back } }],
    };
  }
  return {
    text: `Alert storm: ${mrkdwnClip(s.source, 40)}'s further critical alerts join ${to === 'here' ? 'this incident' : `incident #${i.number}`}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/**
 * In the thread of the incidents channel's storm message: the storm's further critical alerts now join another
 * incident (the one they joined was resolved, or one more severe was opened past the cap). Pure.
 */
export function renderStormMoved(
  i: Incident,
  source: string,
  from: { number: number; channelId: string | null } | null,
): Message {
  const where = `incident #${i.number}${i.channelId ? ` (<#${i.channelId}>)` : ''}`;
  const text = `:cyclone: ${boldName(source, 40)}'s further critical alerts now join ${where}${from ? `, no longer #${from.number}` : ''}.`;
  return {
    text: `Alert storm: ${mrkdwnClip(source, 40)}'s further critical alerts now join incident #${i.number}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/**
 * In the channel of an incident a storm's further critical alerts joined: they now join `now` instead (it was
 * resolved, or one more severe was opened past the cap). Said for a private storm, whose moves the incidents channel
 * does not hear; `now` is private too, named to the people of this one as a storm's other messages name it. Pure.
 */
export function renderStormMovedAway(now: Incident, source: string): Message {
  const where = `incident #${now.number}${now.channelId ? ` (<#${now.channelId}>)` : ''}`;
  const text = `:cyclone: *Alert storm:* ${boldName(source, 40)}'s further critical alerts no longer join this incident: they now join ${where}.`;
  return {
    text: `Alert storm: ${mrkdwnClip(source, 40)}'s further critical alerts now join incident #${now.number}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** The names a message about alerts that joined names at most (the card lists every alert). */
const JOINED_NAMES_SHOWN = 5;

/**
 * In an incident's channel: alerts of names new to it joined it (storm control sent a source's further critical alerts
 * here), one line for them all: each name (its level, how many), the first few, then how many more names. Pure.
 */
export function renderJoined(
  alerts: readonly AlertView[],
  /** The resolved incident an alert was in before it fired again, by the alert's id (a private one not named). */
  before: ReadonlyMap<number, { number: number; channelId: string | null } | { private: true }> = new Map(),
): Message {
  const byName = new Map<string, AlertView[]>();
  for (const a of alerts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  const named = [...byName].slice(0, JOINED_NAMES_SHOWN).map(([name, of]) => {
    const levels = [...new Set(of.map((a) => a.level))].join('/');
    return `${boldName(name, 80)} (${levels}${of.length > 1 ? `, ×${of.length}` : ''})`;
  });
  const more = byName.size - named.length;
  const sources = [...new Set(alerts.map((a) => mrkdwnClip(a.source, 40)))].join(', ');
  const [these, show] = alerts.length === 1 ? ['it', 'shows it'] : ['them', 'shows them'];
  const earlier = [...byName]
    .slice(0, JOINED_NAMES_SHOWN)
    .flatMap(([name, of]) => {
      const b = of.map((a) => before.get(a.id)).find((x) => x !== undefined);
      if (!b) return [];
      const where =
        'private' in b
          ? 'a private incident'
          : `incident #${b.number}${b.channelId ? ` (${channelLink(b.channelId)})` : ''}`;
      return [`${boldName(name, 80)} fired before in ${where}, resolved since: it fired again and came here.`];
    })
    .join(' ');
  const text = `:heavy_plus_sign: *New alert${alerts.length === 1 ? '' : 's'} attached* from ${sources}: ${named.join(', ')}${more > 0 ? `, and ${more} more name${more === 1 ? '' : 's'}` : ''}. The card ${show} with the others; \`/incident alerts\` lists ${these}.${earlier ? ` ${earlier}` : ''}`;
  const plain = [...byName.keys()].slice(0, JOINED_NAMES_SHOWN).join(', ');
  return {
    text: `New alert${alerts.length === 1 ? '' : 's'} attached to this incident: ${escapeMrkdwn(plain)}${more > 0 ? ', …' : ''}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } }],
  };
}

/**
 * In the incidents channel: alerts of names new to a public incident joined it under storm control (their source past
 * its cap), so that people watching the channel see a different trouble too, each name shown with Declare incident
 * (the declare form, prefilled: declared, its alerts leave this incident for the new one). Pure.
 */
export function renderJoinedElsewhere(
  i: Incident,
  alerts: readonly AlertView[],
  source: string,
  /** Those declared apart since, by the id of the alert a name's button declared: the button says where instead. */
  apart: ReadonlyMap<number, DeclaredApart> = new Map(),
  /** Why storm control sent them there (absent: their group's alerts were there already). */
  why?: JoinedWhy,
): Message {
  const byName = new Map<string, AlertView[]>();
  for (const a of alerts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  const shown = [...byName].slice(0, JOINED_NAMES_SHOWN);
  const more = byName.size - shown.length;
  const one = alerts.length === 1;
  const where = `incident #${i.number}${i.channelId ? ` (${channelLink(i.channelId)})` : ''}`;
  const because =
    why === 'storm'
      ? `, the storm's incident: no open incident of ${boldName(source, 40)} has ${one ? 'its alert or runbook row' : 'their alerts or runbook row'}, and #${i.number} is the one its storm sends such alerts to (the least severe open that is as severe as they are)`
      : why === 'same_row'
        ? `, because it has alerts of the same runbook row`
        : ', where the other alerts of their group are';
  const head = `:cyclone: *Alert storm:* ${boldName(source, 40)} is past its cap of incidents from alerts, so ${one ? 'an alert of a name new to it' : 'alerts of names new to it'} joined ${where}${because}, instead of opening ${one ? 'its own' : 'their own'}. If ${one ? 'it is' : 'one is'} a different trouble, declare it apart: its alerts leave #${i.number} for the new incident.`;
  const lines = shown.map(([name, of]) => {
    const first = of[0]!;
    const levels = [...new Set(of.map((a) => a.level))].join('/');
    const text = `${stateEmoji(first)} ${boldName(name, 80)} (${levels}${of.length > 1 ? `, ×${of.length}` : ''}): ${mrkdwnClip(first.summary || name, 300)}`;
    const went = apart.get(first.id);
    if (went) {
      const where =
        'private' in went
          ? ':lock: Declared apart, as a private incident.'
          : went.reopened
            ? `:repeat: Back in #${went.number}${went.channelId ? ` (${channelLink(went.channelId)})` : ''}, reopened for it.`
            : `:white_check_mark: Declared as #${went.number}${went.channelId ? ` (${channelLink(went.channelId)})` : ''}.`;
      return {
        type: 'section' as const,
        text: { type: 'mrkdwn' as const, text: clipEscaped(`${text}\n${where}`, LIMITS.sectionText) },
      };
    }
    return {
      type: 'section' as const,
      text: { type: 'mrkdwn' as const, text: clipEscaped(text, LIMITS.sectionText) },
      accessory: button(ACTION.declareFromAlert, 'Declare incident', alertRef.encode(first.id)),
    };
  });
  const tail =
    more > 0
      ? [
          {
            type: 'context' as const,
            elements: [
              {
                type: 'mrkdwn' as const,
                text: `…and ${more} more name${more === 1 ? '' : 's'}: \`/incident alerts\` in its channel lists them.`,
              },
            ],
          },
        ]
      : [];
  return {
    text: `Alert storm: ${escapeMrkdwn([...byName.keys()].slice(0, JOINED_NAMES_SHOWN).join(', '))}${more > 0 ? ', …' : ''} from ${mrkdwnClip(source, 40)} joined incident #${i.number}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(head, LIMITS.sectionText) } },
      ...lines,
      ...tail,
    ],
  };
}

/**
 * Storm control opened this incident past its source's cap, its alerts more severe than every incident of the source
 * open: said in its channel (`here`) and in the incidents channel (`everyone`, naming it), so nobody takes it for a cap
 * not working. Pure.
 */
export function renderPastCap(i: Incident, v: PastCapView, to: 'here' | 'everyone'): Message {
  const source = boldName(v.source, 40);
  const what =
    to === 'here' ? 'This incident' : `Incident #${i.number}${i.channelId ? ` (${channelLink(i.channelId)})` : ''}`;
  const text =
    `:cyclone: *Past the storm cap:* ${what} was opened although ${source} reached its cap of ${capOf(v.maxIncidents)} opened in 10 minutes (\`ALERTS_MAX_INCIDENTS\`): ` +
    `its alerts declare ${severityLabel(v.severity)}, more severe than every incident of ${source} open (the most severe ${severityLabel(v.than)}), ` +
    'so joining one would have hidden a worse trouble in a lesser incident.';
  return {
    text: `${to === 'here' ? 'This incident' : `Incident #${i.number}`} was opened past ${mrkdwnClip(v.source, 40)}'s storm cap: its alerts are more severe than every one open`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } }],
  };
}

/**
 * The declarer's answer, when the alert a notice's Declare incident declared had resolved before they submitted the
 * form: declared as they asked, but said, with when, and what its channel offers. Pure.
 */
export function renderResolvedBeforeDeclared(v: { name: string; at: Date; stillFiring: number }): string {
  const still =
    v.stillFiring > 0
      ? `${v.stillFiring === 1 ? '1 other alert of its group still fires' : `${v.stillFiring} other alerts of its group still fire`} in the incident.`
      : 'Nothing of it fires now: its channel offers *Resolve incident*; if the trouble is not over, carry on.';
  return `:warning: The alert ${boldName(v.name, 80)} had resolved ${at(v.at)}, before you declared: monitoring no longer sees it. ${still}`;
}

/** A heartbeat gone quiet, or back, in the incidents channel: what it means and what to do (its row's action). Pure. */
export function renderHeartbeat(v: HeartbeatView): Message {
  const name = `${boldName(v.rule.name, 60)} from ${boldName(v.source, 40)}`;
  const silent = describeDuration(Math.max(0, Math.round((v.now.getTime() - v.since.getTime()) / 1000) * 1000));
  const why = v.resolved
    ? `${name} resolved ${at(v.since)}: an alert that always fires has stopped firing (its source no longer hears from what raises it)`
    : `no ${name} for ${silent} (its heartbeat is ${describeDuration(v.rule.heartbeatMs)}; the last came ${at(v.since)})`;
  const text = v.quiet
    ? `:warning: *Monitoring may be down:* ${why}. Alerts may not be reaching anyone until it is back.\n*Runbook action:* ${mrkdwnClip(v.rule.action, RUNBOOK_TEXT_MAX.alertAction)}`
    : `:white_check_mark: ${name} is back, after ${silent} without it (from ${at(v.since)}): alerts reach the bot again. Whatever fired meanwhile is sent again by its source while it still fires.`;
  return {
    text: v.quiet
      ? v.resolved
        ? `Monitoring may be down: ${v.rule.name} from ${v.source} resolved.`
        : `Monitoring may be down: no ${v.rule.name} from ${v.source} for ${silent}.`
      : `${v.rule.name} from ${v.source} is back.`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } }],
  };
}

/**
 * In the incidents channel: incidents from alerts wait for Slack's channel budget, with how many and when the next
 * comes; nothing is dropped. Pure.
 */
export function renderChannelBudget(v: ChannelBudgetView): Message {
  const next = describeDuration(Math.max(1, Math.ceil(v.nextInMs / 1000)) * 1000);
  const text = `:hourglass_flowing_sand: *Incidents from alerts are waiting:* ${mrkdwnClip(v.limit, 200)}, and they were all used just now. Incidents from alerts wait their turn to be declared: each is declared, and its on-call paged, as channels come free (the next in about ${next}). No alert is dropped; \`/incident alerts\` lists what fires.`;
  return {
    text: `Incidents from alerts wait for Slack's limit on new channels; the next in about ${next}.`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/**
 * A critical alert whose incident waits for Slack's channel budget, sent to the people its declaration will page, at
 * once: what fired, and that their page (with the incident's channel) follows as soon as a channel is free. Pure.
 */
export function renderWaitingForChannel(v: WaitingForChannelView): Message {
  const next = describeDuration(Math.max(1, Math.ceil(v.nextInMs / 1000)) * 1000);
  const what = v.title === null ? 'A security alert' : `${boldName(v.title, 200)}`;
  const head = `:rotating_light: *You are on call:* a critical alert fired (${mrkdwnClip(v.source, 40)}, ${severityLabel(v.severity)}). Its incident waits for Slack's limit on new channels (the next in about ${next}), so you are told now rather than when it opens.`;
  const todo =
    'Your page, with the incident channel and *Acknowledge*, follows as soon as its channel is open. Meanwhile follow the runbook; `/incident alerts` lists what fires.';
  return {
    text: `On call: a critical alert fired (${v.source}, ${severityLabel(v.severity)})${v.title === null ? '' : `: ${v.title}`}; its incident channel follows shortly`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines([head, what, todo]) } }],
  };
}

/**
 * A critical alert whose incident Slack would not let the bot open (its channel refused): in the incidents channel and,
 * as `dm`, to the people its declaration would have paged. What fired, what Slack said, and what to do meanwhile.
 * Pure.
 */
export function renderNotDeclared(v: NotDeclaredView, dm: boolean): Message {
  const what = v.title === null ? 'A security alert' : `${boldName(v.title, 200)}`;
  const head = `:rotating_light: ${dm ? 'You would be paged: a' : 'A'} critical alert fired (${mrkdwnClip(v.source, 40)}, ${severityLabel(v.severity)}) and its incident *could not be opened*: Slack answered \`${mrkdwnClip(v.slackError, 60)}\` when the bot made its channel.`;
  const todo = `The bot keeps trying, and pages on-call as soon as the incident is open. Meanwhile follow the runbook by hand${dm ? '' : ' (page on-call yourself)'}, and have a Slack admin let the app create channels (its \`channels:manage\` scope, the workspace's channel-creation policy).`;
  return {
    text: `${dm ? 'Paged by hand: ' : ''}a critical alert's incident could not be opened (Slack: ${v.slackError})${v.title === null ? '' : `: ${v.title}`}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: wholeLines([head, what, todo]) } }],
  };
}

/** `/incident alerts`: every alert of the incident, firing first; past Slack's limits, how many more. Pure. */
export function renderAlertList(i: Incident, list: AlertList): Message {
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`Alerts · #${i.number} ${i.title}`, LIMITS.headerText) },
    },
  ];
  const alone = (text: string, fallback: string): Message => {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
    return { text: fallback, blocks };
  };
  if (list.total === 0) {
    return alone(
      'No monitoring alert is linked to this incident: it was not opened from alerts.',
      `Incident #${i.number} has no alerts.`,
    );
  }
  const words = quotedWords(list.query);
  const of = list.matches ? list.matches.total : list.total;
  const counts = `${list.total} alert${list.total === 1 ? '' : 's'} · ${list.firing} firing · ${list.total - list.firing} resolved`;
  if (words && of === 0) {
    return alone(
      `No alert of this incident holds ${words} (${counts}). \`/incident alerts\` lists them all.`,
      `No alert of incident #${i.number} holds those words.`,
    );
  }
  if (list.alerts.length === 0) {
    return alone(
      pastTheEnd(list.query, of, `Alerts of this incident${words ? ` holding ${words}` : ''}`),
      `No alert of incident #${i.number} from there.`,
    );
  }
  const telling = tellingLabels(list.alerts);
  const { blocks: listed, shown } = packLines(
    list.alerts.map((a) => `${alertLine(a, telling(a))}${describedBelow(a, 300)}`),
    LIMITS.blocksPerMessage - 3,
  );
  blocks.push(...listed);
  const matched = list.matches
    ? ` · ${list.matches.total} hold${list.matches.total === 1 ? 's' : ''} ${words} (${list.matches.firing} firing)`
    : '';
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${counts}${matched}${restOfList(list.query, of, shown)}${list.truncated.map((t) => ` · ${t.count.toLocaleString('en-US')} more not sent by ${mrkdwnClip(t.source, 40)} (its \`max_alerts\`): see them there`).join('')}`,
      },
    ],
  });
  // The fallback (notifications, screen readers) tells alerts of one name and summary apart as the lines do.
  const fallback = (a: AlertView) => {
    const told = toldLabels(a, telling(a));
    return `${a.status} ${escapeMrkdwn(a.name)}${told ? ` (${told})` : ''}: ${escapeMrkdwn(a.summary)} (×${a.count})`;
  };
  const text = `Alerts of incident #${i.number}:\n${list.alerts.slice(0, shown).map(fallback).join('\n')}`;
  // The fallback text counts in UTF-16 units where the limit is; half of it leaves room for any script.
  return { text: clipEscaped(text, LIMITS.messageText / 2), blocks };
}
