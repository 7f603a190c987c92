/**
 * In an incident's channel and the incidents channel: alerts that joined an incident (a severity above its own, names
 * new to it under storm control), left it (declared apart), or fired again after it was resolved and joined another;
 * and the answer to Reopen on that message. Pure.
 */

import type { KnownBlock } from '@slack/types';
import type { AlertView, DeclaredApart, JoinedWhy, OutrankedView } from '../incidents/alert-types.js';
import { severityLabel } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { alertLine, alertsNamed, at, incidentLinked, incidentNamed, stateEmoji, thresholdFor } from './alert-lines.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { alertRef } from './payloads.js';
import { boldName, channelLink, clipEscaped, escapeMrkdwn, LIMITS, mention, mrkdwnClip } from './text.js';

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

/** The names a message about alerts that joined names at most (the card lists every alert). */
const JOINED_NAMES_SHOWN = 5;

/** Alerts by name, in the order their names first come. */
function byAlertName(alerts: readonly AlertView[]): Map<string, AlertView[]> {
  const byName = new Map<string, AlertView[]>();
  for (const a of alerts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  return byName;
}

/** A name of alerts that joined, its levels, and how many when more than one: `*DiskFull* (warning/critical, ×3)`. */
const nameWithLevels = (name: string, of: readonly AlertView[]) =>
  `${boldName(name, 80)} (${[...new Set(of.map((a) => a.level))].join('/')}${of.length > 1 ? `, ×${of.length}` : ''})`;

/**
 * In an incident's channel: alerts of names new to it joined it (storm control sent a source's further critical alerts
 * here), one line for them all: each name (its level, how many), the first few, then how many more names. Pure.
 */
export function renderJoined(
  alerts: readonly AlertView[],
  /** The resolved incident an alert was in before it fired again, by the alert's id (a private one not named). */
  before: ReadonlyMap<number, { number: number; channelId: string | null } | { private: true }> = new Map(),
): Message {
  const byName = byAlertName(alerts);
  const named = [...byName].slice(0, JOINED_NAMES_SHOWN).map(([name, of]) => nameWithLevels(name, of));
  const more = byName.size - named.length;
  const sources = [...new Set(alerts.map((a) => mrkdwnClip(a.source, 40)))].join(', ');
  const [these, show] = alerts.length === 1 ? ['it', 'shows it'] : ['them', 'shows them'];
  const earlier = [...byName]
    .slice(0, JOINED_NAMES_SHOWN)
    .flatMap(([name, of]) => {
      const b = of.map((a) => before.get(a.id)).find((x) => x !== undefined);
      if (!b) return [];
      return [
        `${boldName(name, 80)} fired before in ${incidentNamed(b)}, resolved since: it fired again and came here.`,
      ];
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
  const byName = byAlertName(alerts);
  const shown = [...byName].slice(0, JOINED_NAMES_SHOWN);
  const more = byName.size - shown.length;
  const one = alerts.length === 1;
  const where = incidentLinked(i);
  const because =
    why === 'storm'
      ? `, the storm's incident: no open incident of ${boldName(source, 40)} has ${one ? 'its alert or runbook row' : 'their alerts or runbook row'}, and #${i.number} is the one its storm sends such alerts to (the least severe open that is as severe as they are)`
      : why === 'same_row'
        ? `, because it has alerts of the same runbook row`
        : ', where the other alerts of their group are';
  const head = `:cyclone: *Alert storm:* ${boldName(source, 40)} is past its cap of incidents from alerts, so ${one ? 'an alert of a name new to it' : 'alerts of names new to it'} joined ${where}${because}, instead of opening ${one ? 'its own' : 'their own'}. If ${one ? 'it is' : 'one is'} a different trouble, declare it apart: its alerts leave #${i.number} for the new incident.`;
  const lines = shown.map(([name, of]) => {
    const first = of[0]!;
    const text = `${stateEmoji(first)} ${nameWithLevels(name, of)}: ${mrkdwnClip(first.summary || name, 300)}`;
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
  const where = incidentNamed(to);
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
  const where = incidentNamed(joined);
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
