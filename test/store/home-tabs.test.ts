import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { HomeService } from '../../src/incidents/home.service.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { HomeTabs } from '../../src/slack/home-tabs.js';
import { FakeSlack } from '../support/fake-slack.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const quiet = { info() {}, warn() {}, error() {} };

forEachDatabase(
  (ctx) => {
    let fake: FakeSlack;
    let client: WebClient;
    beforeAll(async () => {
      fake = await FakeSlack.start();
      client = new WebClient('xoxb-home', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    });
    afterAll(async () => fake?.close());
    beforeEach(() => {
      fake.reset();
      fake.homeTabs.clear();
    });
    const tabs = (opts = {}) =>
      new HomeTabs(client, new HomeService(ctx.db), parseRunbook(testRunbookData()).severities, quiet, opts);

    it('a burst of refreshes for one person publishes their tab once; the bot and non-users get none', async () => {
      const home = tabs({ botUserId: 'UBOT' });
      for (let n = 0; n < 10; n++) home.refresh('T0001', ['U0ONE', 'UBOT', 'C0CHANNEL', 'U0ONE']);
      await home.idle();
      expect([...fake.homeTabs.keys()]).toEqual(['U0ONE']);
      expect(fake.homeTabs.get('U0ONE')!.publishes).toBe(1);
    });

    it('runs at most maxActive publishes at once, and a person asked for again while publishing is published after', async () => {
      const home = tabs({ maxActive: 2, settleMs: 10 });
      fake.failNext('views.publish', { delayMs: 150 }, 6);
      const people = ['U0A', 'U0B', 'U0C', 'U0D', 'U0E'];
      home.refresh('T0001', people);
      await new Promise((r) => setTimeout(r, 60));
      home.refresh('T0001', ['U0A']); // U0A is being published: once more, afterwards
      await home.idle();
      const calls = fake.callsTo('views.publish');
      expect(calls).toHaveLength(6);
      // Never more than two at once: each call arrived while at most one other was still being answered.
      for (const c of calls) {
        const overlapping = calls.filter((o) => o !== c && o.at <= c.at && c.at < o.at + 150);
        expect(overlapping.length).toBeLessThanOrEqual(1);
      }
      expect(calls.map((c) => c.args.user_id).filter((u) => u === 'U0A')).toHaveLength(2);
    });
  },
  { only: ['postgres'] },
);
