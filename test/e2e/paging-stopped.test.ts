import { beforeAll, describe, expect, it } from 'vitest';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';
import { useTwoBots } from '../support/use-two-bots.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (c: RecordedCall) => String(c.args.text);

/**
 * An incident nobody acknowledges is paged in rounds, one response time apart, ten of them (UNACKNOWLEDGED_ROUNDS).
 * When the last has passed unanswered, paging stops: said once, not in silence, as PagerDuty says an escalation policy
 * is exhausted.
 */
describe('paging stops after its last round with nobody acknowledging', () => {
  // SEV-2 responds within 1 s here: its ten rounds pass in ten seconds, and paging stops one more second on.
  const { fake, a, b } = useTwoBots('paging_stopped', {
    incidentsChannel: true,
    runbook: testRunbook({ respond: { 0: '60s', 1: '60s', 2: '1s', 3: '60s' } }),
  });
  beforeAll(() => {
    fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
  });
  const stoppedIn = (channel: string) =>
    fake
      .callsTo('chat.postMessage')
      .filter((c) => !c.failed && c.args.channel === channel && /Paging stopped after/.test(text(c)));
  const cardLine = (channelId: string, ts: string) => {
    const blocks = fake.message(channelId, ts)?.blocks ?? [];
    return (blocks as { type: string; elements?: { text?: string }[] }[])
      .filter((x) => x.type === 'context')
      .map((x) => x.elements?.[0]?.text ?? '')
      .find((t) => t.startsWith(':pager:'));
  };
  const stoppedEvents = async (incidentId: number) =>
    (
      await a.db.query<{ details: Record<string, unknown> }>(
        "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'reminder_sent' ORDER BY id",
        [incidentId],
      )
    ).rows.filter((r) => r.details.rule === 'paging_stopped');

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
    await sleep(3000);
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

  it('is not said of an incident acknowledged before its rounds ran out', async () => {
    const inc = await declareThroughBot(b, 'sev2 someone home');
    await sleep(2500);
    await a.command('ack', { channel_id: inc.channelId, user_id: 'U0ONCALL' });
    await sleep(12_000);
    expect(stoppedIn(inc.channelId)).toHaveLength(0);
  }, 40_000);

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
