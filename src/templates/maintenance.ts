import type { KnownBlock } from '@slack/types';
import type { MaintenanceMessage, ScheduleView } from '../incidents/maintenance.service.js';
import type { Message } from './incident-card.js';
import { ago, boldName, LIMITS, mention, slackDate, truncate, utcStamp } from './text.js';

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) },
});

const span = (w: { startsAt: Date; endsAt: Date | null }) =>
  w.endsAt ? `${utcStamp(w.startsAt)} – ${utcStamp(w.endsAt)}` : `${utcStamp(w.startsAt)}, until ended by hand`;

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
      const text = `:construction: ${title} has started${by}, ${until}.${takesIn} Incidents declared meanwhile say so on their card; alerts the runbook marks \`during_maintenance: record\` are recorded, not declared.${m.checklist ? ' The checklist (Before, During, After) follows.' : ''}`;
      return { text, blocks: [section(text)] };
    }
    case 'ended': {
      const by = m.window.closedBy ? ` (ended by ${mention(m.window.closedBy)})` : '';
      const text = `:white_check_mark: ${title} has ended${by}. Alerts are handled as usual again.`;
      return { text, blocks: [section(text)] };
    }
  }
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
