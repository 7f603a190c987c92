/**
 * Storm control, said: a source reached its cap and its further critical alerts join the storm's incident, the storm
 * moved to another incident, or an incident was opened past the cap. Pure.
 */
import type { PastCapView } from '../incidents/alert-types.js';
import { severityLabel } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { capOf, incidentLinked } from './alert-lines.js';
import type { Message } from './incident-card.js';
import { boldName, channelLink, clipEscaped, LIMITS, mrkdwnClip } from './text.js';

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

  const where = to === 'here' ? 'this incident' : incidentLinked(i);
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
  const where = incidentLinked(i);
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
  const where = incidentLinked(now);
  const text = `:cyclone: *Alert storm:* ${boldName(source, 40)}'s further critical alerts no longer join this incident: they now join ${where}.`;
  return {
    text: `Alert storm: ${mrkdwnClip(source, 40)}'s further critical alerts now join incident #${now.number}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
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
