/**
 * Two bot processes sharing one fresh schema and one fake Slack (with `#general`), for a describe block:
 * `const { fake, a, b } = useTwoBots('shared', { env })` in place of the hooks that started and stopped them. As with
 * useBot, `a` and `b` are filled in once started: use them in hooks and tests.
 */
import { afterAll, beforeAll } from 'vitest';
import { type BotHarness, type HarnessOptions, startBot } from './bot-harness.js';
import type { FakeSlack } from './fake-slack.js';
import { createTestSchema } from './test-db.js';
import { useFakeSlack } from './use-fake-slack.js';

export function useTwoBots(
  schemaPrefix: string,
  options: Omit<HarnessOptions, 'fake' | 'databaseUrl'> = {},
): { fake: FakeSlack; a: BotHarness; b: BotHarness } {
  const fake = useFakeSlack();
  const a = {} as BotHarness;
  const b = {} as BotHarness;
  const started: BotHarness[] = [];
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const s = await createTestSchema(schemaPrefix);
    drop = s.drop;
    for (const bot of [a, b]) {
      Object.assign(bot, await startBot({ ...options, fake, databaseUrl: s.url }));
      started.push(bot);
    }
  });
  afterAll(async () => {
    for (const bot of started) await bot.stop();
    await drop?.();
  });
  return { fake, a, b };
}
