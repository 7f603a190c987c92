import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';

/** The bot's direct message with the on-call engineer, where their pages come. */
const ONCALL_DM = 'D0ONCALL';

describe('/incident ack typed in the direct messages where the pages came', () => {
  const bot = useBot();

  const commanderOf = async (id: number) =>
    (await bot.db.query<{ commander_id: string | null }>('SELECT commander_id FROM incidents WHERE id = $1', [id]))
      .rows[0]!.commander_id;
  const typed = async (text: string, userId: string, channelId: string) =>
    (await bot.answer(await bot.command(text, { channel_id: channelId, user_id: userId }))).text;

  it('with two pages unanswered lists them and changes nothing; with one, acknowledges it and says which', async () => {
    const db = await declareThroughBot(bot, 'sev1 orders db refuses connections', 'U0REP');
    const queue = await declareThroughBot(bot, 'sev2 email queue backs up', 'U0REP');
    await pageDmTo(bot.fake, 'U0ONCALL', db.channelId);
    await pageDmTo(bot.fake, 'U0ONCALL', queue.channelId);
    // Both pages recorded as delivered (a moment after Slack answers the DM), as they are by the time a person reads it.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE d.user_id = 'U0ONCALL' AND p.incident_id = ANY($1::int[])`,
        [[db.incidentId, queue.incidentId]],
      );
      return rows[0]!.n === 2 ? true : undefined;
    }, 'both pages recorded');

    const both = await typed('ack', 'U0ONCALL', ONCALL_DM);
    expect(both).toContain('2 open incidents paged you');
    expect(both).toContain(`*Incident #`);
    expect(both).toContain(`orders db refuses connections, in <#${db.channelId}> — your page is unanswered`);
    expect(both).toContain(`email queue backs up, in <#${queue.channelId}> — your page is unanswered`);
    expect(both).toContain('press *Acknowledge* on its page here');
    expect(await commanderOf(db.incidentId)).toBeNull();
    expect(await commanderOf(queue.incidentId)).toBeNull();

    // One of them acknowledged in its channel: the other is the one page left unanswered, and the DM's ack takes it.
    await bot.command('ack', { channel_id: db.channelId, user_id: 'U0ONCALL' });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === db.channelId && String(c.args.text).includes('acknowledged the incident'),
    );
    const one = await typed('ack', 'U0ONCALL', ONCALL_DM);
    expect(one).toContain('You acknowledged *Incident #');
    expect(one).toContain(`email queue backs up, in <#${queue.channelId}>, and are its commander`);
    expect(await commanderOf(queue.incidentId)).toBe('U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === queue.channelId && String(c.args.text).includes('acknowledged the incident'),
    );
  });

  it('/incident status there shows the card of the one incident that paged them; update opens its form', async () => {
    const only = await declareThroughBot(bot, 'sev2 search results empty', 'U0REP');
    await pageDmTo(bot.fake, 'U0ONCALL', only.channelId);
    // The page is recorded as delivered just after Slack took its DM: a person cannot type before that, a test can
    // (it did once in CI, the machine loaded).
    await eventually(
      async () =>
        (
          await bot.db.query(
            `SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL'`,
            [only.incidentId],
          )
        ).rows[0],
      'the page to U0ONCALL recorded as delivered',
    );
    // Only this incident is open and paged them (the others of the file were resolved).
    await bot.db.exec(`UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE id <> ${only.incidentId}`);
    const card = await typed('status', 'U0ONCALL', ONCALL_DM);
    expect(card).toContain('search results empty');
    // The status update form opens for it too, titled with it.
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('update', { channel_id: ONCALL_DM, user_id: 'U0ONCALL' });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    expect(JSON.stringify(form.args.view)).toContain('search results empty');
  });

  it('for someone no open incident paged, says so and where to type it', async () => {
    const said = await typed('ack', 'U0NOBODY', 'D0NOBODY');
    expect(said).toContain('No open incident has paged you');
    expect(said).toContain('`/incident list`');
  });
});
