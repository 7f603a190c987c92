import { beforeAll, describe, expect, it } from 'vitest';
import { atLocal, localParts } from '../../src/incidents/rotation.js';
import { BLOCK, VIEW } from '../../src/templates/ids.js';
import { utcStamp } from '../../src/templates/text.js';
import { waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { statusFormValues } from '../support/status-form.js';

const LONDON = 'U0LONDONER';
const NEW_YORK = 'U0NEWYORKER';

interface InputBlock {
  type: string;
  block_id?: string;
  hint?: { text: string };
  element?: { initial_date_time?: number };
}

/**
 * The status update form's Next update is Slack's date and time picker, which each person sees and picks on their own
 * clock (their Slack time zone): the form says whose clock that is, the time is stored as the instant picked (UTC),
 * and the update posted says it on each reader's clock (UTC where Slack cannot render it). It was said in UTC only,
 * where on-call and maintenance times are read and said on the person's clock.
 */
describe("the status update's Next update, on the clock of the person who writes it", () => {
  const bot = useBot();
  let channelId = '';
  let incidentId = 0;

  beforeAll(async () => {
    bot.fake.addUser(LONDON, { name: 'lena', real_name: 'Lena London', tz: 'Europe/London' });
    bot.fake.addUser(NEW_YORK, { name: 'ned', real_name: 'Ned NewYork', tz: 'America/New_York' });
    await bot.command('sev2 search is slow');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    incidentId = Number(rows[0]!.id);
  });

  const openFormAs = async (userId: string) => {
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('update', { channel_id: channelId, user_id: userId });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    const view = form.args.view as { private_metadata: string; blocks: InputBlock[] };
    return { view, next: view.blocks.find((b) => b.block_id === BLOCK.updNextUpdate)! };
  };

  it("the form names each writer's clock under Next update", async () => {
    const london = await openFormAs(LONDON);
    expect(london.next.hint?.text).toMatch(/^On your clock \(Europe\/London, your Slack time zone\)\./);
    const newYork = await openFormAs(NEW_YORK);
    expect(newYork.next.hint?.text).toMatch(/^On your clock \(America\/New_York, your Slack time zone\)\./);
  });

  it('the time picked is stored as that instant (UTC), and the update says it on each reader clock, UTC as fallback', async () => {
    const { view } = await openFormAs(NEW_YORK);
    // 15:00 in New York two days on (20:00 UTC in winter, 19:00 in summer): what Slack sends is the instant.
    const day = localParts(new Date(Date.now() + 2 * 86_400_000), 'America/New_York');
    const picked = atLocal(day.y, day.mo, day.d, { h: 15, m: 0 }, 'America/New_York').getTime() / 1000;
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      userId: NEW_YORK,
      values: statusFormValues({
        status: 'investigating',
        affected: 'search',
        impact: 'slow results',
        currentStatus: 'reindexing',
        next: picked,
      }),
    });
    const stored = await waitUntil('the update', async () => {
      const { rows } = await bot.db.query<{ next_update_at: Date | null }>(
        'SELECT next_update_at FROM incidents WHERE id = $1',
        [incidentId],
      );
      return rows[0]?.next_update_at ?? undefined;
    });
    expect(stored.getTime()).toBe(picked * 1000);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit' }).format(stored)).toBe(
      '15',
    );
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && JSON.stringify(c.args).includes('NEXT UPDATE'),
    );
    expect(JSON.stringify(posted.args)).toContain(
      `*NEXT UPDATE:* <!date^${picked}^{date_short_pretty} {time} (your time)|${utcStamp(stored)}>`,
    );
  });
});
