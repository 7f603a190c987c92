/**
 * `/incident alerts`: an incident's alerts in its channel (renderAlertList), or what fires now anywhere
 * (renderFiringAlerts), with the words and `from N` it was asked with; where each firing alert is. Pure.
 */

import type { KnownBlock } from '@slack/types';
import type { AlertList, AlertQuery, AlertView, FiringAlertPlace, FiringAlerts } from '../incidents/alert-types.js';
import type { Incident } from '../incidents/types.js';
import { alertLine, at, describedBelow, tellingLabels, toldLabels } from './alert-lines.js';
import { packLines } from './blocks.js';
import type { Message } from './incident-card.js';
import { channelLink, clipEscaped, escapeMrkdwn, LIMITS, mrkdwnClip, truncate } from './text.js';

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
