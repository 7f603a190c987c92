import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { useBotBehindProxy } from '../support/proxied-db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ["the bot's own server", 'off'],
  ['the acknowledging front', 'on'],
])('a delivery at %s while the database does not answer', (_where, ackThread) => {
  const { bot, db } = useBotBehindProxy(
    {
      // The bot's pool gives up on a statement after 1 s (5 s by default), on a connection after 0.5 s; the front's
      // pool after 5 s.
      dbOptions: { queryTimeoutMillis: 1000, connectionTimeoutMillis: 500 },
      timers: false,
      alertLoop: false,
      env: { ...ALERTS_ENV, ACK_THREAD: ackThread },
    },
    'hookout',
  );
  beforeAll(async () => {
    await sleep(500); // the front's connections opened
  });
  const recorded = async (key: string) =>
    (await db.direct.query<{ id: string }>('SELECT id FROM alert_deliveries WHERE group_key = $1', [key])).rows.map(
      (r) => Number(r.id),
    );

  it('a statement sent with no answer: the 503 says it may have been recorded (it was), and a resend is recognised', {
    timeout: 15_000,
  }, async () => {
    const body = JSON.stringify(genericAlert({ key: 'frozen', level: 'info' }));
    await bot.db.query('SELECT 1'); // a connection open through the proxy
    // And one of the answering side's (the front's, when it runs), taken by a delivery that went through: the frozen
    // statement goes on it. Opening one under the freeze, on a loaded runner, could time out first (nothing sent, so
    // "nothing was recorded", rightly), which is not the case this test is about.
    const warm = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      JSON.stringify(genericAlert({ key: 'warm', level: 'info' })),
    );
    expect(warm.status, warm.text).toBe(202);
    db.proxy.freezeAnswers();
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', body, { resendUnavailable: false });
    expect(r.status, r.text).toBe(503);
    expect(r.json.error).toBe('unavailable');
    expect(r.json.message).not.toMatch(/nothing was recorded/);
    expect(r.json.message).toMatch(
      /may have been recorded\. Send it again: the same body .* within 30 s .* not recorded twice/,
    );
    // It was: the INSERT reached the server and committed; only its answer was lost.
    const ids = await recorded('frozen');
    expect(ids).toHaveLength(1);
    // The connections that carry no answers dropped: the resend goes on a new one, and is the same delivery.
    await db.proxy.cut();
    await db.proxy.restore();
    await sleep(50);
    // As a sender retries: a 503 while the pool finds its connections again (a loaded machine) is sent again.
    let again = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    for (let i = 0; i < 20 && again.status === 503; i++) {
      await sleep(250);
      again = await postAlerts(bot.baseUrl, '/hooks/alerts', body);
    }
    expect(again.status, again.text).toBe(202);
    expect(again.json).toMatchObject({ status: 'duplicate', delivery: ids[0] });
    expect(await recorded('frozen')).toEqual(ids);
  });

  it('no connection to be had (refused): the 503 says nothing was recorded, and nothing was', async () => {
    await db.proxy.cut();
    await sleep(50);
    try {
      const r = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'refused', level: 'info' }), {
        resendUnavailable: false,
      });
      expect(r.status, r.text).toBe(503);
      expect(r.json).toEqual({
        error: 'unavailable',
        message: 'The database cannot be reached; nothing was recorded. Send it again.',
      });
      expect(await recorded('refused')).toEqual([]);
    } finally {
      await db.proxy.restore();
    }
  });
});
