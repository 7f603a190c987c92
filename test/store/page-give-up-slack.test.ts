import { WebClient } from '@slack/web-api';
import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { listEvents } from '../../src/store/event.repo.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { forEachDatabase } from './databases.js';

/*
 * A paging job given up, through the bot's own Slack adapter and the fake Slack: each role's line on the timeline says
 * the answer Slack gave to that role's direct messages, not the job's one error.
 */

const LEASE_MS = 60_000;
const quiet = { info() {}, warn() {}, error() {} };

/** A declaration pages two roles together (one job, on-call's page first). */
const data = testRunbookData({ respond: { 2: '1m' } });
const runbook = parseRunbook({
  ...data,
  escalation: { ...data.escalation, rules: { ...data.escalation.rules, on_declare: ['on_call', 'senior_devops'] } },
});

forEachDatabase(
  (suite) => {
    const fake = useFakeSlack({ reset: true });
    let incident: Incident;
    let svc: EscalationService;
    beforeEach(async () => {
      await suite.truncate();
      const { db } = suite;
      fake.addUser('U0ONCALL');
      fake.addUser('U0SENIOR');
      fake.addChannel('inc-7', { id: 'CINC7', botIsMember: true });
      const i = await insertIncident(db, {
        teamId: 'T1',
        number: 7,
        title: 'db down',
        severity: 2,
        reporterId: 'U0REP',
      });
      await db.query(`UPDATE incidents SET channel_id = 'CINC7', card_ts = '1.1' WHERE id = $1`, [i.id]);
      incident = (await getIncident(db, i.id))!;
      await db.query(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'declared', 'declared', 'on_call', now())`,
        [i.id],
      );
      const chat = new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
        severities: runbook.severities,
        botUserId: 'UBOT',
        log: quiet,
      });
      svc = new EscalationService(suite.db, chat, runbook, quiet, () => {}, { pageTries: 3 });
    });

    /** One round of the timer loop, every pending job due now (a retry's backoff not waited for). */
    const round = async () => {
      await suite.db.query("UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE state = 'pending'");
      for (const w of (await svc.claim(100, LEASE_MS)).works) await svc.run(w);
    };

    it("two roles whose DMs Slack refused each with its own answer: the timeline's line says each role's", async () => {
      const dmTo = (user: string) => (args: Record<string, unknown>) => args.channel === user;
      fake.failNext('chat.postMessage', { error: 'msg_too_long' }, 3, dmTo('U0ONCALL'));
      fake.failNext('chat.postMessage', { error: 'team_access_not_granted' }, 3, dmTo('U0SENIOR'));
      for (let n = 0; n < 3; n++) await round();
      const { rows } = await suite.db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE key = 'declared'",
      );
      expect(rows).toEqual([{ state: 'cancelled' }]);
      const entry = (await listEvents(suite.db, incident.id)).find((e) => e.kind === 'page_failed');
      if (!entry) throw new Error('no page_failed entry on the timeline');
      expect(entry.details).toMatchObject({ roles: ['on_call', 'senior_devops'] });
      const errors = (entry.details as { errors?: string[] }).errors ?? [];
      expect(errors).toHaveLength(2);
      expect(errors[0]).toContain('msg_too_long');
      expect(errors[1]).toContain('team_access_not_granted');
      const line = describeEvent(entry, runbookNames(runbook));
      expect(line).toMatch(/^Could not page On-Call Engineer \([^)]*msg_too_long[^)]*\), Senior DevOps Engineer \(/);
      expect(line).toMatch(/Senior DevOps Engineer \([^)]*team_access_not_granted[^)]*\)/);
    });
  },
  { only: ['postgres'] },
);
