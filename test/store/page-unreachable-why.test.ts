import { describe, expect, it } from 'vitest';
import { type IncidentNotice, UnreachableContactError } from '../../src/incidents/ports.js';
import { listEvents } from '../../src/store/event.repo.js';
import { renderAlreadyEscalated } from '../../src/templates/escalation.js';
import { renderNotice, renderPageFailedDm } from '../../src/templates/notices.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { dmTo, pageService, type SendPage, seniorDevopsOnDeclare, usePageScene } from '../support/page-scene.js';
import { forEachDatabase } from './databases.js';

/**
 * A declaration pages senior DevOps, three people: one reached (on the second try: Slack answers 500 to the first, so
 * the page is said in the channel by the retry), and two Slack says cannot be messaged at all, each for its reason.
 */
const runbook = seniorDevopsOnDeclare(['U0SENIOR', 'U0GONE', 'U0BOT']);
/** Senior DevOps with only the two people Slack says cannot be messaged: the page reaches nobody of it. */
const nobodyRunbook = seniorDevopsOnDeclare(['U0GONE', 'U0BOT']);

/** Slack's answer to each unreachable person's page DM. */
const UNREACHABLE = new Map([
  ['U0GONE', 'user_not_found'],
  ['U0BOT', 'cannot_dm_bot'],
]);

const sendPage: SendPage = (userId, seen) => {
  const why = UNREACHABLE.get(userId);
  if (why) throw new UnreachableContactError(userId, why);
  if (seen.tries++ === 0) throw new Error('Slack answered 500');
  return dmTo(userId);
};

forEachDatabase((suite) => {
  const scene = usePageScene(suite, runbook, sendPage);

  /** Each person with their own answer and what it means (in whatever order they are named). */
  const says = (text: string) => {
    expect(text).toMatch(
      /<@U0GONE> \([^)]*user_not_found: no such Slack user: fix the ID in the runbook's escalation contacts\)/,
    );
    expect(text).toMatch(/<@U0BOT> \([^)]*cannot_dm_bot: a bot cannot be paged\)/);
  };

  describe('two people of one role Slack says cannot be messaged at all, each for its reason', () => {
    it("keeps each one's answer and says it, with what it means, wherever they are named", async () => {
      const { db, incident, chat, svc } = scene;
      for (let i = 0; i < 3; i++) await scene.round();
      // The channel's "Paged …" line, said by the retry (the answers read back from the first try's record).
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged).toHaveLength(1);
      says(renderNotice(incident, paged[0]!, runbook.severities).text);
      // The card (read back from the database).
      says(escalationLineOf(incident, await svc.view(db, incident), runbook.severities));
      // The timeline.
      const entries = (await listEvents(db, incident.id)).filter((e) => e.kind === 'paged');
      expect(entries).toHaveLength(1);
      says(describeEvent(entries[0]!, runbookNames(runbook)));
      // Kept with each one's delivery.
      const { rows } = await db.query<{ user_id: string; unreachable_error: string | null }>(
        'SELECT user_id, unreachable_error FROM page_deliveries WHERE unreachable ORDER BY user_id',
      );
      expect(rows).toEqual([
        { user_id: 'U0BOT', unreachable_error: 'cannot_dm_bot' },
        { user_id: 'U0GONE', unreachable_error: 'user_not_found' },
      ]);
    });

    it("names them, each with their answer, in the page_failed notice and the commander's DM", async () => {
      const { incident, chat } = scene;
      for (let i = 0; i < 4; i++) await scene.round();
      const failed = chat.seen.notices.filter((n) => n.kind === 'page_failed');
      expect(failed).toHaveLength(1);
      const text = renderNotice(incident, failed[0]!, runbook.severities).text;
      says(text);
      expect(text).toContain('of *Senior DevOps Engineer*');
      expect(text).not.toContain('nobody of it was reached');
      says(renderPageFailedDm(incident, failed[0]! as Extract<IncidentNotice, { kind: 'page_failed' }>).text);
    });
  });

  describe('escalating by hand to the role, paged already', () => {
    it('the private reply names whom Slack could not reach, each with their answer', async () => {
      const { incident, svc } = scene;
      for (let i = 0; i < 3; i++) await scene.round();
      const r = await svc.escalateNow(incident.id, 'U0CMD', { named: 'senior_devops' });
      expect(r?.kind).toBe('already');
      const reply = renderAlreadyEscalated(r as Extract<NonNullable<typeof r>, { kind: 'already' }>, new Date());
      says(reply.text);
    });
  });

  describe('a role whose every person Slack says cannot be messaged at all', () => {
    it('is said in the page_failed notice: nobody of it reached, each with their answer', async () => {
      const { db, incident, chat } = scene;
      scene.svc = pageService(db, chat, nobodyRunbook);
      for (let i = 0; i < 3; i++) await scene.round();
      const failed = chat.seen.notices.filter((n) => n.kind === 'page_failed');
      expect(failed).toHaveLength(1);
      const text = renderNotice(incident, failed[0]!, runbook.severities).text;
      says(text);
      expect(text).toContain('of *Senior DevOps Engineer*: nobody of it was reached');
    });
  });
});
