import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

/** Daily at 01:30 London time, a time the clocks repeat on 31 October 2027 (01:30 BST = 00:30 UTC, then 01:30 GMT). */
const NIGHTLY = {
  people: ['U0ANN', 'U0BEN'],
  shift: 'daily',
  handoff: { time: '01:30', time_zone: 'Europe/London' },
  start: '2027-10-30',
};

const ask = (bot: BotHarness, text: string) => askPrivately(bot, text, 'U0REPORTER');

describe('/incident oncall around a London autumn hand-off', () => {
  const bot = useBot({
    runbook: parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', NIGHTLY)),
    timers: false,
  });
  const who = (r: { text: string }) => /On-Call Engineer: <@(\w+)>/.exec(r.text)?.[1];

  it('hands off at the first 01:30 (00:30 UTC), as the README promises, not the second (01:30 UTC)', async () => {
    // Ann from Saturday's 01:30 BST; Ben from Sunday's first 01:30 (BST, 00:30 UTC).
    expect(who(await ask(bot, 'oncall 2027-10-30 12:00 UTC'))).toBe('U0ANN');
    expect(who(await ask(bot, 'oncall 2027-10-31 00:15 UTC'))).toBe('U0ANN');
    expect(who(await ask(bot, 'oncall 2027-10-31 00:45 UTC'))).toBe('U0BEN');
    expect(who(await ask(bot, 'oncall 2027-10-31 01:15 UTC'))).toBe('U0BEN');
  });
});
