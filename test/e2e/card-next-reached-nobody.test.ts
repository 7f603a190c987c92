import { expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { cardText } from '../support/notify-scene.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * On-call's one contact (U0ONCALL) is a guest Slack will not let the bot message: the declaration's page of On-Call
 * Engineer reaches nobody. The card's Next is the round of nobody acknowledging, which pages on-call: for the first time
 * as far as anyone was reached, so not "again" (the card would read as if someone had had the first page).
 */
// SEV-2 is to be answered within a minute: the round comes first, ahead of `unresolved` an hour after.
const bot = useBot({ runbook: parseRunbook(testRunbookData({ respond: { 2: '1m' } })) });

it('a role whose page reached nobody is Next as itself, not "again"', async () => {
  bot.fake.failNext('chat.postMessage', { error: 'user_is_restricted' }, 1, (a) => a.channel === 'U0ONCALL');
  const card = await declareThroughBot(bot, 'sev2 exports stuck in the queue');
  const text = await eventually(async () => {
    const t = cardText(bot, card);
    return t.includes('Could not page On-Call Engineer') && t.includes('Next: ') ? t : undefined;
  }, 'the card saying on-call could not be paged');
  expect(text).toMatch(/Next: On-Call Engineer \(<@U0ONCALL>\)/);
  expect(text).not.toContain('On-Call Engineer again');
}, 30_000);
