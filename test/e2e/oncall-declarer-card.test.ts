import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

describe("the card's line about the declarer on call", () => {
  const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION));
  const bot = useBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });

  it('goes once an override hands on-call to someone else who is then paged', async () => {
    const onCall = scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall)!;
    const card = await declareThroughBot(bot, 'sev2 my own disk is full', onCall);
    await cardShows(bot, card, 'declared this and is on call');
    await ask(bot, `oncall override <@${stand}> 1h`, 'U0BOSS');
    expect((await ask(bot, 'page on-call', 'U0RESP1', card.channelId)).text).toContain(`<@${stand}>`);
    const shown = await cardShows(bot, card, 'Paged: On-Call Engineer');
    expect(shown).not.toContain('declared this and is on call');
  }, 30_000);
});
