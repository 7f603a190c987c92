import type { KnownBlock } from '@slack/types';
import type {
  EndedWindow,
  MaintenanceMessage,
  OtherWindow,
  ScheduleView,
  WindowEnd,
} from '../incidents/maintenance.service.js';
import type { Severity } from '../incidents/severity.js';
import { severityLabel } from '../incidents/severity.js';
import { type IncidentStatus, STATUS_LABELS } from '../incidents/types.js';
import type { Message } from './incident-card.js';
import { ago, boldName, channelLink, LIMITS, mention, mrkdwnClip, slackDate, truncate, utcStamp } from './text.js';

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) },
});

const span = (w: { startsAt: Date; endsAt: Date | null }) =>
  w.endsAt ? `${utcStamp(w.startsAt)} – ${utcStamp(w.endsAt)}` : `${utcStamp(w.startsAt)}, until ended by hand`;

/** Other windows open at once, named: `*Quarterly maintenance* (until 2026-12-06 04:00 UTC)`, joined. */
const others = (ws: readonly OtherWindow[]) => {
  const each = ws.map(
    (w) =>
      `${boldName(w.title, 100)} (${w.endsAt ? `until ${utcStamp(w.endsAt)}` : 'until `/incident maintenance end`'})`,
  );
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} and ${each.at(-1)}` : (each[0] ?? '');
};

/**
 * A maintenance window's notice, start and end, in the incidents channel. The notice stays up a day: when the window
 * starts is a Slack date token ("tomorrow at 3:00 AM" in each reader's zone), "in 1 day" only where tokens do not
 * show. Pure.
 */
export function renderMaintenanceMessage(m: MaintenanceMessage, now: Date): Message {
  const title = boldName(m.window.title, 100);
  const takesIn =
    m.kind !== 'ended' && m.takesIn?.length
      ? ` It takes in ${m.takesIn.map((t) => `${boldName(t, 100)}`).join(', ')}, due in the same hours: one window, one checklist with ${m.takesIn.length === 1 ? 'both task lists' : 'every task list'}.`
      : '';
  switch (m.kind) {
    case 'notice': {
      const text = `:wrench: ${title} is scheduled: ${span(m.window)} (${slackDate(m.window.startsAt, ago(m.window.startsAt, now), '{date_short_pretty} at {time}')}).${takesIn} Notify users of the maintenance now; the checklist is posted here when it starts.`;
      return { text, blocks: [section(text)] };
    }
    case 'started': {
      const by = m.window.openedBy ? ` (opened by ${mention(m.window.openedBy)})` : '';
      const until = m.window.endsAt ? `until ${utcStamp(m.window.endsAt)}` : 'until `/incident maintenance end`';
      const over = m.alsoOpen?.length
        ? ` It opens while ${others(m.alsoOpen)} ${m.alsoOpen.length === 1 ? 'is' : 'are'} still open.`
        : '';
      const text = `:construction: ${title} has started${by}, ${until}.${over}${takesIn} Incidents declared meanwhile say so on their card; alerts the runbook marks \`during_maintenance: record\` are recorded, not declared.${m.checklist ? ' The checklist (Before, During, After) follows.' : ''}`;
      return { text, blocks: [section(text)] };
    }
    case 'ended': {
      const by = m.window.closedBy ? ` (ended by ${mention(m.window.closedBy)})` : '';
      const text = [
        m.stillOpen?.length
          ? `:white_check_mark: ${title} has ended${by}, but ${others(m.stillOpen)} ${m.stillOpen.length === 1 ? 'is' : 'are'} still open: alerts the runbook marks \`during_maintenance: record\` stay recorded, not declared, until ${m.stillOpen.length === 1 ? 'it ends' : 'they end'}.`
          : `:white_check_mark: ${title} has ended${by}. Alerts are handled as usual again.`,
        ...(m.summary ? windowEndLines(m.summary, 'channel') : []),
      ].join('\n');
      return { text, blocks: [section(text)] };
    }
  }
}

/** Incidents named at a window's end at most (the rest are counted). */
const INCIDENTS_LISTED = 10;

/**
 * What a window's end says of it, a line each: how far its checklist got (and the first steps left), then the incidents
 * declared while it was open, with the post-incident report suggested when there were any. A private incident is named
 * only to whoever ended the window and is part of it (`audience: 'person'`, its `visible`); elsewhere it is "a private
 * incident", and in the channel only counted. Pure.
 */
