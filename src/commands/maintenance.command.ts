import { renderMaintenanceSchedule } from '../templates/maintenance.js';
import { channelLink, mrkdwnClip } from '../templates/text.js';
import type { Ctx } from './incident.command.js';

/** A verb of `/incident maintenance`: a row of MAINTENANCE_VERBS. */
export interface MaintenanceVerb {
  /** What is typed; the one shown in the usage. */
  name: string;
  /** Other words people type for it (`stop` for `end`). */
  aliases: readonly string[];
  /** Its part of the usage: the form in backticks, then what it does. */
  usage: string;
  /** What it does, given what follows the verb (null when nothing does). */
  run: (arg: string | null, c: Ctx) => Promise<void>;
}

/**
 * The verbs of `/incident maintenance`, in the order of the usage; the first is what the command alone does. The
 * parser and the usage are derived from this table; `/incident help`'s line and README's row are checked against it
 * (test/unit/maintenance-verbs.test.ts).
 */
export const MAINTENANCE_VERBS: readonly MaintenanceVerb[] = [
  {
    name: 'schedule',
    aliases: ['next'],
    usage: '`/incident maintenance schedule` shows the next windows',
    run: async (_arg, c) => {
      await c.tell(renderMaintenanceSchedule(await c.deps.maintenance.schedule(), new Date()));
    },
  },
  {
    name: 'start',
    aliases: ['open'],
    usage: '`/incident maintenance start [window or title]` opens one now (e.g. `start quarterly`)',
    run: async (arg, c) => {
      const w = await c.deps.maintenance.start(arg, c.userId, c.channelId);
      const where = w.channelId ? ` in ${channelLink(w.channelId)}` : '';
      await c.tell(
        `:construction: *${mrkdwnClip(w.title, 100)}* is open from now until \`/incident maintenance end\`; its start and checklist are posted${where}.`,
      );
    },
  },
  {
    name: 'end',
    aliases: ['close', 'stop', 'finish'],
    usage: '`/incident maintenance end` closes it',
    run: async (_arg, c) => {
      const ended = await c.deps.maintenance.end(c.userId);
      await c.tell(`:white_check_mark: Ended ${ended.map((w) => `*${mrkdwnClip(w.title, 100)}*`).join(', ')}.`);
    },
  },
];

/** Said with a verb that is not one. */
export const MAINTENANCE_USAGE = `${MAINTENANCE_VERBS.map((v) => v.usage).join('; ')}.`;

/** The verb typed (any case), by its name or an alias. */
export function maintenanceVerb(typed: string): MaintenanceVerb | undefined {
  const word = typed.toLowerCase();
  return MAINTENANCE_VERBS.find((v) => v.name === word || v.aliases.includes(word));
}

/** `/incident maintenance [verb] [what follows]`: the verb's row runs; none typed is the first row's. */
export async function maintenanceCommand(what: string | null, c: Ctx): Promise<void> {
  const [typed, ...rest] = (what ?? '').trim().split(/\s+/).filter(Boolean);
  const arg = rest.join(' ') || null;
  const verb = typed === undefined ? MAINTENANCE_VERBS[0] : maintenanceVerb(typed);
  if (!verb) {
    await c.tell(
      `:warning: \`${c.deps.maintenance.masked(typed ?? '')}\` is not a maintenance command. ${MAINTENANCE_USAGE}`,
    );
    return;
  }
  await verb.run(arg, c);
}
