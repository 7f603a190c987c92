import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';

interface JsonIncident {
  id: number;
  latestUpdate: { currentStatus: string; nextUpdateAt: string | null } | null;
}
interface StatusJson {
  generatedAt: string;
  active: JsonIncident[];
  resolved: JsonIncident[];
}

/**
 * /status.json is what the page shows, as data. The page shows an update's NEXT UPDATE only while the incident is open
 * and the time is still ahead; the JSON gave `latestUpdate.nextUpdateAt` for a resolved incident and for a time
 * already past, so a widget built on it promised an update nobody would write. Found from outside.
 */
describe('/status.json promises a next update only where the page does', () => {
  const bot = useBot({ incidentsChannel: true });
  const get = (path: string) => fetch(`${bot.baseUrl}${path}`);

  it('a next update already past: neither the page nor the JSON shows it', async () => {
    const inc = await declareThroughBot(bot, 'sev1 payments are declined');
    // The form allows a minute of slack for clocks: a time 30 s ago is taken, and is past at once.
    const past = Math.floor(Date.now() / 1000) - 30;
    await postStatusUpdate(bot, inc, {
      affected: 'card payments',
      impact: 'declined',
      currentStatus: 'PAST-PROMISE',
      next: past,
      publish: true,
    });
    const found = await eventually(async () => {
      const [page, data] = await Promise.all([get('/status').then((r) => r.text()), get('/status.json')]);
      const json = (await data.json()) as StatusJson;
      const i = json.active.find((x) => x.id === inc.incidentId);
      return page.includes('PAST-PROMISE') && i?.latestUpdate?.currentStatus === 'PAST-PROMISE'
        ? { page, i }
        : undefined;
    }, 'the published update on the page and in the JSON');
    expect(found.page).not.toContain('Next update');
    expect(found.i.latestUpdate!.nextUpdateAt).toBeNull();
  });

  it('a resolved incident: its last update promises no next update in the JSON, as on the page', async () => {
    const inc = await declareThroughBot(bot, 'sev1 search is down');
    await postStatusUpdate(bot, inc, {
      affected: 'search',
      impact: 'no results',
      currentStatus: 'FUTURE-PROMISE',
      next: Math.floor(Date.now() / 1000) + 1800,
      publish: true,
    });
    const open = await eventually(async () => {
      const json = (await (await get('/status.json')).json()) as StatusJson;
      const i = json.active.find((x) => x.id === inc.incidentId);
      return i?.latestUpdate?.currentStatus === 'FUTURE-PROMISE' ? i : undefined;
    }, 'the published update in the JSON');
    // Open and ahead: promised, as the page does.
    expect(open.latestUpdate!.nextUpdateAt).not.toBeNull();
    await bot.command('resolve search index rebuilt', { channel_id: inc.channelId });
    const resolved = await eventually(async () => {
      const json = (await (await get('/status.json')).json()) as StatusJson;
      return json.resolved.find((x) => x.id === inc.incidentId);
    }, 'the incident among the resolved');
    expect(resolved.latestUpdate!.currentStatus).toBe('FUTURE-PROMISE');
    expect(resolved.latestUpdate!.nextUpdateAt).toBeNull();
    const page = await (await get('/status')).text();
    expect(page).not.toContain('Next update');
  });
});
