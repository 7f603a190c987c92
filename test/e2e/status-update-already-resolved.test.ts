import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { statusFormValues } from '../support/status-form.js';

const RESOLVER = 'U0RESOLVER';
const WRITER = 'U0WRITER';

/**
 * A status update saying Resolved, submitted from a form opened before someone else resolved the incident, was posted
 * as a plain update of the resolved incident (a status_update after its resolution, a message in its channel). It is
 * now refused inline, the form kept open with what was written: who resolved it and when (on the writer's clock), and
 * what to do (a resolved incident takes no status updates: reopen it first, or put it in the post-mortem).
 */
describe('a status update saying Resolved on an incident already resolved', () => {
  // The front answers these forms itself (ACK_THREAD=on, the default of a bot run as a process).
  const bot = useBot({ env: { ACK_THREAD: 'on' } });
  let channelId = '';
  let incidentId = 0;
  let number = 0;

  beforeAll(async () => {
    bot.fake.addUser(RESOLVER, { name: 'rita', real_name: 'Rita Resolver', tz: 'Europe/London' });
    bot.fake.addUser(WRITER, { name: 'walt', real_name: 'Walt Writer', tz: 'America/New_York' });
    await bot.command('sev2 checkout errors');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const { rows } = await bot.db.query<{ id: number; number: number }>(
      'SELECT id, number FROM incidents WHERE channel_id = $1',
      [channelId],
    );
    incidentId = Number(rows[0]!.id);
    number = Number(rows[0]!.number);
    // The declaration's page said in the channel (on a busy machine, after the resolution below, and then on the
    // timeline after the events the test compares).
    await waitUntil('the page said', async () => (await kinds()).includes('paged'));
  });

  const kinds = async () =>
    (
      await bot.db.query<{ kind: string }>('SELECT kind FROM incident_events WHERE incident_id = $1 ORDER BY id', [
        incidentId,
      ])
    ).rows.map((r) => r.kind);

  it('is refused inline, naming who resolved it and when, saying to reopen it first; nothing is posted', async () => {
    // The writer opens the form while the incident is open.
    await bot.command('update', { channel_id: channelId, user_id: WRITER });
    const form = await bot.fake.waitFor('views.open');
    const view = form.args.view as { private_metadata: string };
    // Someone else resolves it meanwhile.
    await bot.command('resolve rolled back the deploy', { channel_id: channelId, user_id: RESOLVER });
    await waitUntil('the resolution', async () => {
      const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
        incidentId,
      ]);
      return rows[0]?.status === 'resolved';
    });
    const before = await kinds();

    const answer = await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      userId: WRITER,
      values: statusFormValues({
        status: 'resolved',
        affected: 'checkout',
        impact: 'none now',
        currentStatus: 'error rate back to normal',
      }),
    });
    expect(answer.json).toMatchObject({ response_action: 'errors' });
    const said = (answer.json as { errors: Record<string, string> }).errors[BLOCK.updStatus]!;
    expect(said).toMatch(new RegExp(`^Incident #${number} is already resolved by @Rita Resolver at `));
    // When, on the writer's clock (New York), with UTC beside.
    expect(said).toMatch(/\(America\/New_York\), \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(said).toMatch(/rolled back the deploy/);
    expect(said).toMatch(/\/incident reopen/);
    expect(said).toMatch(/\/incident postmortem/);
    expect(said).not.toMatch(/<@|\*/);

    await sleep(300);
    expect(await kinds()).toEqual(before);
    // Nothing of the update reached the channel (the resolution's own notice may come later: it is not counted).
    expect(JSON.stringify(bot.fake.callsTo('chat.postMessage').map((c) => c.args))).not.toContain(
      'error rate back to normal',
    );
  });

  // Resolved by then (the test above): an update saying Investigating or Mitigated, from a form opened before, is
  // answered at once by the acknowledging front (most updates say these: their answer waits for no read of the
  // incident) and refused after in a private message with the same words; nothing is recorded or posted.
  it.each(['investigating', 'mitigated'])(
    'saying %s, is closed at once and refused privately with the same words; nothing is posted',
    async (status) => {
      const before = await kinds();
      bot.fake.reset();
      const answer = await bot.submit({
        callbackId: VIEW.statusUpdate,
        privateMetadata: encodeModalMetadata({ incidentId, channelId }),
        userId: WRITER,
        values: statusFormValues({
          status,
          affected: 'checkout',
          impact: 'some 500s',
          currentStatus: `still ${status}`,
        }),
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toBeUndefined();
      const told = await bot.fake.waitForTold(WRITER);
      expect(told.text).toMatch(/takes no more status updates/);
      expect(told.text).toMatch(/\/incident reopen/);
      await sleep(300);
      expect(await kinds()).toEqual(before);
      // Given back to the writer alone (what was written is not lost), posted nowhere else.
      const posted = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel !== WRITER);
      expect(JSON.stringify(posted.map((c) => c.args))).not.toContain(`still ${status}`);
      expect(told.text).toContain(`still ${status}`);
    },
  );
});
