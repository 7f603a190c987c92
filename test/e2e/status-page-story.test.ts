import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
/** The weekly window's day: three days after today (UTC). */
const PATCH_DAY = WEEKDAYS[(new Date().getUTCDay() + 3) % 7]!;

/** A runbook whose weekly window (always within the page's next 7 days) has a task that is internal. */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    maintenance: {
      notice_before: '24h',
      process: { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] },
      windows: {
        weekly: {
          title: 'Weekly database patching',
          // Three days from the day the test runs: never in progress as it runs, once in the next 7 days (a fixed
          // Sunday failed every Sunday between 02:00 and 04:00 UTC, with this week's in progress and next week's too).
          schedule: { every: PATCH_DAY, from: '02:00', to: '04:00' },
          tasks: ['PRIVATE-TASK patch db-primary-eu-1'],
        },
      },
    },
  });

interface Incident {
  id: number;
  status: string;
  reopenedAt: string | null;
  latestUpdatePredatesReopening: boolean;
  latestUpdate: { currentStatus: string; nextUpdateAt: string | null } | null;
}
interface StatusJson {
  active: Incident[];
  resolved: Incident[];
  maintenance: { title: string; startsAt: string; endsAt: string | null; inProgress: boolean }[];
}

/** The Atom feed's entries, each as its text. */
const entriesOf = (atom: string) => atom.split('<entry>').slice(1);

