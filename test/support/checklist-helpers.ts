import type { BotHarness } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';

interface Element {
  type?: string;
  action_id?: string;
  value?: string;
  options?: { value: string; text: { text: string } }[];
}
interface Block {
  type: string;
  block_id?: string;
  text?: { text: string };
  accessory?: Element;
  elements?: Element[];
}

export const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

/** The blocks of a message as the fake Slack holds it now (after every update). */
export function blocksOf(bot: BotHarness, channelId: string, ts: string): Block[] {
  return (bot.fake.message(channelId, ts)?.blocks ?? []) as Block[];
}

/** Every button or select on a message with this action id, with the block it is in. */
export function elementsOf(bot: BotHarness, channelId: string, ts: string, actionId: string) {
  return blocksOf(bot, channelId, ts).flatMap((b) =>
    [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]
      .filter((e) => e.action_id === actionId)
      .map((e) => ({ block: b, element: e })),
  );
}

/** The value of a step's button (Done, Skip, Undo on its actions block `step:<key>`), or undefined if it has none. */
export function stepButton(bot: BotHarness, channelId: string, ts: string, actionId: string, key: string) {
  return elementsOf(bot, channelId, ts, actionId).find((x) => x.block.block_id === `step:${key}`)?.element.value;
}

/** The text of a message (its fallback) as the fake Slack holds it now. */
export const textOf = (bot: BotHarness, channelId: string, ts: string) =>
  String(bot.fake.message(channelId, ts)?.text ?? '');
