import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * Someone archives an open incident's channel in Slack: Slack sends `channel_archive` (`group_archive` for a private
 * channel) to the bot, which records it and tells the incidents channel and, directly, the incident's commander (else
 * its declarer) and whoever archived it, with how to unarchive it (apps cannot).
 */
const ARCHIVER = 'U0TIDYUP';

const archive = (channel: string, user: string, type = 'channel_archive', eventTs = `${Date.now() / 1000}`) => ({
  type,
  channel,
  user,
  event_ts: eventTs,
});

describe("an open incident's channel archived in Slack", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook({ ...testRunbookData(), private_incidents: { announce: 'notice' } }),
  });
  /** What the bot said of `channel` being archived: each post's channel (a person's ID for a DM) and text. */
  const told = (channel: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => /archived/.test(String(c.args.text)) && String(c.args.text).includes(`<#${channel}>`))
      .map((c) => ({ to: String(c.args.channel), text: String(c.args.text) }));
  const timeline = async (incidentId: number) =>
    (
      await bot.db.query<{ actor_id: string }>(
        `SELECT actor_id FROM incident_events WHERE incident_id = $1 AND kind = 'channel_archived'`,
        [incidentId],
      )
    ).rows;

  it('is recorded and told once, in the incidents channel and to its declarer and who archived it, with how to undo it', async () => {
    const card = await declareThroughBot(bot, 'sev2 search results empty for EU');
    const event = archive(card.channelId, ARCHIVER);
    expect((await bot.event(event)).status).toBe(200);
    const posts = await eventually(async () => {
      const t = told(card.channelId);
      return t.length >= 3 ? t : undefined;
    }, 'the three tellings');
    expect(posts.map((p) => p.to).sort()).toEqual([ARCHIVER, INCIDENTS_CHANNEL_ID, TEST_REPORTER_ID].sort());
    const inIncidents = posts.find((p) => p.to === INCIDENTS_CHANNEL_ID)!.text;
    expect(inIncidents).toContain(`<@${ARCHIVER}> archived <#${card.channelId}>, the channel of incident #`);
    expect(inIncidents).toContain('search results empty for EU');
    expect(inIncidents).toContain('while the incident is still open');
    expect(inIncidents).toContain('*Unarchive channel*');
    expect(inIncidents).toContain('Slack does not let apps unarchive a channel');
    // Slack brings a public channel back without its members, the bot's own included.
    expect(inIncidents).toContain("the bot joins it again and invites the incident's people back");
    expect(inIncidents).toContain(`(if it does not, \`/invite <@${BOT_USER_ID}>\` there)`);
    expect(posts.find((p) => p.to === ARCHIVER)!.text).toMatch(/^:warning: You archived <#/);
    expect(await timeline(card.incidentId)).toEqual([{ actor_id: ARCHIVER }]);

    // Slack sending it again (no answer in time, a retry): nothing more.
    expect((await bot.event(event)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(told(card.channelId)).toHaveLength(3);
    expect(await timeline(card.incidentId)).toHaveLength(1);
  });

  it('a commander is told rather than the declarer; archived by the commander, told once', async () => {
    const card = await declareThroughBot(bot, 'sev2 invoices stuck in draft');
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      'incident_acknowledge',
      'U0LEAD',
    );
    await eventually(async () => {
      const { rows } = await bot.db.query('SELECT 1 FROM incidents WHERE id = $1 AND commander_id = $2', [
        card.incidentId,
        'U0LEAD',
      ]);
      return rows.length ? true : undefined;
    }, 'the commander');
    await bot.event(archive(card.channelId, 'U0LEAD'));
    const posts = await eventually(async () => {
      const t = told(card.channelId);
      return t.length >= 2 ? t : undefined;
    }, 'the tellings');
    await new Promise((r) => setTimeout(r, 500));
    expect(
      told(card.channelId)
        .map((p) => p.to)
        .sort(),
    ).toEqual([INCIDENTS_CHANNEL_ID, 'U0LEAD'].sort());
    expect(posts.find((p) => p.to === 'U0LEAD')!.text).toMatch(/^:warning: You archived/);
  });

  it('a private incident (group_archive) is told only to its people, never in the incidents channel', async () => {
    const card = await declareThroughBot(bot, 'sev1 --private signing key leaked');
    await bot.event(archive(card.channelId, ARCHIVER, 'group_archive'));
    await eventually(async () => ((await timeline(card.incidentId)).length ? true : undefined), 'the record');
    await new Promise((r) => setTimeout(r, 500));
    const posts = told(card.channelId);
    expect(posts.map((p) => p.to).sort()).toEqual([ARCHIVER, TEST_REPORTER_ID].sort());
    for (const p of posts) expect(p.text).not.toContain('signing key leaked');
    // A private channel keeps its members when unarchived: nobody is asked to invite the bot back.
    for (const p of posts) expect(p.text).not.toContain('/invite');
  });

  it('a resolved incident archived (the usual clean-up), the bot archiving, or a channel of no incident: nothing said', async () => {
    const card = await declareThroughBot(bot, 'sev3 typo on the pricing page');
    const res = await bot.command('resolve fixed the typo', { channel_id: card.channelId });
    expect(res.status).toBe(200);
    await eventually(async () => {
      const { rows } = await bot.db.query(`SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'`, [
        card.incidentId,
      ]);
      return rows.length ? true : undefined;
    }, 'the resolution');
    await bot.event(archive(card.channelId, ARCHIVER));
    const open = await declareThroughBot(bot, 'sev2 webhooks delayed');
    await bot.event(archive(open.channelId, BOT_USER_ID));
    await bot.event(archive('C0RANDOM', ARCHIVER));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(told(card.channelId)).toEqual([]);
    expect(told(open.channelId)).toEqual([]);
    expect(await timeline(card.incidentId)).toEqual([]);
    expect(await timeline(open.incidentId)).toEqual([]);
  });

  it('unarchived (Slack bringing a public channel back with nobody in it): the bot joins, invites its people back, says so, and its card is drawn again', async () => {
    const card = await declareThroughBot(bot, 'sev2 reports time out for big tenants');
    await bot.event(archive(card.channelId, ARCHIVER));
    await eventually(async () => ((await timeline(card.incidentId)).length ? true : undefined), 'the archiving');
    // As Slack unarchives a public channel: back, with none of its members (the bot's own membership included).
    const channel = bot.fake.channels.get(card.channelId)!;
    channel.isArchived = false;
    channel.members.clear();
    channel.members.add(ARCHIVER);
    // Changed while archived (its card could not be redrawn then): the title, as a rename would leave it.
    await bot.db.query('UPDATE incidents SET title = $2 WHERE id = $1', [card.incidentId, 'reports time out (EU)']);
    const event = archive(card.channelId, ARCHIVER, 'channel_unarchive');
    expect((await bot.event(event)).status).toBe(200);
    const said = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /unarchived the channel/.test(String(c.args.text)),
    );
    expect(bot.fake.callsTo('conversations.join').map((c) => c.args.channel)).toContain(card.channelId);
    expect(channel.members.has(BOT_USER_ID)).toBe(true);
    // Its declarer (paged people, its commander … as the record knows them) invited back; who unarchived it is there.
    expect(channel.members.has(TEST_REPORTER_ID)).toBe(true);
    expect(String(said.args.text)).toContain(`<@${ARCHIVER}> unarchived the channel of incident #`);
    expect(String(said.args.text)).toMatch(new RegExp(`the bot invited [^;]*<@${TEST_REPORTER_ID}>[^;]* back`));
    const invited = await eventually(async () => {
      const { rows } = await bot.db.query<{ details: { invited: string[] } }>(
        `SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'channel_unarchived'`,
        [card.incidentId],
      );
      return rows.length ? rows.map((r) => r.details.invited) : undefined;
    }, 'the unarchiving recorded');
    expect(invited).toEqual([expect.arrayContaining([TEST_REPORTER_ID])]);
    // Its card drawn again, as the incident is now.
    await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.ts === card.cardTs && JSON.stringify(c.args.blocks).includes('reports time out (EU)'),
    );
    // Slack sending it again: not joined, invited nor said again.
    const joins = bot.fake.callsTo('conversations.join').length;
    await bot.event(event);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(bot.fake.callsTo('conversations.join')).toHaveLength(joins);
  });
});
