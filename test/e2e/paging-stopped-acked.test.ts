import { describe, expect, it } from 'vitest';
import { declareThroughBot } from '../support/incident-flow.js';
import { usePagingStoppedBots } from '../support/paging-stopped-scene.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An incident nobody acknowledges is paged in rounds, one response time apart, ten of them (UNACKNOWLEDGED_ROUNDS).
 * When the last has passed unanswered, paging stops: said once, not in silence, as PagerDuty says an escalation policy
 * is exhausted.
 */
describe('paging stops after its last round with nobody acknowledging', () => {
  // SEV-2 responds within 1 s here: its ten rounds pass in ten seconds, and paging stops one more second on.
  const { a, b, stoppedIn } = usePagingStoppedBots();

  it('is not said of an incident acknowledged before its rounds ran out', async () => {
    const inc = await declareThroughBot(b, 'sev2 someone home');
    await sleep(2500);
    await a.command('ack', { channel_id: inc.channelId, user_id: 'U0ONCALL' });
    await sleep(12_000);
    expect(stoppedIn(inc.channelId)).toHaveLength(0);
  }, 40_000);
});
