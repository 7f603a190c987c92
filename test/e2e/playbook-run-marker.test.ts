import { WebClient } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import type { ChecklistView } from '../../src/incidents/ports.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/**
 * A playbook run's checklist message carries the run's id in its metadata (its marker): a process that died before it
 * recorded where the post went, or lost Slack's answer, has it found in the channel's history by the sweep
 * (PlaybookRunMessages). An incident's checklist carries none. Slack's history unreadable is said, not taken for "not
 * there" (the sweep would post the checklist twice).
 */
describe("a playbook run's checklist, found in its channel by its marker", () => {
  const fake = useFakeSlack({ reset: true });
  const warned: string[] = [];
  let chat: SlackChat;
  const runbook = parseRunbook({
    ...testRunbookData(),
    playbooks: {
      check: { title: 'Weekly check', kind: 'procedure', outside_incident: true, detection: ['Look'] },
    },
  });
  const playbook = runbook.playbooks.find((p) => p.id === 'check') as Playbook;
  const view = (runId: number | null): ChecklistView => ({
    playbook,
    runId,
    origin: runId === null ? { kind: 'attached', by: 'U1' } : { kind: 'run', by: 'U1' },
    statuses: {},
    detached: null,
    page: null,
    focus: null,
  });
  const place = { channelId: 'C0RUNS' };

  beforeAll(() => {
    fake.addChannel('runs', { id: 'C0RUNS', botIsMember: true });
    chat = new SlackChat(new WebClient('xoxb-test', { ...slackClientOptions(fake.url), retryConfig: { retries: 0 } }), {
      severities: runbook.severities,
      log: { warn: (...args: unknown[]) => warned.push(args.map(String).join(' ')) },
    });
  });
  beforeEach(() => {
    warned.length = 0;
  });

  it("finds the run's own post, not another run's nor an incident's", async () => {
    const since = new Date();
    const incidentTs = await chat.postPlaybook(place, view(null));
    const seven = await chat.postPlaybook(place, view(7));
    const eight = await chat.postPlaybook(place, view(8));
    expect(incidentTs).not.toBe(seven);
    expect(await chat.findPlaybookPost(place, { kind: 'run', runId: 7 }, since)).toBe(seven);
    expect(await chat.findPlaybookPost(place, { kind: 'run', runId: 8 }, since)).toBe(eight);
    expect(await chat.findPlaybookPost(place, { kind: 'run', runId: 9 }, since)).toBeNull();
  });

  it("finds an incident's attached playbook's post by its attachment, not an earlier attachment's nor a run's", async () => {
    const since = new Date();
    const attached = (attachment: string): ChecklistView => ({
      ...view(null),
      attachment: { incidentId: 42, attachment },
    });
    const marker = (attachment: string) =>
      ({ kind: 'attached', incidentId: 42, playbookId: 'check', attachment }) as const;
    const first = await chat.postPlaybook(place, attached('20261207084950123456'));
    await chat.postPlaybook(place, view(42));
    const again = await chat.postPlaybook(place, attached('20261207085001000001'));
    expect(await chat.findPlaybookPost(place, marker('20261207085001000001'), since)).toBe(again);
    expect(await chat.findPlaybookPost(place, marker('20261207084950123456'), since)).toBe(first);
    expect(await chat.findPlaybookPost(place, marker('20261207090000000000'), since)).toBeNull();
    expect(await chat.findPlaybookPost(place, { ...marker('20261207085001000001'), incidentId: 43 }, since)).toBeNull();
  });

  it('history unreadable: thrown (not "not there"), and the scopes to add said in the log', async () => {
    fake.failNext('conversations.history', { error: 'missing_scope', needed: 'channels:history' });
    const err = await chat.findPlaybookPost(place, { kind: 'run', runId: 7 }, new Date()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatPlatformError);
    expect(warned.join('\n')).toMatch(/checklist .*missing_scope: add the channels:history and groups:history scopes/);
  });
});
