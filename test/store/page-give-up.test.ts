import { WebClient } from '@slack/web-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import {
  type EscalationView,
  type IncidentChat,
  type IncidentNotice,
  UnreachableContactError,
} from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import type { Database } from '../../src/store/db.js';
import { listEvents } from '../../src/store/event.repo.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { pageFailedKey } from '../../src/store/page-failure.repo.js';
import { renderNotice } from '../../src/templates/notices.js';
import { postmortemWriter } from '../../src/templates/postmortem-markdown.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { makePostmortemAnswers, makePostmortemRecord } from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { forEachDatabase } from './databases.js';

const LEASE_MS = 60_000;

/** A declaration pages two roles together (one job, on-call's page first). */
const data = testRunbookData({ respond: { 2: '1m' } });
const runbook = parseRunbook({
  ...data,
  escalation: { ...data.escalation, rules: { ...data.escalation.rules, on_declare: ['on_call', 'senior_devops'] } },
});

/** The same, senior DevOps having two people. */
const twoData = testRunbookData({ respond: { 2: '1m' }, contacts: { senior_devops: ['U0SENIOR', 'U0SENIOR2'] } });
const twoSeniors = parseRunbook({
  ...twoData,
  escalation: {
    ...twoData.escalation,
    rules: { ...twoData.escalation.rules, on_declare: ['on_call', 'senior_devops'] },
  },
});

/** The same, on-call having two people (its page goes first). */
const twoOnCallData = testRunbookData({ respond: { 2: '1m' }, contacts: { on_call: ['U0ONCALL', 'U0ONCALL2'] } });
const twoOnCall = parseRunbook({
  ...twoOnCallData,
  escalation: {
    ...twoOnCallData.escalation,
    rules: { ...twoOnCallData.escalation.rules, on_declare: ['on_call', 'senior_devops'] },
  },
});

/**
 * A chat whose DMs to `refused` Slack refuses (500), and whose channel refuses the "Paged …" lines while
 * `channelDown`; every notice posted and card shown is kept.
 */
function chatOf() {
  const seen = {
    refused: new Set<string>(),
    /** What Slack answers a refused person's DM, when not a 500. */
    answers: new Map<string, string>(),
    /** People Slack does not know (user_not_found): their DMs cannot reach them. */
    unknown: new Set<string>(),
    /** People Slack will not add to the incident channel (cant_invite …), their DMs reaching them all the same. */
    notInvitable: new Set<string>(),
    /** Every DM sent or tried, by person. */
    tries: [] as string[],
    invited: [] as string[],
    channelDown: false,
    /** Roles whose "Paged …" line the channel refuses (500). */
    channelDownFor: new Set<string>(),
    notices: [] as IncidentNotice[],
    cards: [] as EscalationView[],
  };
  const port: Pick<IncidentChat, 'notify' | 'resolveContacts' | 'sendPage' | 'inviteToChannel' | 'refreshCard'> = {
    async notify(_incident, notice) {
      if (notice.kind === 'paged' && seen.channelDown) throw new Error('Slack answered 503');
      if (notice.kind === 'paged' && seen.channelDownFor.has(notice.roleName)) throw new Error('Slack answered 500');
      seen.notices.push(notice);
    },
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(_incident, _page, userId) {
      seen.tries.push(userId);
      if (seen.unknown.has(userId)) throw new UnreachableContactError(userId, 'user_not_found');
      if (seen.refused.has(userId)) throw new Error(seen.answers.get(userId) ?? 'Slack answered 500');
      return { channel: `D${userId}`, ts: `${Date.now() / 1000}` };
    },
    async inviteToChannel(_incident, userIds) {
      seen.invited.push(...userIds);
      return { unreachable: userIds.filter((u) => seen.notInvitable.has(u)) };
    },
    async refreshCard(_i, view) {
      if (view) seen.cards.push(view);
    },
  };
  return { seen, port: port as IncidentChat };
}

/** The card's escalation line, as drawn from a view. */
const lineOf = (incident: Incident, view: EscalationView) => escalationLineOf(incident, view, runbook.severities);

