import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, type CardRef, useBot } from '../support/bot-harness.js';
import { acknowledgeInDm, cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown) => JSON.stringify(v ?? {});
const pagesTo = (bot: BotHarness, user: string, title: string) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter((c) => !c.failed && c.args.channel === user && json(c.args).includes(title));

async function declare(bot: BotHarness, text: string): Promise<CardRef> {
  const opened = await declareThroughBot(bot, text);
  return { id: opened.incidentId, channelId: opened.channelId, cardTs: opened.cardTs };
}

/** The card's Escalate now button as Slack holds it now. */
function escalateButton(bot: BotHarness, card: CardRef): { value?: string; block_id: string } {
  const blocks = bot.fake.message(card.channelId, card.cardTs)!.blocks as {
    type: string;
    block_id: string;
    elements?: { action_id?: string; value?: string }[];
  }[];
  const row = blocks.find((b) => b.elements?.some((e) => e.action_id === ACTION.escalate))!;
  const button = row.elements!.find((e) => e.action_id === ACTION.escalate)!;
  return { value: button.value, block_id: row.block_id };
}

/** Waits for the clicker's or typist's "Paging *role* now" and for the page itself, a DM to `to` naming `title`. */
async function pagedNow(bot: BotHarness, roleName: string, to: string, title: string): Promise<void> {
  await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(`Paging *${roleName}* now`));
  await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === to && json(c.args).includes(title));
}

/** Waits for the channel's line of a page by name to `userId` (said once its DM is recorded as theirs). */
function saidPagedByName(bot: BotHarness, card: CardRef, userId: string) {
  return bot.fake.waitFor(
    'chat.postMessage',
    (c) => c.args.channel === card.channelId && String(c.args.text).includes(`Paged <@${userId}> by name because`),
  );
}

/** A click on the card's Escalate now as `userId`, with the button as it was read (`button`, from escalateButton). */
function pressEscalate(bot: BotHarness, card: CardRef, button: { value?: string; block_id: string }, userId: string) {
  return bot.click({
    channelId: card.channelId,
    messageTs: card.cardTs,
    actionId: ACTION.escalate,
    blockId: button.block_id,
    value: button.value,
    userId,
  });
}

