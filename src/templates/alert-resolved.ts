/**
 * Every alert of an incident resolved: the offer to resolve it, the offer once it no longer stands, an alert firing
 * again after it, how many still fire, and the declarer's answer when the alert resolved before they declared. Pure.
 */
import { type AlertCardView, type OfferClosed, pressingCount } from '../incidents/alert-types.js';
import type { Incident } from '../incidents/types.js';
import { alertLine, at, tellingLabels } from './alert-lines.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { boldName, mention } from './text.js';

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