export function windowEndLines(s: WindowEnd, audience: 'channel' | 'person'): string[] {
  const lines: string[] = [];
  const c = s.checklist;
  if (c) {
    const skipped = c.skipped ? ` (${c.skipped} skipped)` : '';
    if (c.leftCount === 0) {
      lines.push(`Its checklist (${boldName(c.title, 100)}) was finished: ${c.done} of ${c.total} done${skipped}.`);
    } else {
      const steps = c.left.map((l) => `${l.section} ${l.number}. ${mrkdwnClip(l.text, 120)}`).join('; ');
      const more = c.leftCount > c.left.length ? `; and ${c.leftCount - c.left.length} more` : '';
      lines.push(
        `:warning: Its checklist (${boldName(c.title, 100)}) was left at ${c.done} of ${c.total} done${skipped}: ${c.leftCount} not done, starting with ${steps}${more}.`,
      );
    }
  }
  const shown = s.incidents.filter((i) => !i.private || (audience === 'person' && i.visible));
  // A long list is cut on purpose (the section holds 3000 characters): the first ones named, the rest counted.
  const named = shown.slice(0, INCIDENTS_LISTED);
  const hidden = s.incidents.length - shown.length;
  const unlisted = shown.length - named.length;
  if (s.incidents.length === 0) {
    lines.push('No incident was declared during it.');
  } else {
    const each = named.map(
      (i) =>
        `#${i.number} (${severityLabel(i.severity as Severity)}, ${STATUS_LABELS[i.status as IncidentStatus] ?? i.status}${i.private ? ', private' : ''})${i.channelId ? ` ${channelLink(i.channelId)}` : ''}`,
    );
    if (unlisted) each.push(`${unlisted} more`);
    if (hidden) each.push(hidden === 1 ? 'a private incident' : `${hidden} private incidents`);
    const list = each.length > 1 ? `${each.slice(0, -1).join(', ')} and ${each[each.length - 1]}` : each[0];
    const n = s.incidents.length;
    lines.push(
      `:rotating_light: ${n === 1 ? '1 incident was' : `${n} incidents were`} declared during it: ${list}. The maintenance process ends with a post-incident report if there were issues: \`/incident postmortem\` in ${n === 1 ? "the incident's channel" : 'each incident channel'} once resolved.`,
    );
  }
  return lines;
}

/** `/incident maintenance end`'s reply: each window ended, and what its end says of it (to the person who ended it). */
export function renderMaintenanceEnded(ended: EndedWindow[]): string {
  return ended
    .map(({ window, summary }) =>
      [`:white_check_mark: Ended ${boldName(window.title, 100)}.`, ...windowEndLines(summary, 'person')].join('\n'),
    )
    .join('\n');
}

/** "Quarterly" for the window `quarterly`: its key, capitalised. */
const byHandLabel = (w: { key: string }) => w.key.charAt(0).toUpperCase() + w.key.slice(1);

/** `/incident maintenance schedule`: the open windows, then the next of each scheduled one, then those by hand. */
export function renderMaintenanceSchedule(s: ScheduleView, now: Date): string {
  const lines: string[] = ['*Maintenance windows* (UTC)'];
  for (const w of s.open) lines.push(`• :construction: ${boldName(w.title, 100)} is open: ${span(w)}`);
  for (const w of s.next) {
    const within = w.takenInBy ? ` (taken in by ${boldName(w.takenInBy, 100)}: one notice, one checklist)` : '';
    lines.push(`• ${boldName(w.title, 100)} (${w.describe}): next ${span(w)}, ${ago(w.startsAt, now)}${within}`);
  }
  for (const w of s.byHand)
    lines.push(
      `• ${boldName(w.title, 100)}: the runbook gives it no day or time. ${byHandLabel(w)}: opened by hand with \`/incident maintenance start ${w.key}\``,
    );
  if (lines.length === 1) lines.push('The runbook file has no maintenance windows (`maintenance:`).');
  lines.push(
    `The notice is posted ${s.noticeBefore} before a scheduled window. \`/incident maintenance start [window or title]\` opens one now (\`for 2h\` or \`until 04:00\` after it: when it ends itself), \`/incident maintenance end\` closes it.`,
  );
  return lines.join('\n');
}
