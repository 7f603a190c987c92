import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';

const ZONE = 'America/New_York';

/** `2026-12-06 05:37` on the clock of `timeZone`. */
function onClock(d: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/**
 * TIME_ZONE: the plain-text communication template (a page's direct message and email) and the public status page give
 * their times on that zone's clock and name it, instead of UTC only. Without it they stay in UTC (the other tests).
 */
describe('TIME_ZONE=America/New_York', () => {
  const bot = useBot({ env: { TIME_ZONE: ZONE } });

  it("a page's template and the status page give times in New York time, saying so", async () => {
    const opened = await declareThroughBot(bot, 'sev2 checkout slow');
    const { rows } = await bot.db.query<{ created_at: Date }>('SELECT created_at FROM incidents WHERE id = $1', [
      opened.incidentId,
    ]);
    const started = rows[0]!.created_at;
    const page = await bot.fake.waitFor('chat.postMessage', (c) => /You are paged/.test(JSON.stringify(c.args)));
    const shown = JSON.stringify(page.args.blocks);
    expect(shown).toContain(`STARTED: ${onClock(started, ZONE)} ${ZONE}`);
    expect(shown).not.toMatch(/STARTED: [^"\\]* UTC/);

    await postStatusUpdate(bot, opened, {
      affected: 'checkout users',
      impact: 'slow pages',
      currentStatus: 'looking at the pool',
      publish: true,
    });
    const html = await eventually(async () => {
      const text = await (await fetch(`${bot.baseUrl}/status`)).text();
      return text.includes('looking at the pool') ? text : undefined;
    }, 'the published update on the status page');
    expect(html).toContain(`Times are in ${ZONE}.`);
    expect(html).toContain(
      `started <time datetime="${started.toISOString()}">${onClock(started, ZONE)} ${ZONE}</time>`,
    );
    expect(html).toMatch(new RegExp(`<dt>Updated</dt><dd><time datetime="[^"]+">[-0-9: ]+ ${ZONE}</time>`));
    expect(html).not.toMatch(/\d\d:\d\d UTC/);
  });

  it('the Atom feed says its times in New York time, as the page does; the JSON keeps ISO instants and names the zone', async () => {
    const opened = await declareThroughBot(bot, 'sev2 search down');
    const next = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 45 * 60_000);
    await postStatusUpdate(bot, opened, {
      affected: 'search users',
      impact: 'no results',
      currentStatus: 'reindexing the feed',
      next: next.getTime() / 1000,
      publish: true,
    });
    const atom = await eventually(async () => {
      const text = await (await fetch(`${bot.baseUrl}/status.atom`)).text();
      return text.includes('reindexing the feed') ? text : undefined;
    }, 'the published update in the Atom feed');
    expect(atom).toContain(`Next update: ${onClock(next, ZONE)} ${ZONE}`);
    expect(atom.replace(/<(updated|published)>[^<]*<\/\1>/g, '')).not.toMatch(/\d\d:\d\d UTC/);

    const json = (await (await fetch(`${bot.baseUrl}/status.json`)).json()) as {
      timeZone: string;
      active: { title: string; latestUpdate: { nextUpdateAt: string } | null }[];
    };
    expect(json.timeZone).toBe(ZONE);
    const shown = json.active.find((i) => i.latestUpdate?.nextUpdateAt);
    expect(shown?.latestUpdate?.nextUpdateAt).toBe(next.toISOString());
  });
});
