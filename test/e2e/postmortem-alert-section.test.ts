import { describe, expect, it } from 'vitest';
import { BLOCK } from '../../src/templates/ids.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

interface SelectBlock {
  type: string;
  block_id?: string;
  hint?: { text: string };
  element?: { options?: { text: { text: string }; value: string }[]; initial_option?: unknown };
}

/**
 * The post-mortem form's "Does the runbook need an update?" for an incident monitoring opened: the runbook's section
 * that holds the alert thresholds (Monitoring: Alert Thresholds, the runbook file's `alerts:` rows) is offered first and
 * named in the hint; nothing is chosen for the person. A declared incident's form suggests nothing.
 */
describe("the post-mortem form suggests the runbook's Alert Thresholds for an incident opened from an alert", () => {
  const bot = useBot({ env: ALERTS_ENV, incidentsChannel: true, runbook: alertRunbook() });

  const runbookSelect = async (channelId: string) => {
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('postmortem', { channel_id: channelId });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    const blocks = (form.args.view as { blocks: SelectBlock[] }).blocks;
    return blocks.find((b) => b.block_id === BLOCK.pmRunbook)!;
  };

  it('an alert-opened incident: Monitoring: Alert Thresholds first, said in the hint, not chosen', async () => {
    await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source: 'pm-section', key: 'checkout-5xx', summary: 'Checkout 5xx above 10%' }),
    );
    await inboxDone(bot.db);
    const inc = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'pm-section')).find((i) => i.card_ts),
    );
    await bot.command('resolve threshold was too low', { channel_id: inc.channel_id });
    await waitUntil(
      'the resolution',
      async () => (await incidentsOfSource(bot.db, 'pm-section'))[0]?.status === 'resolved',
    );
    const select = await runbookSelect(inc.channel_id);
    const labels = select.element!.options!.map((o) => o.text.text);
    expect(labels.slice(0, 2)).toEqual(['No update needed', 'Monitoring: Alert Thresholds']);
    expect(labels).not.toContain('Monitoring and alerts');
    expect(labels.filter((l) => l === 'Monitoring: Alert Thresholds')).toHaveLength(1);
    expect(select.hint!.text).toMatch(/alerts opened or joined this incident: .*choose Monitoring: Alert Thresholds/);
    expect(select.element!.initial_option).toBeUndefined();
  });

  it('a declared incident: the sections in their order, no suggestion', async () => {
    await bot.command('sev2 checkout slow after deploy');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    await bot.command('resolve rolled back', { channel_id: channelId });
    await waitUntil('the resolution', async () => {
      const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE channel_id = $1', [
        channelId,
      ]);
      return rows[0]?.status === 'resolved';
    });
    const select = await runbookSelect(channelId);
    const labels = select.element!.options!.map((o) => o.text.text);
    expect(labels[1]).toBe('Incident severity levels');
    expect(labels).toContain('Monitoring: Alert Thresholds');
    expect(select.hint!.text).toBe('Naming a section adds an action item to update it.');
  });
});