describe('Escalate now pages the role the card showed, once', () => {
  const bot = useBot();

  it('a double click on the card (two trigger ids) after senior DevOps was paged pages the engineering manager only', async () => {
    const card = await declare(bot, 'sev2 double escalate');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('escalate', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /Paged \*Senior DevOps Engineer\*/.test(String(c.args.text)),
    );
    await bot.fake.waitFor(
      'chat.update',
      // Paged, not only named as next: the card names who each role would page too.
      (c) =>
        c.args.ts === card.cardTs &&
        /Paged: [^"]*Senior DevOps Engineer \(<!date\^\d+\^\{ago\}\|/.test(json(c.args.blocks)),
    );
    const shown = json(bot.fake.message(card.channelId, card.cardTs)!.blocks);
    const button = escalateButton(bot, card);
    bot.fake.reset();
    const click = (user: string) => pressEscalate(bot, card, button, user);
    await Promise.all([click('U0RESP1'), click('U0RESP2')]);
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0MANAGER');
    await sleep(1500);
    expect(pagesTo(bot, 'U0CTO', 'double escalate')).toHaveLength(0);
    // The first click is answered "Paging … now"; the second, that it was paged already.
    const reply = await bot.fake.waitFor(
      'response_url',
      (c) => /Engineering Manager/.test(String(c.args.text)) && /already|being paged/.test(String(c.args.text)),
    );
    expect(reply.args.text).toMatch(/nobody else was paged/);
    expect(
      bot.fake.callsTo('response_url').filter((c) => /Paging \*Engineering Manager\* now/.test(String(c.args.text))),
    ).toHaveLength(1);
    expect(pagesTo(bot, 'U0MANAGER', 'double escalate')).toHaveLength(1);
    const { rows } = await bot.db.query<{ role: string }>(
      `SELECT role FROM escalation_jobs WHERE incident_id = $1 AND rule = 'manual' ORDER BY id`,
      [card.id],
    );
    expect(rows.map((r) => r.role)).toEqual(['senior_devops', 'engineering_manager']);
    // The card said whom the button would page.
    expect(shown).toContain('Escalate now: Engineering Manager');
  });

  it('/incident escalate typed twice pages one role; the second is told who was already paged', async () => {
    const card = await declare(bot, 'sev2 typed twice');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await bot.fake.waitFor('response_url', (c) => /Paging \*Senior DevOps Engineer\* now/.test(String(c.args.text)));
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR');
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0RESP2' });
    const told = await bot.fake.waitFor('response_url', (c) => /already/.test(String(c.args.text)));
    expect(told.args.text).toMatch(/Senior DevOps Engineer/);
    expect(told.args.text).toContain('<@U0RESP1>');
    expect(told.args.text).toMatch(/nobody else was paged/);
    // The reply offers the next role explicitly.
    expect(json(told.args.blocks)).toContain('Page Engineering Manager now');
    await sleep(1500);
    expect(pagesTo(bot, 'U0MANAGER', 'typed twice')).toHaveLength(0);
  });

  it('/incident escalate <role> pages the role named, in the contact order or not; a second time says it was paged', async () => {
    const card = await declare(bot, 'sev2 replica lag');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    // The database team is not in the contact order: named, it is paged at once.
    await bot.command('escalate database team', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Database Team', 'U0DBTEAM', 'replica lag');
    // Named by a part of it (`cto`), the CTO, skipping the roles before it in the order.
    await bot.command('page cto', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'CTO', 'U0CTO', 'replica lag');
    await bot.command('escalate CTO', { channel_id: card.channelId, user_id: 'U0RESP2' });
    const told = await bot.fake.waitFor('response_url', (c) => /already/.test(String(c.args.text)));
    expect(told.args.text).toMatch(/CTO/);
    expect(told.args.text).toMatch(/nobody else was paged/);
    await sleep(1000);
    expect(pagesTo(bot, 'U0CTO', 'replica lag')).toHaveLength(1);
    expect(pagesTo(bot, 'U0SENIOR', 'replica lag')).toHaveLength(0);
    const { rows } = await bot.db.query<{ details: { role: string } }>(
      `SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'escalation_requested' ORDER BY id`,
      [card.id],
    );
    expect(rows.map((r) => r.details.role)).toEqual(['database_team', 'cto']);
  });

  it('/incident escalate pages on a mitigated incident (its root cause is still to fix); on a resolved one it says to reopen it', async () => {
    const card = await declare(bot, 'sev2 cache stampede');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('mitigated warmed the cache', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /mitigated/i.test(json(c.args)),
    );
    await bot.command('escalate database team', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Database Team', 'U0DBTEAM', 'cache stampede');

    await bot.command('resolve fixed the ttl', { channel_id: card.channelId, user_id: 'U0RESP1' });
    // The resolution's own notice (its summary): "resolved" alone is in earlier messages too ("unless resolved by
    // then"), and matching one of them let the escalation below run before the resolution was recorded.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId && /resolved/.test(json(c.args)) && json(c.args).includes('fixed the ttl'),
    );
    bot.fake.reset();
    const told = await bot.replyTo(
      await bot.command('escalate cto', { channel_id: card.channelId, user_id: 'U0RESP1' }),
    );
    expect(told.text).toMatch(/This incident is resolved, so nobody is paged for it\. .*`\/incident reopen \[why\]`/);
    await sleep(500);
    expect(pagesTo(bot, 'U0CTO', 'cache stampede')).toHaveLength(0);
  });

  it('the card of a mitigated incident keeps its Escalate now, and a click pages the role it names', async () => {
    const card = await declare(bot, 'sev2 mitigated card escalate');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('mitigated failed over', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await cardShows(bot, card, /Mitigated.*Escalate now: Senior DevOps Engineer/);
    const button = escalateButton(bot, card);
    bot.fake.reset();
    await pressEscalate(bot, card, button, 'U0RESP1');
    await pagedNow(bot, 'Senior DevOps Engineer', 'U0SENIOR', 'mitigated card escalate');
    // The card then names the role after it.
    await cardShows(bot, card, 'Escalate now: Engineering Manager');
  });

  it('/incident escalate with a role the runbook does not have, or one that fits several, says which roles there are', async () => {
    const card = await declare(bot, 'sev2 unknown role');
    bot.fake.reset();
    await bot.command('escalate the janitor', { channel_id: card.channelId });
    const none = await bot.fake.waitFor('response_url');
    expect(none.args.text).toContain(
      'There is no role `the janitor` in the runbook. Its roles: On-Call Engineer (`on_call`)',
    );
    expect(none.args.text).toContain('Database Team (`database_team`)');
    expect(none.args.text).toContain('To page a person, mention them: `/incident page @alice`.');
    bot.fake.reset();
    // A handle that is nobody in the workspace and no role: said so, with the roles.
    await bot.command('page @nobody-at-all', { channel_id: card.channelId });
    const nobody = String((await bot.fake.waitFor('response_url')).args.text);
    expect(nobody).toContain('Nobody in this workspace is called `@nobody-at-all`, and no role of the runbook is.');
    expect(nobody).toContain('Database Team (`database_team`)');
    bot.fake.reset();
    // Many people are not one person to page.
    await bot.command('page <!here>', { channel_id: card.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toContain(
      '`@here` is not a person: a page by name goes to one person.',
    );
    bot.fake.reset();
    await bot.command('escalate e', { channel_id: card.channelId });
    const several = await bot.fake.waitFor('response_url');
    expect(several.args.text).toMatch(/`e` fits several roles: .*Name one, e\.g\. `\/incident escalate /);
    const { rows } = await bot.db.query(
      `SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'escalation_requested'`,
      [card.id],
    );
    expect(rows).toHaveLength(0);
  });
});

describe("a page's Escalate to …: the person paged pages the next role from the page", () => {
  const bot = useBot();
  type Dm = ReturnType<typeof pagesTo>[number];
  const actionsOf = (dm: Dm) =>
    (
      dm.args.blocks as {
        type: string;
        block_id: string;
        elements: { action_id: string; value?: string; text: { text: string } }[];
      }[]
    ).find((b) => b.type === 'actions')!;
  const pressOnPage = (dm: Dm, userId: string) => {
    const actions = actionsOf(dm);
    const button = actions.elements.find((e) => e.action_id === ACTION.escalate)!;
    return bot.click({
      channelId: dm.args.channel,
      messageTs: dm.response!.ts,
      actionId: ACTION.escalate,
      blockId: actions.block_id,
      value: button.value,
      userId,
    });
  };

  it('the on-call who cannot take it pages senior DevOps at once; pressed again, nobody more', async () => {
    const card = await declare(bot, 'sev2 queue consumers stuck');
    const page = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    expect(actionsOf(page).elements.map((e) => e.text.text)).toEqual([
      'Acknowledge',
      'Escalate to Senior DevOps Engineer',
      'Open the incident channel',
    ]);
    await pressOnPage(page, 'U0ONCALL');
    await pagedNow(bot, 'Senior DevOps Engineer', 'U0SENIOR', 'queue consumers stuck');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId &&
        String(c.args.text).includes('Paged *Senior DevOps Engineer*') &&
        String(c.args.text).includes('<@U0ONCALL>'),
    );
    // The senior's page offers the next in turn.
    const senior = pagesTo(bot, 'U0SENIOR', 'queue consumers stuck')[0]!;
    expect(json(actionsOf(senior))).toContain('Escalate to Engineering Manager');
    // The on-call's page pressed again (a double tap): said, nobody else paged.
    bot.fake.reset();
    await pressOnPage(page, 'U0ONCALL');
    const told = await bot.fake.waitFor('response_url', (c) => /already/.test(json(c.args)));
    expect(json(told.args)).toContain('Senior DevOps Engineer');
    await sleep(800);
    expect(pagesTo(bot, 'U0MANAGER', 'queue consumers stuck')).toHaveLength(0);
    expect(pagesTo(bot, 'U0SENIOR', 'queue consumers stuck')).toHaveLength(0);
  });

  it('the last role of the contact order and a person paged by name have no one to escalate to from their page', async () => {
    bot.fake.addUser('U0DANA', { name: 'dana', real_name: 'Dana Scully' });
    const card = await declare(bot, 'sev2 cache stampede');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('page cto', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'CTO', 'U0CTO', 'cache stampede');
    await bot.command('page <@U0DANA|dana>', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Dana Scully', 'U0DANA', 'cache stampede');
    for (const to of ['U0CTO', 'U0DANA']) {
      const dm = pagesTo(bot, to, 'cache stampede')[0]!;
      expect(json(actionsOf(dm)), to).not.toContain(ACTION.escalate);
    }
  });
});

describe("a page's Escalate to … names the next role not paged yet", () => {
  // SEV-1's response time 2 s: nobody acknowledging, on-call is paged again with senior DevOps.
  const bot = useBot({ runbook: testRunbook({ respond: { 0: '60s', 1: '2s', 2: '60s', 3: '60s' } }) });
  const buttonsOf = (dm: { args: Record<string, unknown> }) =>
    (dm.args.blocks as { type: string; elements?: { text: { text: string } }[] }[])
      .find((b) => b.type === 'actions')!
      .elements!.map((e) => e.text.text);

  it("on-call paged again with senior DevOps: its page offers the engineering manager (the card's next), not senior DevOps", async () => {
    const card = await declare(bot, 'sev1 ledger writes failing');
    const first = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    const again = await eventually(
      async () => pagesTo(bot, 'U0ONCALL', 'ledger writes failing')[1],
      'on-call paged again',
    );
    await eventually(async () => pagesTo(bot, 'U0SENIOR', 'ledger writes failing')[0], 'senior DevOps paged');
    // The first page offers senior DevOps when it was drawn before senior DevOps was paged: surely so when it was
    // posted before that page's transaction began (a busy machine may draw it after: it then offers the next one).
    const seniorPagedAt = (
      await bot.db.query<{ created_at: Date }>(
        "SELECT created_at FROM pages WHERE incident_id = $1 AND role = 'senior_devops' ORDER BY id LIMIT 1",
        [card.id],
      )
    ).rows[0]!.created_at.getTime();
    expect(buttonsOf(first)).toEqual([
      'Acknowledge',
      first.at < seniorPagedAt
        ? 'Escalate to Senior DevOps Engineer'
        : expect.stringMatching(/^Escalate to (Senior DevOps Engineer|Engineering Manager)$/),
      'Open the incident channel',
    ]);
    // Senior DevOps is paged in the same round (pressing it would say so and page nobody).
    expect(buttonsOf(again)).toEqual(['Acknowledge', 'Escalate to Engineering Manager', 'Open the incident channel']);
  });
});

describe('/incident page @person pages that person, by name', () => {
  const bot = useBot();

  it('pages the person (a DM with Acknowledge, the channel, the card, the timeline), once; @role stays the role; yourself and the bot are refused', async () => {
    bot.fake.addUser('U0DANA', { name: 'dana', real_name: 'Dana Scully' });
    const card = await declare(bot, 'sev2 search latency doubled');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    // As Slack sends a mention, and as typed by handle: the same person.
    await bot.command('page <@U0DANA|dana>', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Dana Scully', 'U0DANA', 'search latency doubled');
    const dm = pagesTo(bot, 'U0DANA', 'search latency doubled')[0]!;
    expect(json(dm.args.blocks)).toContain('You are paged by name because');
    expect(json(dm.args.blocks)).toContain(ACTION.acknowledge);
    await saidPagedByName(bot, card, 'U0DANA');
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === card.channelId && /U0DANA/.test(json(c.args)),
    );
    await cardShows(bot, card, /Paged: [^"]*Dana Scully \(/);
    // A second time: paged already, nobody else; the next role is offered.
    await bot.command('page @dana.', { channel_id: card.channelId, user_id: 'U0RESP2' });
    const told = await bot.fake.waitFor('response_url', (c) => /already/.test(json(c.args)));
    expect(json(told.args)).toContain('Dana Scully* was already paged');
    await sleep(800);
    expect(pagesTo(bot, 'U0DANA', 'search latency doubled')).toHaveLength(1);
    // The role named as a handle stays the role; the contact order is not moved by a page by name.
    await bot.command('page @database-team', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Database Team', 'U0DBTEAM', 'search latency doubled');
    // The card as drawn after that page (it lists it), not as it was before: it offered senior DevOps already.
    const drawn = await cardShows(bot, card, /Paged: [^"]*Database Team \(/);
    expect(drawn).toContain('Escalate now: Senior DevOps Engineer');
    // Oneself and the bot: refused, nobody paged.
    bot.fake.reset();
    const self = await bot.command('page <@U0RESP1|resp1>', { channel_id: card.channelId, user_id: 'U0RESP1' });
    expect(String((await bot.replyTo(self)).text)).toContain('That is you');
    bot.fake.reset();
    await bot.command('page <@UBOT>', { channel_id: card.channelId, user_id: 'U0RESP1' });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toContain('The bot cannot be paged');
    const { rows } = await bot.db.query<{ kind: string; details: { role: string } }>(
      `SELECT kind, details FROM incident_events WHERE incident_id = $1 AND kind IN ('escalation_requested', 'paged') ORDER BY id`,
      [card.id],
    );
    const byName = rows.filter((r) => r.details.role.startsWith('person:U0DANA:'));
    expect(byName.map((r) => r.kind)).toEqual(['escalation_requested', 'paged']);
    // The timeline names the person.
    bot.fake.reset();
    await bot.command('timeline', { channel_id: card.channelId, user_id: 'U0RESP1' });
    const timeline = json((await bot.fake.waitFor('response_url')).args);
    expect(timeline).toContain('<@U0RESP1> paged <@U0DANA> by name');
    expect(timeline).toContain('Paged <@U0DANA> by name: someone escalated by hand');
    expect(timeline).not.toContain('person:U0DANA');

    // Dana acknowledges from her page: she commands, and her page says it was acknowledged, by name.
    const actions = (
      dm.args.blocks as { type: string; block_id: string; elements: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === 'actions')!;
    const ack = actions.elements.find((e) => e.action_id === ACTION.acknowledge)!;
    await bot.click({
      channelId: 'U0DANA',
      messageTs: dm.response!.ts,
      actionId: ACTION.acknowledge,
      blockId: actions.block_id,
      value: ack.value,
      userId: 'U0DANA',
    });
    const answered = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.ts === dm.response!.ts && json(c.args).includes('acknowledged'),
    );
    expect(json(answered.args.blocks)).toContain('You were paged by name for incident');
  });
});

describe('a person paged by name acknowledges their page on an incident someone commands', () => {
  const bot = useBot();

  it('their page stops; the channel, the reply and the timeline say "by name", not "the page of <their name>"', async () => {
    bot.fake.addUser('U0GINA', { name: 'gina', real_name: 'Gina Net' });
    const card = await declare(bot, 'sev2 packet loss');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await cardShows(bot, card, 'Take command');
    await bot.command('page @gina', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Gina Net', 'U0GINA', 'packet loss');
    // The page is said in the channel once its DM is recorded as hers: a click sooner finds no page of hers yet.
    await saidPagedByName(bot, card, 'U0GINA');
    const dm = pagesTo(bot, 'U0GINA', 'packet loss')[0]!;
    await acknowledgeInDm(bot, { channel: 'U0GINA', ts: dm.response!.ts }, card.id, 'U0GINA');
    // Her click's reply, by what it says: the replies to the ack and the page typed before can still land after it.
    const reply = (
      await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes('You acknowledged your page by name'))
    ).args;
    expect(reply.text).toContain(
      'You acknowledged your page by name: its remaining notifications, if any, are stopped.',
    );
    expect(reply.text).toContain('<@U0RESP1> is the commander of this incident; command was not changed');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId &&
        String(c.args.text).includes('<@U0GINA> acknowledged their page by name: its remaining notifications'),
    );
    const typed = await bot.command('timeline', { channel_id: card.channelId, user_id: 'U0RESP1' });
    const timeline = json((await bot.replyTo(typed)).blocks);
    expect(timeline).toContain('<@U0GINA> acknowledged the page (by name)');
    expect(timeline).not.toContain('Gina Net');
  });
});

describe('a person paged by name and not answering is paged again when asked again', () => {
  const bot = useBot({ escalation: { repeatWindowMs: 4000 } });

  it('asked again at once: paged already (a double submission), with when asking again pages again; asked again later: a second page', async () => {
    bot.fake.addUser('U0HANK', { name: 'hank', real_name: 'Hank Storage' });
    const card = await declare(bot, 'sev2 disk filling');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.command('page @hank', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Hank Storage', 'U0HANK', 'disk filling');
    await saidPagedByName(bot, card, 'U0HANK');
    await bot.command('page @hank', { channel_id: card.channelId, user_id: 'U0RESP2' });
    const told = await bot.fake.waitFor('response_url', (c) => /already paged/.test(json(c.args)));
    expect(json(told.args)).toMatch(
      /Hank Storage\* was already paged .*To page them again, ask again <!date\^\d+\^[^|]+\|[^>]+> or later\./,
    );
    await sleep(800);
    expect(pagesTo(bot, 'U0HANK', 'disk filling')).toHaveLength(1);
    // Past the window, nobody having answered: asked again, he is paged again.
    await sleep(4000);
    bot.fake.reset();
    await bot.command('page @hank', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Hank Storage', 'U0HANK', 'disk filling');
    const pagesOfHank = async () =>
      (
        await bot.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM incident_events WHERE incident_id = $1 AND kind = 'paged' AND details->>'role' LIKE 'person:U0HANK:%'`,
          [card.id],
        )
      ).rows[0]!.n;
    await eventually(async () => ((await pagesOfHank()) === 2 ? true : undefined), 'the second page recorded');
  });
});

describe('/incident page @a @b pages each', () => {
  const bot = useBot();

  it('pages every person named, each once; one nobody knows and nobody is paged', async () => {
    bot.fake.addUser('U0ERIN', { name: 'erin', real_name: 'Erin Ops' });
    bot.fake.addUser('U0FRANK', { name: 'frank', real_name: 'Frank Db' });
    const card = await declare(bot, 'sev2 queue backlog');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    bot.fake.reset();
    // One of them is nobody: refused before anyone is paged.
    await bot.command('page @erin @nobody-at-all', { channel_id: card.channelId, user_id: 'U0RESP1' });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toContain(
      'Nobody in this workspace is called `@nobody-at-all`, and no role of the runbook is: nobody was paged.',
    );
    await sleep(500);
    expect(pagesTo(bot, 'U0ERIN', 'queue backlog')).toHaveLength(0);
    // Both known (one as Slack sends a mention, one by handle), and a role's handle beside them: each is paged.
    await bot.command('page <@U0ERIN|erin> @frank @database-team', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await pagedNow(bot, 'Erin Ops', 'U0ERIN', 'queue backlog');
    await pagedNow(bot, 'Frank Db', 'U0FRANK', 'queue backlog');
    await pagedNow(bot, 'Database Team', 'U0DBTEAM', 'queue backlog');
    // Again, listed as people write lists: each was paged already, nobody twice.
    await bot.command('page @erin, and @frank', { channel_id: card.channelId, user_id: 'U0RESP2' });
    await bot.fake.waitFor('response_url', (c) => /Frank Db\* was already paged/.test(json(c.args)));
    await sleep(500);
    expect(pagesTo(bot, 'U0ERIN', 'queue backlog')).toHaveLength(1);
    expect(pagesTo(bot, 'U0FRANK', 'queue backlog')).toHaveLength(1);
    // Someone Slack cannot reach (deactivated): the channel is told, with what to do, not to check a role's contacts.
    bot.fake.unknownUsers.add('U0GONE');
    await bot.command('page <@U0GONE|gone>', { channel_id: card.channelId, user_id: 'U0RESP1' });
    const gone = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /Could not page/.test(String(c.args.text)),
    );
    expect(gone.args.text).toContain(
      'by name: Slack could not reach <@U0GONE> (Slack answered channel_not_found: no such Slack user). Reach them another way.',
    );
    expect(gone.args.text).not.toContain('runbook');
    bot.fake.reset();
    const six = await bot.command('page @a @b @c @d @e @f', { channel_id: card.channelId, user_id: 'U0RESP1' });
    expect(String((await bot.replyTo(six)).text)).toContain('Page at most 5 people or roles at once');
  });
});

describe('Escalate now with the incident channel archived in Slack', () => {
  const bot = useBot();

  it('still pages, answers the clicker, and tries the channel once, not again and again', async () => {
    const card = await declare(bot, 'sev2 archived channel escalate');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    // The card once on-call's page is on it: its Escalate now then names senior DevOps.
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    // Someone archives the channel in Slack while the incident is open.
    const archived = await fetch(`${bot.fake.url}conversations.archive`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: card.channelId }),
    });
    expect(((await archived.json()) as { ok: boolean }).ok).toBe(true);
    const button = escalateButton(bot, card);
    bot.fake.reset();
    await pressEscalate(bot, card, button, 'U0RESP1');
    // Its answer, whatever it says (a failure then shows what it said); a loaded machine may take a while.
    const answer = await bot.fake.waitFor(
      'response_url',
      (c) => /Paging|paged|busy|wrong/i.test(String(c.args.text)),
      20_000,
    );
    expect(String(answer.args.text)).toMatch(/Paging \*Senior DevOps Engineer\* now/);
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR');
    for (let i = 0; ; i++) {
      const { rows } = await bot.db.query<{ state: string }>(
        `SELECT state FROM escalation_jobs WHERE incident_id = $1 AND rule = 'manual'`,
        [card.id],
      );
      if (rows[0]?.state === 'done') break;
      if (i > 50) throw new Error(`the page's job is ${rows[0]?.state}, not done`);
      await sleep(100);
    }
    await sleep(1500);
    expect(pagesTo(bot, 'U0SENIOR', 'archived channel escalate')).toHaveLength(1);
    // Senior DevOps invited once (on-call's invitation, from the declaration's page, may come after the reset too).
    const invited = bot.fake
      .callsTo('conversations.invite')
      .filter((c) => c.args.channel === card.channelId && String(c.args.users).includes('U0SENIOR'));
    expect(invited).toHaveLength(1);
  });
});
