import { afterAll, beforeAll } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from './bot-harness.js';
import { testRunbookData, withRotation } from './test-runbook.js';

/** On-call takes turns daily at 09:00 UTC: alice, bob, carol (a rotation for `withRotation`). */
export const DAILY_ROTATION = {
  people: ['U0ALICE', 'U0BOB', 'U0CAROL'],
  shift: 'daily',
  handoff: { time: '09:00', time_zone: 'UTC' },
  start: '2026-01-05',
};

/** Types a command (as `user`, in `channel` when given) and returns the private reply it gets. */
export async function askPrivately(bot: BotHarness, text: string, user = 'U0BOSS', channel?: string) {
  const res = await bot.command(text, { user_id: user, ...(channel ? { channel_id: channel } : {}) });
  if (res.status !== 200) throw new Error(`/incident ${text} was answered ${res.status}, not 200`);
  // Its own reply, not the newest of all: a late reply to an earlier command or click can land after it.
  return (await bot.replyTo(res)) as { text: string; blocks?: unknown[]; replace_original?: boolean };
}

/** A time as `HH:MM` in UTC, as `/incident oncall override … from` takes it. */
export const hhmmUtc = (t: Date) =>
  `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`;

/**
 * A bot (started before the file's tests, stopped after) with on-call on `rotation` (default DAILY_ROTATION), the
 * incidents channel, and hand-offs told 15 minutes ahead; `posts(channel)` is what it posted there that Slack took.
 */
export function useHandoffNoticeBot(rotation: typeof DAILY_ROTATION = DAILY_ROTATION) {
  const ctx = {
    bot: undefined as unknown as BotHarness,
    runbook: undefined as unknown as Runbook,
    posts: (channel: string) =>
      ctx.bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => !c.failed && c.args.channel === channel)
        .map((c) => String(c.args.text)),
  };
  beforeAll(async () => {
    ctx.runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', rotation));
    ctx.bot = await startBot({ runbook: ctx.runbook, incidentsChannel: true, env: { ONCALL_HANDOFF_NOTICE: '15m' } });
  });
  afterAll(async () => ctx.bot?.stop());
  return ctx;
}

/**
 * A start for a five-minute override two to five minutes from now (a whole minute), both its hand-offs within the
 * notice's lead and not across the rotation's own hand-off; and who is on call by rotation then.
 */
export function overrideSlot(runbook: Runbook): { start: Date; onCall: string } {
  const rotation = runbook.escalation.roles.on_call!.rotation!;
  let start = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
  const onCall = scheduledAt(rotation, start);
  if (scheduledAt(rotation, new Date(start.getTime() + 6 * 60_000)) !== onCall)
    start = new Date(start.getTime() + 10 * 60_000);
  return { start, onCall: scheduledAt(rotation, start) };
}
