import { beforeEach, describe, expect, it } from 'vitest';
import { UnreachableContactError } from '../../src/incidents/ports.js';
import { listEvents } from '../../src/store/event.repo.js';
import { renderNotice } from '../../src/templates/notices.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import {
  dmTo,
  pageRound,
  pageService,
  type SendPage,
  seniorDevopsOnDeclare,
  usePageScene,
} from '../support/page-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * Senior DevOps' one contact (U0GONE) is no Slack user: the declaration's page reaches nobody of the role. Later pages
 * of the role (`/incident escalate senior devops`, the runbook's contacts changed meanwhile: another service over
 * another runbook) try U0GUEST, a guest Slack will not let the bot message, and U0OK, who is reached.
 */
const runbook = seniorDevopsOnDeclare(['U0GONE']);

const sendPage: SendPage = (userId) => {
  if (userId === 'U0GONE') throw new UnreachableContactError(userId, 'user_not_found');
  if (userId === 'U0GUEST') throw new UnreachableContactError(userId, 'user_is_restricted');
  return dmTo(userId);
};

const ROLE = 'Senior DevOps Engineer';
const count = (text: string, part: string) => text.split(part).length - 1;

forEachDatabase((suite) => {
  const scene = usePageScene(suite, runbook, sendPage);
  const line = async () =>
    escalationLineOf(scene.incident, await scene.svc.view(scene.db, scene.incident), runbook.severities);
  /** The role paged again by name, its contacts now `contacts`, and the page sent. */
  const pageAgain = async (contacts: string[]) => {
    const other = pageService(scene.db, scene.chat, seniorDevopsOnDeclare(contacts));
    const r = await other.escalateNow(scene.incident.id, 'U0CMD', { named: 'senior devops' });
    expect(r).toMatchObject({ kind: 'paging', role: 'senior_devops' });
    await pageRound(scene.db, other);
  };

  beforeEach(async () => {
    await scene.round();
  });

  describe('a page of a role that reached nobody at all', () => {
    it('the card says the role could not be paged, with why and how to page it again, never "Paged"', async () => {
      const text = await line();
      expect(text).not.toContain(`Paged: ${ROLE}`);
      expect(text).not.toContain('Nobody paged yet');
      expect(text).toContain(`Could not page ${ROLE}: nobody of it was reached`);
      expect(text).toMatch(/<@U0GONE> \(user_not_found: no such Slack user: fix the ID in the runbook's/);
      expect(text).toContain(`\`/incident escalate ${ROLE}\``);
      // Said once, in the role's not-reached part, not again as "Could not reach … of" it.
      expect(count(text, '<@U0GONE>')).toBe(1);
      expect(text).not.toContain(`of ${ROLE}`);
    });

    it("the channel's line and the timeline say it could not be paged, not that it was", async () => {
      const { db, incident, chat } = scene;
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged).toHaveLength(1);
      const notice = renderNotice(incident, paged[0]!, runbook.severities).text;
      expect(notice).not.toContain(`Paged *${ROLE}*`);
      expect(notice).toMatch(
        new RegExp(
          `^:warning: Could not page \\*${ROLE}\\* \\(a new incident was declared\\): nobody of it was reached\\.$`,
          'm',
        ),
      );
      expect(notice).toContain(`\`/incident escalate ${ROLE}\``);
      const entries = (await listEvents(db, incident.id))
        .filter((e) => e.kind === 'paged')
        .map((e) => describeEvent(e, runbookNames(runbook)));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatch(new RegExp(`^Could not page ${ROLE} \\(nobody of it was reached\\): `));
      expect(entries[0]).toContain('could not reach: <@U0GONE> (user_not_found');
    });
  });

  describe('the role paged again, and that page reaching nobody either', () => {
    it('the card names everyone not reached by either page, each once, under the role not reached', async () => {
      await pageAgain(['U0GONE', 'U0GUEST']);
      const text = await line();
      expect(text).not.toContain(`Paged: ${ROLE}`);
      expect(text).toContain(`Could not page ${ROLE}: nobody of it was reached`);
      expect(count(text, '<@U0GONE>')).toBe(1);
      expect(count(text, '<@U0GUEST>')).toBe(1);
      expect(text).toContain('user_is_restricted');
      expect(count(text, `Could not page ${ROLE}`)).toBe(1);
    });

    it('a contact of the first page only is not lost when the second tries another', async () => {
      await pageAgain(['U0GUEST']);
      const text = await line();
      expect(text).toContain(`Could not page ${ROLE}: nobody of it was reached`);
      expect(count(text, '<@U0GONE>')).toBe(1);
      expect(count(text, '<@U0GUEST>')).toBe(1);
    });

    it('once a later page reaches someone, the role is paged and the earlier pages are no longer said', async () => {
      await pageAgain(['U0GUEST']);
      await pageAgain(['U0OK']);
      const text = await line();
      expect(text).toContain(`Paged: ${ROLE}`);
      expect(text).not.toContain('Could not page');
      expect(text).not.toContain('<@U0GONE>');
      expect(text).not.toContain('<@U0GUEST>');
    });
  });
});
