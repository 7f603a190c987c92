/**
 * The paging-stopped tests' scene (test/e2e/paging-stopped*.test.ts): two replicas on one schema and one fake Slack
 * with an incidents channel, a runbook whose SEV-2 responds within 1 s (its ten rounds pass in ten seconds, and paging
 * stops one more second on), and what the tests read: the "Paging stopped" messages of a channel, the card's pager
 * line, the timeline's paging_stopped reminders.
 */
import { beforeAll } from 'vitest';
import { INCIDENTS_CHANNEL_ID } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';
import { testRunbook } from './test-runbook.js';
import { useTwoBots } from './use-two-bots.js';

const text = (c: RecordedCall) => String(c.args.text);

export function usePagingStoppedBots() {
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
  return { fake, a, b, stoppedIn, cardLine, stoppedEvents };
}
