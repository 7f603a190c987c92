import { beforeAll, describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { statusFormValues } from '../support/status-form.js';

/**
 * Affected and Current impact are single-line inputs in the status update form. A payload made by hand with a line
 * break in one of them was kept as multi-line text, so the posted update showed a line of the sender's own making
 * (`*SEVERITY:* SEV1`) as if the bot had written it. Found from outside.
 */
describe("the status update's single-line fields stay on one line", () => {
  const bot = useBot();
  let channelId = '';
  let incidentId = 0;

  beforeAll(async () => {
    await bot.command('sev3 search results are stale');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    incidentId = Number(rows[0]!.id);
  });

  it('a line break sent in Affected or Current impact is a space; the multi-line fields keep theirs', async () => {
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('update', { channel_id: channelId });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    const view = form.args.view as { private_metadata: string };
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      values: statusFormValues({
        affected: 'search\n*SEVERITY:* SEV1',
        impact: 'stale results\r\n*DATA LOSS:* yes',
        currentStatus: 'reindexing\nstep two of three',
      }),
    });
    const stored = await waitUntil('the update', async () => {
      const { rows } = await bot.db.query<{ affected: string | null; current_impact: string; current_status: string }>(
        'SELECT affected, current_impact, current_status FROM incidents WHERE id = $1',
        [incidentId],
      );
      return rows[0]?.affected ? rows[0] : undefined;
    });
    expect(stored).toEqual({
      affected: 'search *SEVERITY:* SEV1',
      // A Windows line break (\r\n) is one break: one space, not two.
      current_impact: 'stale results *DATA LOSS:* yes',
      current_status: 'reindexing\nstep two of three',
    });
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && JSON.stringify(c.args).includes('*AFFECTED:*'),
    );
    const said = JSON.stringify(posted.args);
    expect(said).not.toContain('\\n*SEVERITY:*');
    expect(said).not.toContain('\\n*DATA LOSS:*');
    expect(said).toContain('*AFFECTED:* search *SEVERITY:* SEV1');
  });
});
