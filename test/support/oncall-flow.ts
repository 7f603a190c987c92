import type { BotHarness } from './bot-harness.js';

/** On-call takes turns daily at 09:00 UTC: alice, bob, carol (a rotation for `withRotation`). */
export const DAILY_ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'daily',
  handoff: { time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};

/** Types a command (as `user`, in `channel` when given) and returns the private reply it gets. */
export async function askPrivately(bot: BotHarness, text: string, user = 'U0BOSS', channel?: string) {
  const before = bot.fake.callsTo('response_url').length;
  const res = await bot.command(text, { user_id: user, ...(channel ? { channel_id: channel } : {}) });
  if (res.status !== 200) throw new Error(`/incident ${text} was answered ${res.status}, not 200`);
  const replies = await bot.fake.waitForCount('response_url', before + 1);
  return replies.at(-1)!.args as { text: string; blocks?: unknown[]; replace_original?: boolean };
}
