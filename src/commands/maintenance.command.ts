import { renderMaintenanceSchedule } from '../templates/maintenance.js';
import { channelLink, mrkdwnClip } from '../templates/text.js';
import type { Ctx } from './incident.command.js';

const USAGE =
  '`/incident maintenance schedule` shows the next windows; `/incident maintenance start [window or title]` opens one now (e.g. `start quarterly`); `/incident maintenance end` closes it.';

/** `/incident maintenance schedule | start [window or title] | end`. */
export async function maintenanceCommand(what: string | null, c: Ctx): Promise<void> {
  const [verb = 'schedule', ...rest] = (what ?? '').trim().split(/\s+/).filter(Boolean);
  const arg = rest.join(' ') || null;
  switch (verb.toLowerCase()) {
    case 'schedule':
    case 'next':
      await c.tell(renderMaintenanceSchedule(await c.deps.maintenance.schedule(), new Date()));
      return;
    case 'start':
    case 'open': {
      const w = await c.deps.maintenance.start(arg, c.userId, c.channelId);
      const where = w.channelId ? ` in ${channelLink(w.channelId)}` : '';
      await c.tell(
        `:construction: *${mrkdwnClip(w.title, 100)}* is open from now until \`/incident maintenance end\`; its start and checklist are posted${where}.`,
      );
      return;
    }
    case 'end':
    case 'close': {
      const ended = await c.deps.maintenance.end(c.userId);
      await c.tell(`:white_check_mark: Ended ${ended.map((w) => `*${mrkdwnClip(w.title, 100)}*`).join(', ')}.`);
      return;
    }
    default:
      await c.tell(`:warning: \`${c.deps.maintenance.masked(verb)}\` is not a maintenance command. ${USAGE}`);
  }
}
