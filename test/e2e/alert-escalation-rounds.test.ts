import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

describe('rounds of nobody acknowledging, for an incident opened from alerts', () => {
  // SEV-1 responds within 4 s: a round every 4 s while nobody acknowledges. (At 2 s, a loaded machine once took longer
  // than the first round to record the resolution, and that round rightly climbed to senior DevOps.)
  const bot = useBot({ env: { ...ALERTS_ENV }, runbook: alertRunbook({ respond: { 1: '4s' } }) });
  const dms = (user: string, words: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => !c.failed && c.args.channel === user && json(c.args).includes(words));

  it('while every alert has resolved, a round pages on-call alone: nobody further up is woken for it', async () => {
    const alert = { source: 'rounds', key: 'api-5xx', summary: 'API 5xx above 10%' };
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(alert));
    await waitUntil('the incident', async () => (await incidentsOfSource(bot.db, 'rounds'))[0]?.card_ts);
    await waitUntil('the first page', async () => dms('U0ONCALL', 'API 5xx')[0]);
    // It resolves before anyone acknowledges.
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ ...alert, status: 'resolved' }));
    await inboxDone(bot.db);
    // Two rounds (4 s and 8 s): on-call paged again each time, saying the alerts resolved; senior DevOps never.
    await waitUntil('two more pages of on-call', async () => dms('U0ONCALL', 'API 5xx').length >= 3, 30_000);
    expect(json(dms('U0ONCALL', 'API 5xx').at(-1)!.args)).toContain('has resolved');
    expect(dms('U0SENIOR', 'API 5xx')).toHaveLength(0);
    // It fires again (a new report, not the first one resent): the next round pages the next role with on-call, as
    // for any incident nobody acknowledges.
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ ...alert, value: '14%' }));
    await waitUntil('senior DevOps paged', async () => dms('U0SENIOR', 'API 5xx')[0], 30_000);
    await sleep(100);
  }, 90_000);
});
