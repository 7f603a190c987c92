import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET, useBot } from '../support/bot-harness.js';
import { countIncidents } from '../support/incident-row.js';
import { encodeSlashCommand, makeSlashCommand, postSlashCommand, postToSlackApp } from '../support/slack-request.js';

const now = () => Math.floor(Date.now() / 1000);
/** Calls to the fake Slack other than Bolt's own auth.test when the app starts. */
const posted = (calls: { method: string }[]) => calls.map((c) => c.method).filter((m) => m !== 'auth.test');

describe('request timestamps (HTTP mode)', () => {
  const bot = useBot({ timers: false });

  const declareAt = (timestamp: number) =>
    postSlashCommand(
      bot.baseUrl,
      SIGNING_SECRET,
      { text: 'sev3 clock skew', response_url: bot.fake.responseUrl() },
      { timestamp },
    );

  it.each([
    ['10 minutes in the future', 600],
    ['5 minutes and 2 seconds in the future', 302],
    ['10 minutes in the past', -600],
    ['an hour in the future', 3600],
  ])('refuses a correctly signed request stamped %s with 401, doing nothing', async (_what, offset) => {
    const before = await countIncidents(bot.db);
    const res = await declareAt(now() + offset);
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(posted(bot.fake.calls)).toEqual([]);
    expect(await countIncidents(bot.db)).toBe(before);
  });

  it.each([
    ['4 minutes in the future', 240],
    ['4 minutes in the past', -240],
  ])('accepts a request stamped %s', async (_what, offset) => {
    const res = await declareAt(now() + offset);
    expect(res.status).toBe(200);
    await bot.fake.waitFor('response_url');
  });

  it('still refuses a bad signature with a current timestamp (its own check stays on)', async () => {
    const body = encodeSlashCommand(makeSlashCommand({ text: 'sev3 forged', response_url: bot.fake.responseUrl() }));
    const res = await postToSlackApp(bot.baseUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', {
      signature: `v0=${'0'.repeat(64)}`,
    });
    expect(res.status).toBe(401);
  });
});
