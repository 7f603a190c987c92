import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/event.repo.js';
import { renderNotice } from '../../src/templates/notices.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { dmTo, type SendPage, seniorDevopsOnDeclare, usePageScene } from '../support/page-scene.js';
import { forEachDatabase } from './databases.js';

/** A declaration pages senior DevOps, three people: one reached, two whose DMs Slack refuses, each its own way. */
const runbook = seniorDevopsOnDeclare(['U0SENIOR', 'U0SENIOR2', 'U0SENIOR3']);

/** Slack's answer to each refused person's page DM (a failure that is retried, not "unreachable"). */
const REFUSED = new Map([
  ['U0SENIOR2', 'Slack answered 500'],
  ['U0SENIOR3', 'Slack answered 503'],
]);

const sendPage: SendPage = (userId) => {
  const refused = REFUSED.get(userId);
  if (refused) throw new Error(refused);
  return dmTo(userId);
};

forEachDatabase((suite) => {
  const scene = usePageScene(suite, runbook, sendPage);

  describe("two people of one role never reached, Slack refusing each one's DM with its own answer", () => {
    it("records and shows each person with their own answer, not the first person's for both", async () => {
      const { db, incident, chat, svc } = scene;
      for (let i = 0; i < 4; i++) await scene.round();
      const own = /<@U0SENIOR2> \([^)]*500\)[^@]*<@U0SENIOR3> \([^)]*503\)/;
      // The channel's "Paged …" line, on the job's last try.
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged).toHaveLength(1);
      expect(renderNotice(incident, paged[0]!, runbook.severities).text).toMatch(own);
      // The notice to the channel and the commander, from the page_failed timer (read back from the database).
      const told = chat.seen.notices.filter((n) => n.kind === 'page_failed');
      expect(told).toHaveLength(1);
      expect(renderNotice(incident, told[0]!, runbook.severities).text).toMatch(own);
      // The card (read back from the database).
      expect(escalationLineOf(incident, await svc.view(db, incident), runbook.severities)).toMatch(own);
      // The timeline.
      const entries = (await listEvents(db, incident.id)).filter((e) => e.kind === 'paged');
      expect(entries).toHaveLength(1);
      expect(describeEvent(entries[0]!, runbookNames(runbook))).toMatch(own);
    });
  });
});
