import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

describe('a critical alert whose incident Slack will not let the bot open', () => {
  const bot = useBot({ env: { ...ALERTS_ENV }, incidentsChannel: true, runbook: alertRunbook() });

  it('tells the incidents channel and the on-call directly, once, then declares and pages once Slack allows it', async () => {
    // The workspace refuses the app new channels twice (an admin's policy), then allows them.
    bot.fake.failNext('conversations.create', { error: 'restricted_action' }, 2);
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source: 'refused', key: 'checkout', summary: 'Checkout error rate above 10%' }),
    );
    expect(r.status).toBe(202);
    const posts = () => bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed);
    const refused = (c: { args: { text?: unknown } }) => String(c.args.text).includes('could not be opened');
    // At the first refusal: the on-call by direct message (nobody is paged until the incident exists), and the
    // incidents channel, each with what fired, what Slack said and what to do.
    const dm = await waitUntil('the on-call told directly', async () =>
      posts().find((c) => c.args.channel === 'U0ONCALL' && refused(c)),
    );
    expect(json(dm.args.blocks)).toContain('Checkout error rate above 10%');
    expect(json(dm.args.blocks)).toContain('`restricted_action`');
    expect(json(dm.args.blocks)).toContain('follow the runbook by hand');
    const told = await waitUntil('the incidents channel told', async () =>
      posts().find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && refused(c)),
    );
    expect(json(told.args.blocks)).toContain('page on-call yourself');
    // Slack allows it again: declared, and on-call paged through it, as for any alert.
    const [incident] = await waitUntil(
      'the incident declared',
      async () => {
        const list = await incidentsOfSource(bot.db, 'refused');
        return list[0]?.card_ts ? list : null;
      },
      20_000,
    );
    await waitUntil('the page', async () =>
      posts().find(
        (c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('Checkout error rate above 10%') && !refused(c),
      ),
    );
    expect(incident).toBeDefined();
    // Told once, however many attempts Slack refused.
    expect(posts().filter((c) => c.args.channel === 'U0ONCALL' && refused(c))).toHaveLength(1);
    expect(posts().filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && refused(c))).toHaveLength(1);
  }, 40_000);
});
