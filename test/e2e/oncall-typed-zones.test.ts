import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { rotationMaintenanceRunbook } from '../support/test-runbook.js';

describe('a zone typed after a time that the bot does not read (`PST`, `est`, `Europe/Londn`)', () => {
  const bot = useBot({ runbook: rotationMaintenanceRunbook(), incidentsChannel: true, timers: false });
  const ask = async (text: string) => (await askPrivately(bot, text, 'U0REPORTER')).text;

  it('is named as what is wrong, with the zone to write; no override or window is recorded', async () => {
    const override = await ask('oncall override <@U0BOB> until 18:00 PST');
    expect(override).toContain(
      '`PST` is not a time zone the bot reads: write `until 18:00 America/Los_Angeles` (a zone as `Europe/London` is written, or `UTC`).',
    );
    expect(override).not.toContain('is not a time:');
    const board = await ask('oncall tomorrow 09:00 cet');
    expect(board).toContain('`cet` is not a time zone the bot reads: write `tomorrow 09:00 Europe/Berlin`');
    const window = await ask('maintenance start db upgrade until 04:00 EST');
    expect(window).toContain('`EST` is not a time zone the bot reads: write `until 04:00 America/New_York`');
    expect(window).toContain('No window was opened.');
    expect(await ask('maintenance start db upgrade until 04:00 Europe/Londn')).toContain(
      '`Europe/Londn` is not a time zone the bot reads',
    );
    const { rows } = await bot.db.query('SELECT id FROM oncall_overrides UNION ALL SELECT id FROM maintenance_windows');
    expect(rows).toEqual([]);
  });
});
