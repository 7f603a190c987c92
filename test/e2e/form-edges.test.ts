import { describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, type Opened } from '../support/incident-flow.js';
import { incidentRow } from '../support/incident-row.js';
import { stateValue, TEST_REPORTER_ID } from '../support/slack-request.js';
import { type StatusFormInput, statusFormValues } from '../support/status-form.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const filled: StatusFormInput = { affected: 'EU tenants', impact: 'checkout errors', currentStatus: 'rolling back' };
const metaOf = (i: Opened, incidentId = i.incidentId) => JSON.stringify({ incidentId, channelId: i.channelId });

/** The forms' edges, as Slack sends them: what the checks refuse inline, and what a form of another incident does. */
describe('form edges', () => {
  const bot = useBot({ timers: false });

  const submitUpdate = (i: Opened, form: StatusFormInput) =>
    bot.submit({ callbackId: VIEW.statusUpdate, privateMetadata: metaOf(i), values: statusFormValues(form) });
  const updates = async (i: Opened) =>
    (
      await bot.db.query("SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'status_update'", [
        i.incidentId,
      ])
    ).rows.length;

  it('a next update past what a date holds, or years ahead, is refused on its field; nothing is posted', async () => {
    const inc = await declareThroughBot(bot, 'sev2 next update edges');
    const now = Math.floor(Date.now() / 1000);
    const far = 'Pick a time within the next 7 days; if it takes longer, say so in the next update.';
    for (const [next, said] of [
      [1e13, 'Pick when the next update will come.'],
      [now + 20 * 365 * 86_400, far],
      [now + 8 * 86_400, far],
    ] as const) {
      bot.fake.reset();
      const res = await submitUpdate(inc, { ...filled, next });
      expect([next, res.json]).toEqual([next, { response_action: 'errors', errors: { [BLOCK.updNextUpdate]: said } }]);
    }
    await sleep(300);
    expect(bot.fake.callsTo('chat.postMessage')).toEqual([]);
    expect(await updates(inc)).toBe(0);
    expect((await incidentRow(bot.db, { id: inc.incidentId }))!.next_update_at).toBeNull();
    // Six days ahead is a promise the reminder keeps.
    const ok = await submitUpdate(inc, { ...filled, next: now + 6 * 86_400 });
    expect(ok.text).toBe('');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === inc.channelId);
  });

  it('text past the form’s limits is refused on its field, saying the limit; nothing is stored', async () => {
    const inc = await declareThroughBot(bot, 'sev2 long text edges');
    const res = await submitUpdate(inc, {
      ...filled,
      affected: 'a'.repeat(501),
      impact: 'b'.repeat(10_000),
      currentStatus: 'c '.repeat(1500),
      mitigation: 'd'.repeat(2901),
    });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: {
        [BLOCK.updAffected]: 'Keep it to 500 characters (it has 501).',
        [BLOCK.updImpact]: 'Keep it to 500 characters (it has 10000).',
        [BLOCK.updCurrentStatus]: 'Keep it to 2900 characters (it has 2999).',
        [BLOCK.updMitigation]: 'Keep it to 2900 characters (it has 2901).',
      },
    });
    await sleep(300);
    expect(await updates(inc)).toBe(0);
  });

  it('mitigation steps of only invisible characters are none: the phase stays, the notice says none', async () => {
    const inc = await declareThroughBot(bot, 'sev2 invisible mitigation');
    bot.fake.reset();
    const res = await submitUpdate(inc, { ...filled, mitigation: '\u200b\u200b\u2060' });
    expect(res.text).toBe('');
    const posted = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === inc.channelId);
    expect(String(posted.args.text)).toContain('MITIGATION STEPS:\n-\n');
    const row = (await incidentRow(bot.db, { id: inc.incidentId }))!;
    expect([row.phase, row.mitigation_steps]).toEqual(['detection', '']);
  });

  it('a resolve form of one incident sent with another’s id resolves neither, and says to open a new one', async () => {
    const a = await declareThroughBot(bot, 'sev2 form of a');
    const b = await declareThroughBot(bot, 'sev2 form of b');
    bot.fake.reset();
    const res = await bot.submit({
      callbackId: VIEW.resolve,
      privateMetadata: metaOf(a, b.incidentId),
      values: { [BLOCK.resolveSummary]: { [INPUT.summary]: stateValue.plainText('rolled back') } },
    });
    expect(res.status).toBe(200);
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(told.text).toMatch(/does not fit the incident .*nothing was changed.*`\/incident resolve`/);
    for (const i of [a, b]) expect((await incidentRow(bot.db, { id: i.incidentId }))!.status).toBe('investigating');
  });

  it('a post-mortem form of one incident sent with another’s id writes none', async () => {
    const a = await declareThroughBot(bot, 'sev2 pm form of a');
    const b = await declareThroughBot(bot, 'sev2 pm form of b');
    for (const i of [a, b]) await bot.command('resolve rolled back', { channel_id: i.channelId });
    for (const i of [a, b])
      await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === i.channelId && /resolved/.test(String(c.args.text)),
      );
    bot.fake.reset();
    const res = await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: metaOf(a, b.incidentId),
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('pool leak') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('') },
      },
    });
    expect(res.status).toBe(200);
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(told.text).toMatch(/does not fit the incident .*nothing was changed.*`\/incident postmortem`/);
    const { rows } = await bot.db.query('SELECT 1 FROM postmortems WHERE incident_id = ANY($1)', [
      [a.incidentId, b.incidentId],
    ]);
    expect(rows).toEqual([]);
  });

  it('a runbook section the post-mortem form did not offer is refused on its field; nothing is written', async () => {
    const inc = await declareThroughBot(bot, 'sev2 pm made-up section');
    await bot.command('resolve rolled back', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /resolved/.test(String(c.args.text)),
    );
    const submit = (section: string) =>
      bot.submit({
        callbackId: VIEW.postmortem,
        privateMetadata: metaOf(inc),
        values: {
          [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('pool leak') },
          [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(section) },
          [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('') },
        },
      });
    const res = await submit('Deploy <!channel> section');
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: {
        [BLOCK.pmRunbook]: 'Pick a section from the list (the runbook may have changed), or No update needed.',
      },
    });
    await sleep(300);
    const written = async () =>
      (await bot.db.query('SELECT 1 FROM postmortems WHERE incident_id = $1', [inc.incidentId])).rows.length;
    expect(await written()).toBe(0);
    // A section it offers is taken.
    expect((await submit('Escalation procedures')).text).toBe('');
    await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(await written()).toBe(1);
  });
});
