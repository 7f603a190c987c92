import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { actionItemRef } from '../../src/templates/payloads.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { stateValue, TEST_REPORTER_ID } from '../support/slack-request.js';

const OWNER = 'U0OWNER';
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

/**
 * The card of an incident says what was done after it: its action items (open of all) as they are added and done, and
 * once resolved whether its post-mortem was written (which version, by whom), its button then updating it.
 */
describe("the card follows the incident's post-mortem and action items", () => {
  let bot: BotHarness;
  let channelId: string;
  let cardTs: string;
  let incidentId: number;
  const inChannel = (text: string, userId = TEST_REPORTER_ID) =>
    bot.command(text, { channel_id: channelId, user_id: userId });
  /** The next update of the card holding `text`. */
  const cardSays = (text: string) =>
    bot.fake.waitFor('chat.update', (c) => c.args.ts === cardTs && json(c).includes(text), 20_000);

  beforeAll(async () => {
    bot = await startBot();
    await bot.command('sev2 search results stale');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const { rows } = await bot.db.query<{ id: number; card_ts: string }>(
      'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
      [channelId],
    );
    incidentId = Number(rows[0]!.id);
    cardTs = rows[0]!.card_ts;
  });
  afterAll(async () => bot?.stop());

  it('an action item added is counted on the card at once', async () => {
    bot.fake.reset();
    await inChannel(`action Rebuild the search index nightly <@${OWNER}>`);
    const update = await cardSays('Action items: 1 open of 1');
    expect(json(update)).not.toContain('Post-mortem not written yet');
  });

  it('resolved: the card says the post-mortem is still to write', async () => {
    bot.fake.reset();
    await inChannel('resolve reindexed by hand');
    const update = await cardSays(ACTION.writePostmortem);
    expect(json(update)).toContain('Post-mortem not written yet');
    expect(json(update)).toContain('Write post-mortem');
    expect(json(update)).toContain('Action items: 1 open of 1');
  });

  it('written: the card names the version and who wrote it, counts the new item, and its button updates it', async () => {
    bot.fake.reset();
    await bot.clickCard({ id: incidentId, channelId, cardTs }, ACTION.writePostmortem, TEST_REPORTER_ID);
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(VIEW.postmortem);
    const res = await bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: view.private_metadata,
      userId: TEST_REPORTER_ID,
      viewId: 'VPMCARD01',
      values: {
        [BLOCK.pmRootCause]: { [INPUT.text]: stateValue.plainText('The indexer stopped after a config change') },
        [BLOCK.pmFactors]: { [INPUT.text]: stateValue.plainText('') },
        [BLOCK.pmWentWell]: { [INPUT.text]: stateValue.plainText('') },
        [BLOCK.pmWentBadly]: { [INPUT.text]: stateValue.plainText('') },
        [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) },
        [BLOCK.pmItems]: { [INPUT.text]: stateValue.plainText('Alert when the index is a day old') },
      },
    });
    expect(res.status).toBe(200);
    const update = await cardSays('Post-mortem version 1 written by');
    expect(json(update)).toContain(`Post-mortem version 1 written by <@${TEST_REPORTER_ID}>`);
    expect(json(update)).toContain('Update post-mortem');
    expect(json(update)).not.toContain('Write post-mortem');
    expect(json(update)).toContain('Action items: 2 open of 2');
  });

  it('every item done: the card says so', async () => {
    const { rows } = await bot.db.query<{ id: number }>(
      "SELECT id FROM action_items WHERE incident_id = $1 AND state = 'open' ORDER BY id",
      [incidentId],
    );
    expect(rows).toHaveLength(2);
    bot.fake.reset();
    for (const [n, row] of rows.entries()) {
      const res = await bot.click({
        channelId,
        messageTs: cardTs,
        actionId: ACTION.actionItemDone,
        value: actionItemRef.encode(Number(row.id)),
        userId: OWNER,
      });
      expect(res.status).toBe(200);
      await cardSays(n === 0 ? 'Action items: 1 open of 2' : 'Action items: all 2 done');
    }
  });
});
