import { describe, expect, it } from 'vitest';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { usePagingStoppedBots } from '../support/paging-stopped-scene.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (c: RecordedCall) => String(c.args.text);

/**
 * An incident nobody acknowledges is paged in rounds, one response time apart, ten of them (UNACKNOWLEDGED_ROUNDS).
 * When the last has passed unanswered, paging stops: said once, not in silence, as PagerDuty says an escalation policy
 * is exhausted.
 */
describe('paging stops after its last round with nobody acknowledging', () => {
  // SEV-2 responds within 1 s here: its ten rounds pass in ten seconds, and paging stops one more second on.
  const { fake, a, b, stoppedIn, cardLine, stoppedEvents } = usePagingStoppedBots();

  it('says so once in the channel, in #incidents and on the timeline, and the card says what to do; again after a reopening', async () => {
    const inc = await declareThroughBot(a, 'sev2 nobody home');
    const said = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paging stopped after/.test(text(c)),
      30_000,
    );
    expect(text(said)).toMatch(
      /^:no_bell: Paging stopped after 10 rounds: nobody acknowledged \*incident #\d+\* \(SEV-2: /,
    );
    expect(text(said)).toContain('in 11 seconds');
    expect(text(said)).toContain('`/incident page @person`');
    await eventually(async () => (stoppedIn(INCIDENTS_CHANNEL_ID).length === 1 ? true : undefined), 'in #incidents');
    await eventually(
      async () => (cardLine(inc.channelId, inc.cardTs)?.includes('Paging stopped after 10 rounds') ? true : undefined),
      `the card saying paging stopped: ${cardLine(inc.channelId, inc.cardTs)}`,
    );
    expect(cardLine(inc.channelId, inc.cardTs)).toContain('`/incident page @person`');
    // Once, across both replicas, however long it stays unanswered.
    await sleep(2000);
    expect(stoppedIn(inc.channelId)).toHaveLength(1);
    expect(stoppedIn(INCIDENTS_CHANNEL_ID)).toHaveLength(1);
    expect(await stoppedEvents(inc.incidentId)).toHaveLength(1);

    // Resolved and reopened: the rounds start again, and so does their end.
    await b.command('resolve false alarm', { channel_id: inc.channelId, user_id: 'U0ONCALL' });
    await eventually(async () => {
      const { rows } = await a.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
        inc.incidentId,
      ]);
      return rows[0]?.status === 'resolved' ? true : undefined;
    }, 'resolved');
    await b.command('reopen it is back', { channel_id: inc.channelId, user_id: 'U0REPORTER' });
    await eventually(async () => (stoppedIn(inc.channelId).length === 2 ? true : undefined), 'said again', 30_000);
    await sleep(2000);
    expect(stoppedIn(inc.channelId)).toHaveLength(2);
    expect(stoppedIn(INCIDENTS_CHANNEL_ID)).toHaveLength(2);
    expect(await stoppedEvents(inc.incidentId)).toHaveLength(2);
  }, 90_000);
});
