import { describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, type Opened } from '../support/incident-flow.js';
import { stateValue } from '../support/slack-request.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metaOf = (i: Opened) => JSON.stringify({ incidentId: i.incidentId, channelId: i.channelId });

/** The post-mortem form's edges: blank and limit-length answers, a double submit. */
describe('post-mortem form edges', () => {
  const bot = useBot({ timers: false });

  const submit = (i: Opened, rootCause: string, items = '', viewId?: string) =>
    bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: metaOf(i),
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText(rootCause) },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText(items) },
      },
      ...(viewId ? { viewId } : {}),
    });
  const status = async (i: Opened) =>
    (await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [i.incidentId])).rows[0]!
      .status;
  /** Declared and resolved through the bot, as a post-mortem form is opened for. */
  const resolved = async (text: string) => {
    const inc = await declareThroughBot(bot, text);
    await bot.command('resolve rolled back', { channel_id: inc.channelId });
    await waitUntil('resolved', async () => ((await status(inc)) === 'resolved' ? true : null));
    return inc;
  };
  const versions = async (i: Opened) =>
    (await bot.db.query('SELECT version FROM postmortem_versions WHERE incident_id = $1', [i.incidentId])).rows.length;
  const items = async (i: Opened) =>
    (await bot.db.query('SELECT text FROM action_items WHERE incident_id = $1', [i.incidentId])).rows.length;

  it('a root cause of only invisible characters is refused under it; nothing is written', async () => {
    const inc = await declareThroughBot(bot, 'sev3 pm blank edge');
    const res = await submit(inc, '\u200b \u2060\n\u00a0');
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { [BLOCK.pmRootCause]: expect.any(String) } });
    expect(await versions(inc)).toBe(0);
  });

  it('a root cause of 2,900 characters is written; 2,901 is refused under it', async () => {
    const inc = await resolved('sev3 pm length edge');
    const over = await submit(inc, 'r'.repeat(2901));
    expect(over.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.pmRootCause]: 'Keep it to 2900 characters.' },
    });
    expect(await versions(inc)).toBe(0);
    const ok = await submit(inc, 'r'.repeat(2900), '', 'VPMLEN01');
    expect(ok.text).toBe('');
    await bot.fake.waitFor('files.completeUploadExternal', undefined, 15_000);
    expect(await versions(inc)).toBe(1);
  });

  it('the same form submitted twice at once (a double click) writes one version and each item once', async () => {
    const inc = await resolved('sev3 pm double edge');
    const lines = 'Add pool monitoring\nRotate the db password';
    const [a, b] = await Promise.all([
      submit(inc, 'A leak', lines, 'VPMTWICE1'),
      submit(inc, 'A leak', lines, 'VPMTWICE1'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await bot.fake.waitFor('files.completeUploadExternal', undefined, 15_000);
    await bot.idle();
    await sleep(300);
    expect(await versions(inc)).toBe(1);
    expect(await items(inc)).toBe(2);
    expect(bot.fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it("an item written as the form's hint shows it (due: 3d, with a space) keeps its owner and due date, not in its text", async () => {
    const inc = await resolved('sev3 pm due colon edge');
    const ok = await submit(inc, 'An N+1 query', 'Fix N+1 in cart pricing <@U0BOB> due: 3d', 'VPMDUE01');
    expect(ok.text).toBe('');
    await bot.fake.waitFor('files.completeUploadExternal', undefined, 15_000);
    const { rows } = await bot.db.query<{ text: string; owner_id: string | null; due_at: Date | null }>(
      'SELECT text, owner_id, due_at FROM action_items WHERE incident_id = $1',
      [inc.incidentId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ text: 'Fix N+1 in cart pricing', owner_id: 'U0BOB' });
    expect(rows[0]!.due_at).not.toBeNull();
  });

  it('a form of an incident reopened since it opened is refused inline, the form kept open with what was written', async () => {
    const inc = await resolved('sev3 pm reopened edge');
    await bot.command('reopen not fixed after all', { channel_id: inc.channelId });
    await waitUntil('reopened', async () => ((await status(inc)) !== 'resolved' ? true : null));
    const res = await submit(inc, 'A long root cause written over half an hour', 'Add pool monitoring', 'VPMREOPEN1');
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.pmRootCause]: expect.stringContaining('is not resolved') },
    });
    await sleep(300);
    expect(await versions(inc)).toBe(0);
    expect(await items(inc)).toBe(0);
  });
});
