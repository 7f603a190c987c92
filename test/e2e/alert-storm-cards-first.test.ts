import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbook, fireAlert, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';

/**
 * A storm of critical alerts opens several incidents at once: every card comes up before the first of their pages
 * (and the card refreshes that follow a page), as their pins, announcements and playbooks do. The wait is long here
 * (cardsFirstMaxMs), so that a slow machine's declarations are not cut short by it.
 */
describe("a storm's cards come before its pages", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: alertRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '10' },
    alerts: { cardsFirstMaxMs: 30_000 },
  });
  const source = 'cards-first';

  it('posts every card of six alert incidents declared at once before paging for any of them, a slow card too', async () => {
    // The first card Slack is asked for takes 1.5 s: the others are up, and their pages due, long before it.
    bot.fake.failNext('chat.postMessage', { delayMs: 1500 }, 1, (a) => /^SEV-\d incident #/.test(String(a.text)));
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(
      keys.map((key) =>
        fireAlert(
          bot,
          { source, key, metric: `m_${key}`, value: '1', threshold: '> 0', summary: `service ${key} down` },
          { wait: false },
        ),
      ),
    );
    const incidents = await waitUntil('six incidents with their cards', async () => {
      const list = await incidentsOfSource(bot.db, source);
      return list.length === 6 && list.every((i) => i.card_ts) ? list : null;
    });
    await waitUntil('a page for each', async () => {
      const { rows } = await bot.db.query<{ n: number }>(
        'SELECT count(DISTINCT incident_id)::int AS n FROM pages WHERE incident_id = ANY($1::int[])',
        [incidents.map((i) => i.id)],
      );
      return rows[0]!.n === 6;
    });
    const channels = new Set(incidents.map((i) => i.channel_id));
    const calls = bot.fake.calls;
    const cards = calls.flatMap((c, i) =>
      c.method === 'chat.postMessage' &&
      channels.has(String(c.args.channel)) &&
      /^SEV-\d incident #/.test(String(c.args.text))
        ? [i]
        : [],
    );
    expect(cards).toHaveLength(6);
    const lastCard = Math.max(...cards);
    // What a page does in Slack: its DM to on-call, or its line in the incident channel; and the card refreshed.
    const afterPages = calls.flatMap((c, i) =>
      (c.method === 'chat.postMessage' || c.method === 'chat.update') && !cards.includes(i) ? [[i, c] as const] : [],
    );
    const early = afterPages
      .filter(([i]) => i < lastCard)
      .map(([, c]) => `${c.method} ${String(c.args.text).slice(0, 60)}`);
    expect(early).toEqual([]);
  });

  it("holds only the storm's own timers: an incident a person declares meanwhile is paged at once, before the storm's slow card", async () => {
    // The storm's first card takes 6 s; its other cards, and a person's declaration, are up long before.
    bot.fake.failNext('chat.postMessage', { delayMs: 6000 }, 1, (a) => /^SEV-\d incident #/.test(String(a.text)));
    const storm = 'cards-first-2';
    const keys = ['g', 'h', 'i'];
    await Promise.all(
      keys.map((key) =>
        fireAlert(
          bot,
          { source: storm, key, metric: `m_${key}`, value: '1', threshold: '> 0', summary: `service ${key} down` },
          { wait: false },
        ),
      ),
    );
    await waitUntil('two of three cards up, one held back by Slack', async () => {
      const list = await incidentsOfSource(bot.db, storm);
      return list.length === 3 && list.filter((i) => i.card_ts).length === 2;
    });
    const person = await declareThroughBot(bot, 'sev2 payments api down');
    await waitUntil(
      "the person's incident paged",
      async () => {
        const { rows } = await bot.db.query('SELECT 1 FROM pages WHERE incident_id = $1', [person.incidentId]);
        return rows.length > 0;
      },
      15_000,
    );
    // The storm's slow card is not up yet, and none of the storm's incidents has been paged.
    const list = await incidentsOfSource(bot.db, storm);
    expect(list.filter((i) => i.card_ts)).toHaveLength(2);
    const { rows } = await bot.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pages WHERE incident_id = ANY($1::int[])',
      [list.map((i) => i.id)],
    );
    expect(rows[0]!.n).toBe(0);
    // Then every card comes up, and the storm's incidents are paged.
    await waitUntil(
      "the storm's incidents paged once their cards are up",
      async () => {
        const { rows: paged } = await bot.db.query<{ n: number }>(
          'SELECT count(DISTINCT incident_id)::int AS n FROM pages WHERE incident_id = ANY($1::int[])',
          [list.map((i) => i.id)],
        );
        return paged[0]!.n === 3;
      },
      20_000,
    );
  });
});
