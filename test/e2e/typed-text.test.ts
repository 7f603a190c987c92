import { describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { useBot } from '../support/bot-harness.js';
import { countIncidents, incidentRow } from '../support/incident-row.js';
import { statusFormValues } from '../support/status-form.js';

const NUL = '\u0000';

/** Text a person types reaches Postgres without the characters it refuses, over the real HTTP edge. */
describe('control characters in typed text', () => {
  const bot = useBot({ timers: false });

  const declare = async (title: string) => {
    await bot.command(`sev2 ${title}`);
    const reply = await bot.fake.waitFor('response_url');
    return reply.args.text as string;
  };

  it('a NUL in a title declares the incident with the NUL dropped', async () => {
    const reply = await declare(`db${NUL} down`);
    expect(reply).not.toMatch(/Something went wrong/);
    const create = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const channelId = bot.fake.channelByName(create.args.name as string)!.id;
    expect((await incidentRow(bot.db, { channelId }))?.title).toBe('db down');
  });

  it('a NUL in every field of a status update records the update with the NULs dropped', async () => {
    await declare('status update target');
    const create = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const channelId = bot.fake.channelByName(create.args.name as string)!.id;
    const row = (await incidentRow(bot.db, { channelId }))!;
    bot.fake.reset();
    const res = await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: Number(row.id), channelId }),
      values: statusFormValues({
        affected: `EU${NUL}`,
        impact: `500s${NUL}`,
        currentStatus: `pool${NUL}\nexhausted`,
        mitigation: `restart${NUL}`,
      }),
    });
    expect(res.status).toBe(200);
    await bot.fake.waitFor('chat.update');
    expect(bot.fake.callsTo('chat.postEphemeral').map((c) => c.args.text)).not.toContainEqual(
      expect.stringMatching(/Something went wrong/),
    );
    expect(await incidentRow(bot.db, { channelId })).toMatchObject({
      affected: 'EU',
      current_impact: '500s',
      current_status: 'pool\nexhausted',
      mitigation_steps: 'restart',
    });
  });

  it('a title with &, < and > (which Slack sends escaped) is stored and shown as typed, escaped once', async () => {
    // What Slack sends for `/incident sev2 p99 > 2s & errors < 1%`.
    await declare('p99 &gt; 2s &amp; errors &lt; 1%');
    const create = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    expect(create.args.name).toMatch(/^inc-\d+-p99-2s-errors-1$/);
    const channelId = bot.fake.channelByName(create.args.name as string)!.id;
    const row = (await incidentRow(bot.db, { channelId }))!;
    expect(row.title).toBe('p99 > 2s & errors < 1%');
    const card = bot.fake.callsTo('chat.postMessage').find((c) => c.args.channel === channelId)!;
    // The header is plain text: the title as typed, no entity in it.
    expect(card.args.blocks[0].text.text).toMatch(/p99 > 2s & errors < 1%$/);
    // The mrkdwn text escapes it once.
    expect(card.args.text).toContain('p99 &gt; 2s &amp; errors &lt; 1%');
    expect(JSON.stringify(card.args)).not.toMatch(/&amp;(gt|lt|amp);/);
  });

  it('a title of only zero-width and bidi characters is refused like an empty one: nothing stored, no channel', async () => {
    const before = await countIncidents(bot.db);
    const res = await bot.command('sev1 \u200B\u202E\u2066\uFEFF\u200D');
    expect(res.status).toBe(200);
    const answer = await bot.answer(res);
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toMatch(/title/i);
    expect(await countIncidents(bot.db)).toBe(before);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
  });

  it('bidi controls are stripped from a stored title', async () => {
    await declare('\u202Enwod bd\u202C api');
    const create = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const channelId = bot.fake.channelByName(create.args.name as string)!.id;
    expect((await incidentRow(bot.db, { channelId }))?.title).toBe('nwod bd api');
  });
});
