import { describe, expect, it } from 'vitest';
import { BLOCK } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';

interface SelectBlock {
  block_id?: string;
  element?: { options?: { text: { text: string }; value: string }[]; initial_option?: { value: string } };
}

/**
 * A post-mortem stored before "Monitoring and alerts" was split into the runbook's two Monitoring parts: its answer to
 * "Does the runbook need an update?" opens chosen as the part that holds the alerts (Monitoring: Alert Thresholds),
 * not blank as if never answered.
 */
describe('a post-mortem stored with the old "Monitoring and alerts" section', () => {
  const bot = useBot();

  it('opens with Monitoring: Alert Thresholds chosen', async () => {
    const { channelId } = await declareThroughBot(bot, 'sev2 checkout alerts never fired');
    await bot.command('resolve alert added', { channel_id: channelId });
    const incidentId = await eventually(async () => {
      const { rows } = await bot.db.query<{ id: number; status: string }>(
        'SELECT id, status FROM incidents WHERE channel_id = $1',
        [channelId],
      );
      return rows[0]?.status === 'resolved' ? rows[0].id : undefined;
    }, 'the resolution');
    // As a post-mortem written before the split was stored.
    await bot.db.query(
      `INSERT INTO postmortems
         (incident_id, root_cause, factors, went_well, went_badly, runbook_section, runbook_note, checked, updated_by)
       VALUES ($1, 'No alert on checkout errors', '', '', '', 'Monitoring and alerts', 'add a 5xx alert', '{}', 'U0WRITER')`,
      [incidentId],
    );
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('postmortem', { channel_id: channelId });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    const select = (form.args.view as { blocks: SelectBlock[] }).blocks.find((b) => b.block_id === BLOCK.pmRunbook)!;
    expect(select.element!.initial_option?.value).toBe('Monitoring: Alert Thresholds');
  });
});
