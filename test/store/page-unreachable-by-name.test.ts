import { beforeEach, describe, expect, it } from 'vitest';
import { type IncidentNotice, UnreachableContactError } from '../../src/incidents/ports.js';
import { listEvents } from '../../src/store/event.repo.js';
import { renderNotice, renderPageFailedDm } from '../../src/templates/notices.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { type SendPage, seniorDevopsOnDeclare, usePageScene } from '../support/page-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * Two people Slack answers user_not_found for, one a contact of senior DevOps (paged by the declaration: the runbook's
 * contacts to fix), the other paged by name (`/incident page @dana`: the ID typed to fix): each said as which it was.
 */
const runbook = seniorDevopsOnDeclare(['U0GONE']);

const sendPage: SendPage = (userId) => {
  throw new UnreachableContactError(userId, 'user_not_found');
};

const ROLE_CONTACT =
  /<@U0GONE> \([^)]*user_not_found: no such Slack user: fix the ID in the runbook's escalation contacts\)/;
/** A person paged by name: Slack's answer without the runbook's fix, and said to be a page by name. */
const BY_NAME = /<@U0DANA> \([^)]*user_not_found: no such Slack user\) paged by name/;

forEachDatabase((suite) => {
  const scene = usePageScene(suite, runbook, sendPage);
  beforeEach(async () => {
    const r = await scene.svc.escalateNow(scene.incident.id, 'U0CMD', { person: { userId: 'U0DANA', name: 'Dana' } });
    expect(r).not.toBeNull();
    for (let i = 0; i < 3; i++) await scene.round();
  });

  describe('a role contact and a person paged by name, both user_not_found', () => {
    it('the card names the role for the one and says "paged by name" for the other', async () => {
      const { db, incident, svc } = scene;
      const line = escalationLineOf(incident, await svc.view(db, incident), runbook.severities);
      // Its one contact unreachable, the role's page reached nobody: not paged, and said so with the contact.
      expect(line).toMatch(
        new RegExp(
          `Could not page Senior DevOps Engineer: nobody of it was reached, Slack could not reach ${ROLE_CONTACT.source}`,
        ),
      );
      expect(line).not.toContain('Paged: Senior DevOps Engineer');
      expect(line).toMatch(BY_NAME);
      expect(line).not.toContain('of Dana');
    });

    it('the page_failed notices and the commander DM say the same', async () => {
      const { incident, chat } = scene;
      const failed = chat.seen.notices.filter(
        (n): n is Extract<IncidentNotice, { kind: 'page_failed' }> => n.kind === 'page_failed',
      );
      const texts = failed.flatMap((n) => [
        renderNotice(incident, n, runbook.severities).text,
        renderPageFailedDm(incident, n).text,
      ]);
      const role = texts.filter((t) => t.includes('U0GONE'));
      const person = texts.filter((t) => t.includes('U0DANA'));
      expect(role.length).toBeGreaterThan(0);
      expect(person.length).toBeGreaterThan(0);
      for (const t of role) {
        expect(t).toMatch(
          new RegExp(`${ROLE_CONTACT.source} of \\*Senior DevOps Engineer\\*: nobody of it was reached`),
        );
      }
      for (const t of person) {
        expect(t).toMatch(BY_NAME);
        expect(t).not.toContain('of *Dana*');
        expect(t).not.toContain('runbook');
      }
    });

    it('the timeline says the page by name reached nobody, with why, not that Dana was paged', async () => {
      const { db, incident } = scene;
      const entries = (await listEvents(db, incident.id))
        .filter((e) => e.kind === 'paged')
        .map((e) => describeEvent(e, runbookNames(runbook)));
      const person = entries.find((t) => t.includes('U0DANA'));
      expect(person).toBe(
        'Could not page <@U0DANA> by name (user_not_found: no such Slack user): someone escalated by hand',
      );
      expect(entries.find((t) => t.includes('Senior DevOps'))).toMatch(ROLE_CONTACT);
    });

    it("the channel's Paged line says the page by name was one, and the role's contact a runbook contact", async () => {
      const { incident, chat } = scene;
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      const texts = paged.map((n) => renderNotice(incident, n, runbook.severities).text);
      expect(texts.find((t) => t.includes('U0DANA'))).toMatch(
        /Could not page \*Dana\* by name: Slack could not reach <@U0DANA> \(Slack answered user_not_found: no such Slack user\)\./,
      );
      expect(texts.find((t) => t.includes('U0GONE'))).toMatch(ROLE_CONTACT);
    });
  });
});
