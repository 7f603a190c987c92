import { describe, expect, it } from 'vitest';
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
  const { fake, a, b, stoppedIn } = usePagingStoppedBots();

  it('a severity change starts the rounds again at the new response time: raised past all the old rounds, paging goes on', async () => {
    // SEV-3 responds within 60 s: 12 s on, all ten rounds of SEV-2 (1 s) counted from the declaration are past.
    const inc = await declareThroughBot(a, 'sev3 slow to be noticed');
    await sleep(12_000);
    const pages = async () =>
      Number(
        (
          await a.db.query<{ n: string }>(
            "SELECT count(*) AS n FROM pages WHERE incident_id = $1 AND rule LIKE 'unacknowledged%'",
            [inc.incidentId],
          )
        ).rows[0]!.n,
      );
    expect(await pages()).toBe(0);
    await b.command('severity sev2', { channel_id: inc.channelId, user_id: 'U0REPORTER' });
    // Paged from the change, every second, not told at once that paging stopped.
    await eventually(async () => ((await pages()) >= 3 ? true : undefined), 'rounds at the new response time', 15_000);
    expect(stoppedIn(inc.channelId)).toHaveLength(0);
    // Its ten rounds run out from the change, and then it is said, with how long nobody acknowledged since it opened.
    const said = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paging stopped after/.test(text(c)),
      30_000,
    );
    expect(await pages()).toBeGreaterThanOrEqual(10);
    expect(Number(/in (\d+) seconds/.exec(text(said))?.[1])).toBeGreaterThanOrEqual(22);
  }, 90_000);
});
