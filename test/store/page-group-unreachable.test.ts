import { beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_USER_GROUP } from '../../src/incidents/ports.js';
import { listEvents } from '../../src/store/event.repo.js';
import { renderNotice } from '../../src/templates/notices.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { dmTo, type SendPage, seniorDevopsOnDeclare, usePageScene } from '../support/page-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * The declarer (U0REP, the scene's reporter) is on call for senior DevOps beside a user group Slack expanded to nobody
 * (S0EMPTY): the declaration pages nobody (the declarer is not sent a page of their own declaration), and the group is
 * recorded as an unreachable delivery whose user_id is the group's ID.
 */
const runbook = seniorDevopsOnDeclare(['U0REP', 'S0EMPTY']);

const sent: string[] = [];
const sendPage: SendPage = (userId) => {
  sent.push(userId);
  return dmTo(userId);
};

forEachDatabase((suite) => {
  const scene = usePageScene(suite, runbook, sendPage);
  beforeEach(() => {
    sent.length = 0;
    // Slack answers the group's expansion with nobody in it.
    scene.chat.port.resolveContacts = async (ids) => ({
      userIds: ids.filter((id) => !id.startsWith('S')),
      unresolved: ids.filter((id) => id.startsWith('S')),
      unresolvedWhy: Object.fromEntries(ids.filter((id) => id.startsWith('S')).map((id) => [id, EMPTY_USER_GROUP])),
    });
  });

  describe('a user group Slack expanded to nobody, beside the declarer on call', () => {
    it('is never taken for a person paged: the card says the declarer was sent no page, not that the role was paged', async () => {
      const { db, incident, chat, svc } = scene;
      await scene.round();
      // Recorded as the group's ID, not reached, and never sent a DM.
      const { rows } = await db.query<{ user_id: string; unreachable: boolean }>(
        'SELECT user_id, unreachable FROM page_deliveries ORDER BY user_id',
      );
      expect(rows).toEqual([
        { user_id: 'S0EMPTY', unreachable: true },
        { user_id: 'U0REP', unreachable: false },
      ]);
      expect(sent).toEqual([]);
      const line = escalationLineOf(incident, await svc.view(db, incident), runbook.severities);
      // Nobody was paged: the group is not "someone else" the page reached.
      expect(line).not.toContain('Paged: Senior DevOps Engineer');
      expect(line).toContain(':pager: <@U0REP> declared this and is on call for Senior DevOps Engineer');
      // The group named as a group ID, with what to do, never as a person.
      expect(line).toMatch(/Could not reach: `S0EMPTY` \(the group has nobody in it[^)]*\) of Senior DevOps Engineer/);
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged).toHaveLength(1);
      const timeline = (await listEvents(db, incident.id)).map((e) => describeEvent(e, runbookNames(runbook)));
      for (const text of [line, renderNotice(incident, paged[0]!, runbook.severities).text, ...timeline]) {
        expect(text).not.toContain('<@S0EMPTY>');
      }
    });
  });
});
