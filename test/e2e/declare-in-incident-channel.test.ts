import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, untilPasses } from '../support/incident-flow.js';

const json = (v: unknown) => JSON.stringify(v);
type Button = { action_id: string; value: string; text: { text: string } };

/**
 * `/incident sev0 everything is down` typed in an incident's channel declared a second incident, which paged everyone
 * again for what was most likely the same trouble, worse (or back). It is asked instead: raise this one (reopen it, if
 * resolved), or declare a new one (the form, filled in). `/incident declare sev0 …` still declares at once, anywhere.
 */
describe('a declaration typed in an open incident channel', () => {
  const bot = useBot({ incidentsChannel: true });
  const incidents = async () =>
    (await bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents')).rows[0]!.n;
  const severityOf = async (id: number) =>
    (await bot.db.query<{ severity: number }>('SELECT severity FROM incidents WHERE id = $1', [id])).rows[0]!.severity;

  it('asks whether it is this incident: Raise raises it, Declare a new incident opens the form filled in', async () => {
    const inc = await declareThroughBot(bot, 'sev1 db down');
    const before = await incidents();
    bot.fake.reset();
    await bot.command('sev0 everything is down now', { channel_id: inc.channelId });
    const reply = await bot.fake.waitFor('response_url', (c) => /Nothing was declared/.test(String(c.args.text)));
    expect(String(reply.args.text)).toContain('This channel is incident #');
    expect(String(reply.args.text)).toContain('is *everything is down now* this incident, or another one?');
    const actions = (reply.args.blocks as { type: string; block_id?: string; elements?: Button[] }[]).find(
      (b) => b.type === 'actions',
    )!;
    expect(actions.block_id).toBe(`${BLOCK.raiseSeverity}:${inc.incidentId}`);
    expect(actions.elements!.map((e) => e.text.text)).toEqual([
      expect.stringMatching(/^Raise #\d+ to SEV-0$/),
      'Declare a new incident',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    expect(await incidents()).toBe(before);

    // The reply's buttons, pressed as Slack sends an ephemeral message's clicks (no message ts of its own).
    const press = (n: number) =>
      bot.click({
        channelId: inc.channelId,
        messageTs: '0',
        actionId: actions.elements![n]!.action_id,
        blockId: actions.block_id!,
        value: actions.elements![n]!.value,
        ephemeral: true,
      });
    // Raise: this incident is SEV-0 now.
    expect(actions.elements!.map((e) => e.action_id)).toEqual([ACTION.raiseSeverity, ACTION.declareTyped]);
    await press(0);
    await untilPasses(async () => expect(await severityOf(inc.incidentId)).toBe(0));
    // The reply becomes what was done: its buttons are not left to press again.
    const settled = await bot.fake.waitFor('response_url', (c) => c.args.replace_original === true);
    expect(settled.args.text).toMatch(/^:arrow_up: You raised incident #\d+ to SEV-0\.$/);

    // Declare a new incident: the declare form, with what was typed.
    await press(1);
    const form = await bot.fake.waitFor('views.open');
    const view = json(form.args.view);
    expect(view).toContain('"initial_value":"everything is down now"');
    const select = (form.args.view as { blocks: { element?: { initial_option?: { value: string } } }[] }).blocks.find(
      (b) => b.element?.initial_option,
    );
    expect(select?.element?.initial_option?.value).toBe('0');
    expect(await incidents()).toBe(before);
  });

  it("the same severity says so; `declare` declares at once; a resolved incident's channel offers Reopen", async () => {
    const inc = await declareThroughBot(bot, 'sev2 queue backs up');
    bot.fake.reset();
    await bot.command('sev2 queue still backs up', { channel_id: inc.channelId });
    const same = await bot.fake.waitFor('response_url', (c) => /Nothing was declared/.test(String(c.args.text)));
    expect(String(same.args.text)).toContain('it is SEV-2 already');
    expect(json(same.args.blocks)).not.toContain(ACTION.raiseSeverity);

    const before = await incidents();
    await bot.command('declare sev2 billing export fails', { channel_id: inc.channelId });
    await bot.fake.waitFor('conversations.create');
    await untilPasses(async () => expect(await incidents()).toBe(before + 1));

    await bot.command('resolve drained', { channel_id: inc.channelId });
    await untilPasses(async () =>
      expect(
        (await bot.db.query('SELECT 1 FROM incidents WHERE id = $1 AND status = $2', [inc.incidentId, 'resolved']))
          .rows,
      ).toHaveLength(1),
    );
    // Its channel once it is resolved: asked too, with Reopen (its trouble back) beside Declare a new incident.
    bot.fake.reset();
    await bot.command('sev2 queue backs up again', { channel_id: inc.channelId });
    const back = await bot.fake.waitFor('response_url', (c) => /Nothing was declared/.test(String(c.args.text)));
    expect(String(back.args.text)).toContain(
      'resolved. Nothing was declared: is *queue backs up again* this incident again',
    );
    const buttons = (back.args.blocks as { type: string; block_id?: string; elements?: Button[] }[]).find(
      (b) => b.type === 'actions',
    )!;
    expect(buttons.elements!.map((e) => e.action_id)).toEqual([ACTION.reopen, ACTION.declareTyped]);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    expect(await incidents()).toBe(before + 1);
    await bot.click({
      channelId: inc.channelId,
      messageTs: '0',
      actionId: ACTION.reopen,
      blockId: buttons.block_id!,
      value: buttons.elements![0]!.value,
      ephemeral: true,
    });
    await untilPasses(async () =>
      expect(
        (await bot.db.query('SELECT 1 FROM incidents WHERE id = $1 AND status = $2', [inc.incidentId, 'investigating']))
          .rows,
      ).toHaveLength(1),
    );
    const reopened = await bot.fake.waitFor('response_url', (c) => c.args.replace_original === true);
    expect(reopened.args.text).toMatch(/^:repeat: You reopened incident #\d+: it is Investigating again\.$/);
  });
});
