import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { waitUntil } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';
import { stateValue } from '../support/slack-request.js';

const RESOLVER = 'U0RESOLVER';
const WRITER = 'U0WRITER';

/**
 * A resolve form submitted on an incident someone else resolved meanwhile was answered at once by the acknowledging
 * front and refused after, privately (an ephemeral message, the form gone). The front now reads the incident first, as
 * for a status update saying Resolved: resolved, the form goes to the bot, which refuses it inline under the summary,
 * the form kept open with what was written. A form the front answered already (read as open) is still refused
 * privately by the service.
 */
describe('a resolve form on an incident already resolved', () => {
  const bot = useBot();
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
    // timeline after the events the test compares), as status-update-already-resolved waits for it.
    await waitUntil('the page said', async () => (await kinds()).includes('paged'));
    await bot.command('resolve rolled back the deploy', { channel_id: channelId, user_id: RESOLVER });
    await waitUntil('the resolution', async () => {
      const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
        incidentId,
      ]);
      return rows[0]?.status === 'resolved';
    });
  });

  const kinds = async () =>
    (
      await bot.db.query<{ kind: string }>('SELECT kind FROM incident_events WHERE incident_id = $1 ORDER BY id', [
        incidentId,
      ])
    ).rows.map((r) => r.kind);

  const submitResolve = (userId: string, summary: string) =>
    bot.submit({
      callbackId: VIEW.resolve,
      privateMetadata: encodeModalMetadata({ incidentId, channelId }),
      userId,
      values: { [BLOCK.resolveSummary]: { [INPUT.summary]: stateValue.plainText(summary) } },
    });

  it('resolved by another: refused inline under the summary, naming who, when (on the writer’s clock) and how; nothing changes', async () => {
    const before = await kinds();
    bot.fake.reset();
    const answer = await submitResolve(WRITER, 'restarted the pool');
    expect(answer.json).toMatchObject({ response_action: 'errors' });
    const said = (answer.json as { errors: Record<string, string> }).errors[BLOCK.resolveSummary]!;
    expect(said).toMatch(new RegExp(`^Incident #${number} is already resolved by @Rita Resolver at `));
    expect(said).toMatch(/\(America\/New_York\), \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(said).toMatch(/rolled back the deploy/);
    expect(said).toMatch(/your summary was not recorded/);
    expect(said).toMatch(/\/incident postmortem/);
    expect(said).toMatch(/\/incident reopen/);
    expect(said).not.toMatch(/<@|\*|`/);

    await sleep(300);
    expect(await kinds()).toEqual(before);
    const { rows } = await bot.db.query<{ resolution_summary: string; resolved_by: string }>(
      'SELECT resolution_summary, resolved_by FROM incidents WHERE id = $1',
      [incidentId],
    );
    expect(rows[0]).toEqual({ resolution_summary: 'rolled back the deploy', resolved_by: RESOLVER });
    // Said in the form only: no private message, nothing in the channel.
    expect(bot.fake.callsTo('chat.postEphemeral')).toHaveLength(0);
    expect(JSON.stringify(bot.fake.callsTo('chat.postMessage').map((c) => c.args))).not.toContain('restarted the pool');
  });

  it('resolved by the same person (from another form or command): refused inline, saying so', async () => {
    const answer = await submitResolve(RESOLVER, 'rolled back the deploy');
    expect(answer.json).toMatchObject({ response_action: 'errors' });
    const said = (answer.json as { errors: Record<string, string> }).errors[BLOCK.resolveSummary]!;
    expect(said).toMatch(new RegExp(`^Incident #${number} is already resolved by @Rita Resolver at `));
    expect(said).toMatch(/You resolved it .*nothing was changed/);
  });
});
