import { ACTION, BLOCK, VIEW } from '../../src/templates/ids.js';
import type { BotHarness } from './bot-harness.js';
import type { FakeSlack } from './fake-slack.js';
import { type StatusFormInput, statusFormValues } from './status-form.js';

/** An incident opened through the bot: its row id, channel and card. */
export interface Opened {
  incidentId: number;
  channelId: string;
  cardTs: string;
}

/** `/incident <text>` as `userId`, as a person types it; resolves once the incident's channel and card exist. */
export async function declareThroughBot(bot: BotHarness, text: string, userId?: string): Promise<Opened> {
  // Counted as waitForCount counts them: a failed attempt (an injected failure) is not one.
  const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
  const res = await bot.command(text, userId ? { user_id: userId } : {});
  if (res.status !== 200) throw new Error(`the slash command was answered ${res.status}`);
  const create = (await bot.fake.waitForCount('conversations.create', before + 1)).at(-1)!;
  const channelId = bot.fake.channelByName(String(create.args.name))!.id;
  const card = await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  // The declarer's reply comes last; waiting for it keeps it out of what a test looks at next.
  await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(`<#${channelId}>`));
  const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
  return { incidentId: Number(rows[0]!.id), channelId, cardTs: String(card.args.timestamp) };
}

/**
 * Opens the status update form the way a person does (`/incident update` in the incident channel) and submits it
 * with `form`, as `userId`. Returns the form as the bot opened it.
 */
export async function postStatusUpdate(
  bot: BotHarness,
  incident: Opened,
  form: StatusFormInput,
  userId?: string,
): Promise<{ blocks: { block_id?: string; element?: Record<string, unknown> }[] }> {
  const before = bot.fake.callsTo('views.open').length;
  await bot.command('update', { channel_id: incident.channelId, ...(userId ? { user_id: userId } : {}) });
  const opened = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
  const view = opened.args.view as {
    callback_id: string;
    private_metadata: string;
    blocks: { block_id?: string; element?: Record<string, unknown> }[];
  };
  const res = await bot.submit({
    callbackId: VIEW.statusUpdate,
    privateMetadata: view.private_metadata,
    values: statusFormValues(form),
    ...(userId ? { userId } : {}),
  });
  if (res.status !== 200 || res.text.includes('errors')) throw new Error(`the form was refused: ${res.text}`);
  return view;
}

/** Resolves once `check` returns something other than undefined; polls every 200 ms for up to `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The card as Slack shows it now, once it matches `pattern`. The card a state shows may be the one first posted (the
 * state came before the post) or any update after: a wait for an update alone misses the first, and an update that
 * would show the same is not sent.
 */
export async function cardShows(
  bot: BotHarness,
  card: { channelId: string; cardTs: string },
  pattern: RegExp | string,
  ms = 20_000,
): Promise<string> {
  const matches = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
  return eventually(
    async () => {
      const shown = JSON.stringify(bot.fake.message(card.channelId, card.cardTs)?.blocks ?? []);
      return matches(shown) ? shown : undefined;
    },
    `the card to show ${pattern}`,
    ms,
  );
}

/** Retries `check` (an assertion) every 50 ms until it passes; past `ms`, its last failure is thrown. */
export async function untilPasses(check: () => Promise<void> | void, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The page DM the bot sent `userId` for the incident in `channelId`, once sent: where it is (Slack's answer). */
export async function pageDmTo(
  fake: FakeSlack,
  userId: string,
  channelId: string,
): Promise<{ channel: string; ts: string }> {
  const call = await fake.waitFor(
    'chat.postMessage',
    (c) =>
      c.args.channel === userId &&
      JSON.stringify(c.args).includes('You are paged') &&
      JSON.stringify(c.args).includes(`Join <#${channelId}>`),
  );
  return { channel: String(call.response!.channel), ts: String(call.response!.ts) };
}

/** Presses Acknowledge on the page direct message `dm` (in the bot's DM with `userId`), as that person. */
export function acknowledgeInDm(
  bot: BotHarness,
  dm: { channel: string; ts: string },
  incidentId: number,
  userId: string,
) {
  return bot.click({
    channelId: dm.channel,
    messageTs: dm.ts,
    actionId: ACTION.acknowledge,
    blockId: `${BLOCK.pageActions}:${incidentId}`,
    value: String(incidentId),
    userId,
  });
}