forEachDatabase((suite) => {
  let db: Database;
  let incident: Incident;
  let chat: ReturnType<typeof chatOf>;
  let warnings: string[];
  let svc: EscalationService;
  beforeEach(async () => {
    await suite.truncate();
    db = suite.db;
    const i = await insertIncident(db, { teamId: 'T1', number: 7, title: 'db down', severity: 2, reporterId: 'U0REP' });
    await db.query(`UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1' WHERE id = $1`, [i.id]);
    incident = (await getIncident(db, i.id))!;
    await db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       VALUES ($1, 'declared', 'declared', 'on_call', now())`,
      [i.id],
    );
    chat = chatOf();
    warnings = [];
    const log = { info() {}, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
    svc = new EscalationService(db, chat.port, runbook, log, () => {}, { pageTries: 3 });
  });

  /** One round of the timer loop, every pending job due now (a retry's backoff not waited for). */
  const round = async (on = svc) => {
    await db.query("UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE state = 'pending'");
    for (const w of (await on.claim(100, LEASE_MS)).works) await on.run(w);
  };
  const declaredJob = async () =>
    (await db.query<{ state: string }>("SELECT state FROM escalation_jobs WHERE key = 'declared'")).rows[0];
  const eventsOf = async (kind: string) =>
    (
      await db.query<{ details: Record<string, unknown> }>(
        'SELECT details FROM incident_events WHERE kind = $1 ORDER BY id',
        [kind],
      )
    ).rows.map((r) => r.details);

  describe('a page whose DMs went but whose line in the channel Slack keeps refusing', () => {
    it('is paged, not failed: on its last try the channel line is given up (logged, on the timeline), the job done', async () => {
      chat.seen.channelDown = true;
      for (let i = 0; i < 3; i++) await round();
      // Its DMs went: the page went out, the job ended with it, not given up.
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      expect(await eventsOf('page_failed')).toEqual([]);
      const paged = await eventsOf('paged');
      expect(paged.map((d) => [d.role, d.channelFailed])).toEqual([
        ['on_call', 'Slack answered 503'],
        ['senior_devops', 'Slack answered 503'],
      ]);
      const { rows } = await db.query('SELECT role FROM pages WHERE failed_at IS NOT NULL');
      expect(rows).toEqual([]);
      expect(
        warnings.some((w) => /paged On-Call Engineer, but could not say so in its channel after 3 tries/.test(w)),
      ).toBe(true);
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);
      expect(line).not.toMatch(/Page failed|Paging:/);
    });
  });
  describe("a page whose DMs went but whose line in the channel Slack refused, the job's next page", () => {
    it("is sent at once, not held behind that line's retries; the line is said on the job's retry, after a restart too", async () => {
      chat.seen.channelDownFor.add('On-Call Engineer');
      await round();
      // On-call's DM went, its line refused: senior DevOps is paged all the same, and said so in the channel.
      expect(chat.seen.tries).toEqual(['U0ONCALL', 'U0SENIOR']);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged').map((n) => n.roleName)).toEqual([
        'Senior DevOps Engineer',
      ]);
      expect((await eventsOf('paged')).map((d) => d.role)).toEqual(['senior_devops']);
      // The job is not done: on-call's line is still to say, by the job's retry.
      expect(await declaredJob()).toMatchObject({ state: 'pending' });
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);

      // The process restarts; another one retries the job once the channel takes lines again.
      chat.seen.channelDownFor.clear();
      const restarted = new EscalationService(db, chat.port, runbook, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      await round(restarted);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged').map((n) => n.roleName)).toEqual([
        'Senior DevOps Engineer',
        'On-Call Engineer',
      ]);
      expect((await eventsOf('paged')).map((d) => d.role)).toEqual(['senior_devops', 'on_call']);
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      // Nobody was sent a DM twice.
      expect(chat.seen.tries).toEqual(['U0ONCALL', 'U0SENIOR']);
      await round(restarted);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged')).toHaveLength(2);
    });

    it("on the job's last try, the line still refused, is given up as before and the job done", async () => {
      chat.seen.channelDownFor.add('On-Call Engineer');
      for (let i = 0; i < 3; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      expect((await eventsOf('paged')).map((d) => [d.role, d.channelFailed])).toEqual([
        ['senior_devops', undefined],
        ['on_call', 'Slack answered 500'],
      ]);
      expect(chat.seen.tries).toEqual(['U0ONCALL', 'U0SENIOR']);
    });
  });
  describe("a page one of whose DMs Slack refused (500), the job's next page", () => {
    const quiet = { info() {}, warn() {}, error() {} };
    it("is sent at once, not held behind that DM's retries; the DM is sent on the job's retry, after a restart too", async () => {
      svc = new EscalationService(db, chat.port, twoOnCall, quiet, () => {}, { pageTries: 3 });
      chat.seen.refused.add('U0ONCALL2');
      await round();
      // On-call's DM to U0ONCALL went, U0ONCALL2's refused: senior DevOps is paged all the same, and said so.
      expect([...chat.seen.tries].sort()).toEqual(['U0ONCALL', 'U0ONCALL2', 'U0SENIOR']);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged').map((n) => [n.roleName, n.userIds])).toEqual([
        ['Senior DevOps Engineer', ['U0SENIOR']],
      ]);
      expect((await eventsOf('paged')).map((d) => d.role)).toEqual(['senior_devops']);
      // The job is not done: U0ONCALL2's DM is still owed, by the job's retry.
      expect(await declaredJob()).toMatchObject({ state: 'pending' });

      // The process restarts; another one retries the job once Slack takes the DM.
      chat.seen.refused.clear();
      const restarted = new EscalationService(db, chat.port, twoOnCall, quiet, () => {}, { pageTries: 3 });
      await round(restarted);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged').map((n) => [n.roleName, n.userIds])).toEqual([
        ['Senior DevOps Engineer', ['U0SENIOR']],
        ['On-Call Engineer', ['U0ONCALL', 'U0ONCALL2']],
      ]);
      expect((await eventsOf('paged')).map((d) => d.role)).toEqual(['senior_devops', 'on_call']);
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      // Only the DM still owed was sent again: nobody was messaged twice.
      expect([...chat.seen.tries].sort()).toEqual(['U0ONCALL', 'U0ONCALL2', 'U0ONCALL2', 'U0SENIOR']);
      await round(restarted);
      expect(chat.seen.tries).toHaveLength(4);
      expect(chat.seen.notices.filter((n) => n.kind === 'paged')).toHaveLength(2);
    });

    it('refused on every try: the next role is paged on the first, the refused page given up on the last', async () => {
      chat.seen.refused.add('U0ONCALL');
      await round();
      expect(chat.seen.tries).toEqual(['U0ONCALL', 'U0SENIOR']);
      expect(await declaredJob()).toMatchObject({ state: 'pending' });
      for (let i = 0; i < 2; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      // Senior DevOps was DMed once, and its page went out; on-call's page failed, and is told so.
      expect(chat.seen.tries).toEqual(['U0ONCALL', 'U0SENIOR', 'U0ONCALL', 'U0ONCALL']);
      const { rows } = await db.query<{ role: string; failed: boolean }>(
        'SELECT role, failed_at IS NOT NULL AS failed FROM pages ORDER BY id',
      );
      expect(rows).toEqual([
        { role: 'on_call', failed: true },
        { role: 'senior_devops', failed: false },
      ]);
      await round();
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([
        {
          kind: 'page_failed',
          roles: [{ role: 'on_call', roleName: 'On-Call Engineer', error: 'Slack answered 500' }],
          commanderId: null,
        },
      ]);
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: Senior DevOps Engineer \(/);
      expect(line).toMatch(/Page failed[^"]*On-Call Engineer/);
    });
  });
  describe("a page that reached some of a role's people, another's DM refused try after try", () => {
    it('counts the role as paged, and names the person never reached on the card and in the notice', async () => {
      await db.query("UPDATE incidents SET commander_id = 'U0CMD' WHERE id = $1", [incident.id]);
      incident = (await getIncident(db, incident.id))!;
      svc = new EscalationService(db, chat.port, twoSeniors, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      chat.seen.refused.add('U0SENIOR2');
      for (let i = 0; i < 4; i++) await round();
      const told = chat.seen.notices.filter((n) => n.kind === 'page_failed');
      expect(told).toEqual([
        {
          kind: 'page_failed',
          roles: [],
          missed: [
            {
              role: 'senior_devops',
              roleName: 'Senior DevOps Engineer',
              userIds: ['U0SENIOR2'],
              errors: ['Slack answered 500'],
            },
          ],
          commanderId: 'U0CMD',
        },
      ]);
      expect(renderNotice(incident, told[0]!, twoSeniors.severities).text).toBe(
        ":warning: Never reached: <@U0SENIOR2> of *Senior DevOps Engineer* (Slack answered: Slack answered 500). Slack refused that direct message try after try for about ten minutes, so the bot stopped trying; the role's other people were paged. <@U0CMD>: call them or reach them another way.",
      );
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);
      expect(line).toContain(
        ':warning: Never reached: <@U0SENIOR2> of Senior DevOps Engineer (Slack answered 500): call them or reach them another way',
      );
      expect(line).not.toMatch(/Page failed|Paging:/);
      // The page reached U0SENIOR: it went out, not failed; U0SENIOR2 is recorded as never reached by it.
      const { rows: pages } = await db.query<{ role: string; failed: boolean; missed: string[] | null }>(
        'SELECT role, failed_at IS NOT NULL AS failed, missed FROM pages ORDER BY id',
      );
      expect(pages).toEqual([
        { role: 'on_call', failed: false, missed: null },
        { role: 'senior_devops', failed: false, missed: ['U0SENIOR2'] },
      ]);
    });
  });
  describe("a page that reached some of a role's people, announced on its job's last try", () => {
    it('says in the channel and on the timeline that it paged them, and whom it never reached; the job done', async () => {
      svc = new EscalationService(db, chat.port, twoSeniors, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      chat.seen.refused.add('U0SENIOR2');
      for (let i = 0; i < 3; i++) await round();
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged.map((n) => [n.roleName, n.userIds, n.missed])).toEqual([
        ['On-Call Engineer', ['U0ONCALL'], undefined],
        ['Senior DevOps Engineer', ['U0SENIOR'], { userIds: ['U0SENIOR2'], errors: ['Slack answered 500'] }],
      ]);
      expect(renderNotice(incident, paged[1]!, twoSeniors.severities).text).toContain(
        ':warning: Never reached: <@U0SENIOR2> (Slack answered: Slack answered 500). Slack refused the direct message try after try for about ten minutes, so the bot stopped trying: call them or reach them another way.',
      );
      const events = await eventsOf('paged');
      expect(events.map((d) => [d.role, d.userIds, d.missed, d.missedErrors])).toEqual([
        ['on_call', ['U0ONCALL'], undefined, undefined],
        ['senior_devops', ['U0SENIOR'], ['U0SENIOR2'], ['Slack answered 500']],
      ]);
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      expect(await eventsOf('page_failed')).toEqual([]);
    });

    it("goes on to the job's next page, which gets its try rather than being given up untried", async () => {
      svc = new EscalationService(db, chat.port, twoOnCall, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      chat.seen.refused.add('U0ONCALL2');
      for (let i = 0; i < 4; i++) await round();
      const events = await eventsOf('paged');
      // Senior DevOps paged on the job's first try (on-call's refused DM does not hold it), on-call on its last.
      expect(events.map((d) => [d.role, d.userIds, d.missed])).toEqual([
        ['senior_devops', ['U0SENIOR'], undefined],
        ['on_call', ['U0ONCALL'], ['U0ONCALL2']],
      ]);
      expect(await eventsOf('page_failed')).toEqual([]);
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([
        {
          kind: 'page_failed',
          roles: [],
          missed: [
            { role: 'on_call', roleName: 'On-Call Engineer', userIds: ['U0ONCALL2'], errors: ['Slack answered 500'] },
          ],
          commanderId: null,
        },
      ]);
      // The timer the job's last page wrote for it, under the one key format (pageFailedKey), told and done.
      const { rows: timers } = await db.query<{ key: string; state: string; job: number }>(
        `SELECT t.key, t.state, j.id AS job FROM escalation_jobs t, escalation_jobs j
         WHERE t.rule = 'page_failed' AND j.key = 'declared'`,
      );
      expect(timers).toEqual([{ key: pageFailedKey(Number(timers[0]?.job)), state: 'done', job: timers[0]?.job }]);
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);
      expect(line).not.toMatch(/Page failed|Paging:/);
    });
  });
  describe('a person Slack could not reach (user_not_found) on an earlier try of their page', () => {
    const quiet = { info() {}, warn() {}, error() {} };
    it('is not named as paged on the retry, nor invited: the Paged line names them unreachable', async () => {
      svc = new EscalationService(db, chat.port, twoSeniors, quiet, () => {}, { pageTries: 3 });
      chat.seen.unknown.add('U0SENIOR');
      chat.seen.refused.add('U0SENIOR2');
      await round();
      // The first try: U0SENIOR unknown to Slack, U0SENIOR2's DM refused (500): the job is tried again.
      chat.seen.refused.delete('U0SENIOR2');
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged.map((n) => [n.roleName, n.userIds, n.unreachable])).toEqual([
        ['On-Call Engineer', ['U0ONCALL'], []],
        ['Senior DevOps Engineer', ['U0SENIOR2'], ['U0SENIOR']],
      ]);
      expect(chat.seen.invited).not.toContain('U0SENIOR');
      const events = await eventsOf('paged');
      expect(events.map((d) => [d.role, d.userIds, d.unreachable])).toEqual([
        ['on_call', ['U0ONCALL'], []],
        ['senior_devops', ['U0SENIOR2'], ['U0SENIOR']],
      ]);
      // Not tried again: Slack had said it does not know them.
      expect(chat.seen.tries.filter((u) => u === 'U0SENIOR')).toEqual(['U0SENIOR']);
    });

    it('does not make a page that reached nobody else count as gone out: on its last try it is given up', async () => {
      svc = new EscalationService(db, chat.port, twoSeniors, quiet, () => {}, { pageTries: 3 });
      chat.seen.unknown.add('U0SENIOR');
      chat.seen.refused.add('U0SENIOR2');
      for (let i = 0; i < 3; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      expect(chat.seen.notices.filter((n) => n.kind === 'paged').map((n) => n.roleName)).toEqual(['On-Call Engineer']);
      expect(chat.seen.invited).not.toContain('U0SENIOR');
      const { rows } = await db.query<{ role: string; failed: boolean; missed: string[] | null }>(
        'SELECT role, failed_at IS NOT NULL AS failed, missed FROM pages ORDER BY id',
      );
      expect(rows).toEqual([
        { role: 'on_call', failed: false, missed: null },
        { role: 'senior_devops', failed: true, missed: null },
      ]);
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toContain('Page failed');
      expect(line).toContain('Senior DevOps Engineer');
    });
  });
  describe('a person whose page DM reached them, Slack refusing to add them to the incident channel', () => {
    it('is paged, never named unreachable: the channel is told apart, the timeline, the post-mortem and the card say paged', async () => {
      svc = new EscalationService(db, chat.port, twoSeniors, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      chat.seen.notInvitable.add('U0SENIOR2');
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      expect(chat.seen.invited).toContain('U0SENIOR2');
      const paged = chat.seen.notices.filter((n) => n.kind === 'paged');
      expect(paged.map((n) => [n.roleName, n.userIds, n.unreachable, n.notInvited])).toEqual([
        ['On-Call Engineer', ['U0ONCALL'], [], undefined],
        ['Senior DevOps Engineer', ['U0SENIOR', 'U0SENIOR2'], [], ['U0SENIOR2']],
      ]);
      const text = renderNotice(incident, paged[1]!, twoSeniors.severities).text;
      expect(text).toContain('Paged *Senior DevOps Engineer* (<@U0SENIOR>, <@U0SENIOR2>)');
      expect(text).not.toMatch(/Could not reach|Never reached/);
      expect(text).toContain(
        ':information_source: Slack would not add <@U0SENIOR2> to this channel (the page reached them by direct message): invite them by hand.',
      );
      const events = await eventsOf('paged');
      expect(events.map((d) => [d.role, d.userIds, d.unreachable, d.notInvited])).toEqual([
        ['on_call', ['U0ONCALL'], [], undefined],
        ['senior_devops', ['U0SENIOR', 'U0SENIOR2'], [], ['U0SENIOR2']],
      ]);
      const entry = (await listEvents(db, incident.id)).filter((e) => e.kind === 'paged')[1]!;
      expect(describeEvent(entry, runbookNames(twoSeniors))).not.toMatch(/reach/);
      const md = postmortemWriter(
        twoSeniors,
        (t) => t,
      )(
        makePostmortemRecord(twoSeniors.severities, makePostmortemAnswers({ rootCause: '' }), {
          incident,
          events: [entry],
          writtenBy: 'U0CMD',
        }),
      );
      expect(md).toContain('Paged Senior DevOps Engineer (');
      expect(md).not.toMatch(/could not reach/i);
      // Recorded as reached by the page (the card counts it), not as tried and unreachable.
      const { rows } = await db.query<{ user_id: string; unreachable: boolean }>(
        `SELECT d.user_id, d.unreachable FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE p.role = 'senior_devops' ORDER BY d.user_id`,
      );
      expect(rows).toEqual([
        { user_id: 'U0SENIOR', unreachable: false },
        { user_id: 'U0SENIOR2', unreachable: false },
      ]);
      const line = lineOf(incident, await svc.view(db, incident));
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);
      expect(line).not.toMatch(/Never reached|could not reach|Page failed/);
    });
  });
  describe('a page given up, its DMs refused try after try', () => {
    it("is told once in the channel, with what failed, Slack's answer, the commander and what to do; not by another replica", async () => {
      await db.query("UPDATE incidents SET commander_id = 'U0CMD' WHERE id = $1", [incident.id]);
      incident = (await getIncident(db, incident.id))!;
      chat.seen.refused.add('U0SENIOR');
      for (let i = 0; i < 3; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      // Its notice is a timer written with the give-up: run by whichever process claims it, once.
      await round();
      const other = new EscalationService(db, chat.port, runbook, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      await round(other);
      await round();
      const told = chat.seen.notices.filter((n) => n.kind === 'page_failed');
      expect(told).toEqual([
        {
          kind: 'page_failed',
          roles: [{ role: 'senior_devops', roleName: 'Senior DevOps Engineer', error: 'Slack answered 500' }],
          commanderId: 'U0CMD',
        },
      ]);
      const { rows } = await db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE rule = 'page_failed'",
      );
      expect(rows).toEqual([{ state: 'done' }]);
    });

    it("with several pages refused in one try, each for its own reason, tells and shows each page's own answer", async () => {
      chat.seen.refused.add('U0ONCALL');
      chat.seen.refused.add('U0SENIOR');
      chat.seen.answers.set('U0SENIOR', 'Slack answered 503');
      for (let i = 0; i < 3; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      const { rows } = await db.query<{ role: string; failure: string | null }>(
        'SELECT role, failure FROM pages WHERE failed_at IS NOT NULL ORDER BY id',
      );
      expect(rows).toEqual([
        { role: 'on_call', failure: 'Slack answered 500' },
        { role: 'senior_devops', failure: 'Slack answered 503' },
      ]);
      await round();
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([
        {
          kind: 'page_failed',
          roles: [
            { role: 'on_call', roleName: 'On-Call Engineer', error: 'Slack answered 500' },
            { role: 'senior_devops', roleName: 'Senior DevOps Engineer', error: 'Slack answered 503' },
          ],
          commanderId: null,
        },
      ]);
      const { paged } = await svc.view(db, incident);
      expect(paged.map((p) => [p.roleName, p.failed?.error])).toEqual([
        ['On-Call Engineer', 'Slack answered 500'],
        ['Senior DevOps Engineer', 'Slack answered 503'],
      ]);
    });

    it("records each role's own answer on the timeline entry, which the timeline and the post-mortem say", async () => {
      chat.seen.refused.add('U0ONCALL');
      chat.seen.refused.add('U0SENIOR');
      chat.seen.answers.set('U0SENIOR', 'Slack answered 503');
      for (let i = 0; i < 3; i++) await round();
      expect(await eventsOf('page_failed')).toEqual([
        {
          roles: ['on_call', 'senior_devops'],
          errors: ['Slack answered 500', 'Slack answered 503'],
          rule: 'declared',
          error: 'Slack answered 500',
        },
      ]);
      const entry = (await listEvents(db, incident.id)).find((e) => e.kind === 'page_failed')!;
      expect(describeEvent(entry, runbookNames(runbook))).toBe(
        'Could not page On-Call Engineer (Slack answered 500), Senior DevOps Engineer (Slack answered 503): their direct messages failed try after try, so the bot stopped trying',
      );
      const md = postmortemWriter(
        runbook,
        (t) => t,
      )(
        makePostmortemRecord(runbook.severities, makePostmortemAnswers({ rootCause: '' }), {
          incident,
          events: [entry],
          writtenBy: 'U0CMD',
        }),
      );
      expect(md).toContain(
        'Could not page On-Call Engineer (Slack answered 500), Senior DevOps Engineer (Slack answered 503): their direct messages failed try after try, so the bot stopped trying',
      );
    });

    it("given up after a last try a database error cut short, keeps the page's own answer from Slack, not the database's error", async () => {
      await db.query("UPDATE incidents SET commander_id = 'U0CMD' WHERE id = $1", [incident.id]);
      incident = (await getIncident(db, incident.id))!;
      chat.seen.refused.add('U0SENIOR');
      chat.seen.answers.set('U0SENIOR', 'Slack answered 503');
      for (let i = 0; i < 2; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'pending' });
      // The last try: claimed, then the database drops the first statement it runs (the page never got its DMs' try).
      let cut = false;
      const flaky = new Proxy(db, {
        get(target, prop) {
          if (prop === 'query' && cut) {
            return async () => {
              cut = false;
              throw new Error('Connection terminated unexpectedly');
            };
          }
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const last = new EscalationService(flaky, chat.port, runbook, { info() {}, warn() {}, error() {} }, () => {}, {
        pageTries: 3,
      });
      await db.query("UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE state = 'pending'");
      const { works } = await last.claim(100, LEASE_MS);
      cut = true;
      for (const w of works) await last.run(w);
      expect(cut).toBe(false);
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      const { rows } = await db.query<{ role: string; failure: string | null }>(
        'SELECT role, failure FROM pages WHERE failed_at IS NOT NULL ORDER BY id',
      );
      expect(rows).toEqual([{ role: 'senior_devops', failure: 'Slack answered 503' }]);
      expect((await eventsOf('page_failed')).map((d) => d.errors)).toEqual([['Slack answered 503']]);
      await round();
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([
        {
          kind: 'page_failed',
          roles: [{ role: 'senior_devops', roleName: 'Senior DevOps Engineer', error: 'Slack answered 503' }],
          commanderId: 'U0CMD',
        },
      ]);
      const { paged } = await svc.view(db, incident);
      expect(paged.map((p) => [p.roleName, p.failed?.error ?? null])).toEqual([
        ['On-Call Engineer', null],
        ['Senior DevOps Engineer', 'Slack answered 503'],
      ]);
    });

    it("while still tried again, shows each page's own answer on the card, not the first page's for all", async () => {
      chat.seen.refused.add('U0ONCALL');
      chat.seen.refused.add('U0SENIOR');
      chat.seen.answers.set('U0SENIOR', 'Slack answered 503');
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'pending' });
      const first = await svc.view(db, incident);
      expect(first.paged.map((p) => [p.roleName, p.going?.error])).toEqual([
        ['On-Call Engineer', 'Slack answered 500'],
        ['Senior DevOps Engineer', 'Slack answered 503'],
      ]);
      expect(lineOf(incident, first)).toContain(
        ':hourglass_flowing_sand: Paging: On-Call Engineer (not sent yet: Slack answered 500; trying again), Senior DevOps Engineer (not sent yet: Slack answered 503; trying again)',
      );
      // The next try, Slack answers each otherwise: the card shows each page's latest answer.
      chat.seen.answers.set('U0ONCALL', 'Slack answered 502');
      chat.seen.answers.set('U0SENIOR', 'Slack answered 504');
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'pending' });
      expect((await svc.view(db, incident)).paged.map((p) => [p.roleName, p.going?.error])).toEqual([
        ['On-Call Engineer', 'Slack answered 502'],
        ['Senior DevOps Engineer', 'Slack answered 504'],
      ]);
    });

    it('is told again on its retry when Slack refused the notice, and not once told', async () => {
      chat.seen.refused.add('U0SENIOR');
      for (let i = 0; i < 3; i++) await round();
      const notify = chat.port.notify.bind(chat.port);
      let refuse = true;
      chat.port.notify = async (i, n, post) => {
        if (n.kind === 'page_failed' && refuse) throw new Error('Slack answered 502');
        return notify(i, n, post);
      };
      await round();
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([]);
      refuse = false;
      await round();
      await round();
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toHaveLength(1);
    });

    it('is not told when every page went out', async () => {
      for (let i = 0; i < 2; i++) await round();
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      expect(chat.seen.notices.filter((n) => n.kind === 'page_failed')).toEqual([]);
      const { rows } = await db.query("SELECT 1 FROM escalation_jobs WHERE rule = 'page_failed'");
      expect(rows).toEqual([]);
    });
  });
});

describe("a page given up, in Slack: the commander's direct message", () => {
  const fake = useFakeSlack({ reset: true });
  /** Incident #7, db down, SEV-2, commanded by U0CMD, in `channelId` (null: it has none). */
  const incidentSeven = (channelId: string | null, over: Partial<Incident> = {}) =>
    ({
      id: 7,
      number: 7,
      title: 'db down',
      channelId,
      commanderId: 'U0CMD',
      severity: 2,
      ...over,
    }) as unknown as Incident;
  /** Senior DevOps's page given up (Slack answered 500), to tell U0CMD. */
  const notice: IncidentNotice = {
    kind: 'page_failed',
    roles: [{ role: 'senior_devops', roleName: 'Senior DevOps Engineer', error: 'Slack answered 500' }],
    commanderId: 'U0CMD',
  };
  it('posts the notice in the channel and tells the commander in a DM naming the incident; a DM refused is logged', async () => {
    const warned: string[] = [];
    const chat = new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
      severities: runbook.severities,
      botUserId: 'UBOT',
      log: { warn: (m: unknown) => void warned.push(String(m)) },
    });
    fake.addChannel('inc-7', { id: 'CINC7', botIsMember: true });
    const incident = incidentSeven('CINC7');
    await chat.notify(incident, notice);
    const posts = fake.callsTo('chat.postMessage');
    const inChannel = posts.find((c) => c.args.channel === 'CINC7');
    expect(String(inChannel?.args.text)).toContain(
      ':warning: Page failed: *Senior DevOps Engineer* (Slack answered: Slack answered 500) was not paged.',
    );
    expect(String(inChannel?.args.text)).toContain(
      '<@U0CMD>: page it again with `/incident escalate Senior DevOps Engineer`, or call its people.',
    );
    const dm = posts.find((c) => c.args.channel === 'U0CMD');
    expect(String(dm?.args.text)).toMatch(
      /^\*Incident #7\* \(db down, <#CINC7>\)\n:warning: Page failed: \*Senior DevOps/,
    );
    expect(String(dm?.args.text)).not.toContain('<@U0CMD>');

    // Slack refusing the DM does not fail the notice (the channel has it; its timer is not tried again for it).
    fake.reset();
    fake.failNext('chat.postMessage', { error: 'user_not_found' }, 1, (args) => args.channel === 'U0CMD');
    await chat.notify(incident, notice);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CINC7')).toHaveLength(1);
    expect(warned).toEqual(['incident 7: could not tell its commander a page failed']);
  });

  it('with no channel (it could not be made), still tells the commander in a DM, else the reporter; a DM refused fails the notice', async () => {
    const chat = new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
      severities: runbook.severities,
      botUserId: 'UBOT',
      log: { warn() {} },
    });
    const incident = incidentSeven(null, { reporterId: 'U0REP' });
    await chat.notify(incident, notice);
    const posts = fake.callsTo('chat.postMessage');
    expect(posts.map((c) => c.args.channel)).toEqual(['U0CMD']);
    expect(String(posts[0]?.args.text)).toMatch(
      /^\*Incident #7\* \(db down\)\n:warning: Page failed: \*Senior DevOps Engineer\* \(Slack answered: Slack answered 500\) was not paged\./,
    );

    // No commander: the reporter is told.
    fake.reset();
    await chat.notify({ ...incident, commanderId: null }, { ...notice, commanderId: null });
    expect(fake.callsTo('chat.postMessage').map((c) => c.args.channel)).toEqual(['U0REP']);

    // The DM is the only telling: Slack refusing it fails the notice, for its timer to try again.
    fake.reset();
    fake.failNext('chat.postMessage', { error: 'user_not_found' }, 1, (args) => args.channel === 'U0CMD');
    await expect(chat.notify(incident, notice)).rejects.toThrow(/user_not_found/);
  });
});