describe('the status page tells the public story: reopenings, impact then, when it went public, maintenance', () => {
  const bot = useBot({ runbook: runbook(), incidentsChannel: true });
  const get = async (path: string) => (await fetch(`${bot.baseUrl}${path}`)).text();
  const json = async () => JSON.parse(await get('/status.json')) as StatusJson;

  it('a reopened incident drops the next update promised before its resolution and says the update predates it', async () => {
    const inc = await declareThroughBot(bot, 'sev1 Checkout fails after reopen');
    await postStatusUpdate(bot, inc, {
      affected: 'Checkout',
      impact: 'Payments fail',
      currentStatus: 'BEFORE-REOPEN we are investigating',
      mitigation: 'Restart the payment pool',
      publish: true,
    });
    await eventually(
      async () => (await json()).active.find((i) => i.id === inc.incidentId)?.latestUpdate?.nextUpdateAt ?? undefined,
      'the promise',
    );
    await bot.command('resolve the pool was restarted', { channel_id: inc.channelId });
    await eventually(
      async () => ((await json()).resolved.some((i) => i.id === inc.incidentId) ? true : undefined),
      'the resolution',
    );
    await bot.command('reopen errors are back', { channel_id: inc.channelId });
    const reopened = await eventually(async () => {
      const i = (await json()).active.find((x) => x.id === inc.incidentId);
      return i?.reopenedAt ? i : undefined;
    }, 'the reopening');
    expect(reopened.latestUpdatePredatesReopening).toBe(true);
    expect(reopened.latestUpdate).toMatchObject({ currentStatus: 'BEFORE-REOPEN we are investigating' });
    expect(reopened.latestUpdate!.nextUpdateAt).toBeNull();
    const html = await get('/status');
    const card = html.slice(html.indexOf(`id="incident-${inc.incidentId}"`));
    expect(card.slice(0, card.indexOf('</article>'))).toMatch(
      /Reopened <time[^>]*>[^<]+<\/time>; we are investigating again\. The last update, from before the reopening:/,
    );
    expect(card.slice(0, card.indexOf('</article>'))).not.toContain('Next update');

    // The timeline says what users were told: published, the next update promised, and the steps.
    await bot.command('timeline', { channel_id: inc.channelId });
    const timeline = JSON.stringify(
      await bot.fake.waitFor('response_url', (c) => JSON.stringify(c).includes('posted a status update')),
    );
    expect(timeline).toMatch(
      /posted a status update \(Investigating\), published to the status page: BEFORE-REOPEN we are investigating; next update promised \d{4}-\d\d-\d\d \d\d:\d\d UTC; mitigation steps: Restart the payment pool/,
    );
  });

  it('each published entry keeps the impact it had when published, through a change of severity', async () => {
    const inc = await declareThroughBot(bot, 'sev1 Search fails then slows');
    await postStatusUpdate(bot, inc, { affected: 'AFF-BEFORE', impact: 'down', currentStatus: 'x', publish: true });
    await eventually(async () => ((await get('/status.atom')).includes('AFF-BEFORE') ? true : undefined), 'A');
    await bot.command('sev2', { channel_id: inc.channelId });
    await eventually(async () => {
      const { rows } = await bot.db.query('SELECT severity FROM incidents WHERE id = $1', [inc.incidentId]);
      return rows[0]?.severity === 2 ? true : undefined;
    }, 'SEV-2');
    await postStatusUpdate(bot, inc, { affected: 'AFF-AFTER', impact: 'slow', currentStatus: 'y', publish: true });
    const atom = await eventually(async () => {
      const a = await get('/status.atom');
      return a.includes('AFF-AFTER') ? a : undefined;
    }, 'B');
    const entry = (marker: string) => entriesOf(atom).find((e) => e.includes(marker))!;
    expect(entry('AFF-BEFORE')).toContain('<category term="Partial outage"/>');
    expect(entry('AFF-BEFORE')).toContain('Partial outage.\nAffected: AFF-BEFORE');
    expect(entry('AFF-AFTER')).toContain('<category term="Degraded performance"/>');
    expect(entry(`incident/${inc.incidentId}/opened`)).toContain('<category term="Partial outage"/>');
  });

  it('a SEV-2 made public by its first published update is in the feed from then, not from its declaration', async () => {
    const inc = await declareThroughBot(bot, 'sev2 Reports are late');
    await new Promise((r) => setTimeout(r, 1500));
    await postStatusUpdate(bot, inc, { affected: 'AFF-LATE', impact: 'late', currentStatus: 'z', publish: true });
    const atom = await eventually(async () => {
      const a = await get('/status.atom');
      return a.includes('AFF-LATE') ? a : undefined;
    }, 'the update');
    const at = (e: string) => /<published>([^<]+)<\/published>/.exec(e)![1];
    const opened = entriesOf(atom).find((e) => e.includes(`incident/${inc.incidentId}/opened`))!;
    const update = entriesOf(atom).find((e) => e.includes('AFF-LATE'))!;
    expect(at(opened)).toBe(at(update));
    expect(opened).toMatch(/We are investigating\. It started at \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  });

  it('shows the scheduled maintenance of the next 7 days, and one in progress, by title and times only', async () => {
    const page = await json();
    expect(page.maintenance).toHaveLength(1);
    const [w] = page.maintenance;
    expect(w).toMatchObject({ title: 'Weekly database patching', inProgress: false });
    const starts = new Date(w!.startsAt);
    expect(starts.getUTCDay()).toBe(WEEKDAYS.indexOf(PATCH_DAY));
    expect(starts.toISOString().slice(11, 16)).toBe('02:00');
    expect(new Date(w!.endsAt!).toISOString().slice(11, 16)).toBe('04:00');
    expect(starts.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    const html = await get('/status');
    expect(html).toContain('<h2 id="maintenance">Scheduled maintenance</h2>');
    expect(html).toMatch(
      /Weekly database patching<\/h3>\n<p class="meta"><span class="status">Scheduled<\/span> <time/,
    );
    const atom = await get('/status.atom');
    expect(atom).toContain('<title type="text">Scheduled maintenance: Weekly database patching</title>');

    // Opened by hand under a title of one's own: in progress, as "Maintenance" (what was typed may be internal).
    await bot.command('maintenance start PRIVATE-WINDOW rotate the leaked key');
    const open = await eventually(async () => {
      const p = await json();
      return p.maintenance.find((m) => m.inProgress);
    }, 'the window in progress');
    expect(open.title).toBe('Maintenance');
    const bodies = [await get('/status'), JSON.stringify(await json()), await get('/status.atom')];
    for (const body of bodies) {
      expect(body).not.toContain('PRIVATE-');
      expect(body).not.toContain('db-primary');
    }
    expect(bodies[0]).toMatch(/<span class="status">In progress<\/span> since <time/);
    // Its feed entry reads as a sentence, not "Maintenance in progress: Maintenance".
    expect(bodies[2]).toContain('<title type="text">Maintenance in progress</title>');
    expect(bodies[2]).not.toContain('Maintenance in progress: Maintenance');
  });
});
