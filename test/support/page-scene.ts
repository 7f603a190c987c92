/**
 * What the page tests of one role share: a runbook whose declaration pages senior DevOps, an incident whose declaration
 * job is due, a chat that records notices and cards and answers each page's DM as the test says, the escalation
 * service over them, and one round of the timer loop.
 */
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { EscalationView, IncidentChat, IncidentNotice } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { testRunbookData } from './test-runbook.js';

const LEASE_MS = 60_000;
const QUIET = { info() {}, warn() {}, error() {} };

/** A SEV-2 (answered within a minute) whose declaration pages senior DevOps, `people` its contacts. */
export function seniorDevopsOnDeclare(people: string[]): Runbook {
  const data = testRunbookData({ respond: { 2: '1m' }, contacts: { senior_devops: people } });
  return parseRunbook({
    ...data,
    escalation: { ...data.escalation, rules: { ...data.escalation.rules, on_declare: ['senior_devops'] } },
  });
}

export interface PageSeen {
  notices: IncidentNotice[];
  cards: EscalationView[];
  /** What the test's sendPage counts (it keeps the count). */
  tries: number;
}

/** Answers a page's DM: where it went, or throws as Slack's refusal. */
export type SendPage = (userId: string, seen: PageSeen) => { channel: string; ts: string };

export function pageChat(sendPage: SendPage): { seen: PageSeen; port: IncidentChat } {
  const seen: PageSeen = { notices: [], cards: [], tries: 0 };
  const port: Pick<IncidentChat, 'notify' | 'resolveContacts' | 'sendPage' | 'inviteToChannel' | 'refreshCard'> = {
    async notify(_incident, notice) {
      seen.notices.push(notice);
    },
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(_incident, _page, userId) {
      return sendPage(userId, seen);
    },
    async inviteToChannel() {
      return { unreachable: [] };
    },
    async refreshCard(_i, view) {
      if (view) seen.cards.push(view);
    },
  };
  return { seen, port: port as IncidentChat };
}

/** The escalation service over `chat`, as the page tests run it (three tries a page, quiet). */
export const pageService = (db: Database, chat: { port: IncidentChat }, runbook: Runbook) =>
  new EscalationService(db, chat.port, runbook, QUIET, () => {}, { pageTries: 3 });

/** Incident #7 (SEV-2, its channel and card, a commander) with its declaration job due now, and the service over it. */
export async function pageScene(db: Database, runbook: Runbook, sendPage: SendPage) {
  const i = await insertIncident(db, { teamId: 'T1', number: 7, title: 'db down', severity: 2, reporterId: 'U0REP' });
  await db.query(`UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1', commander_id = 'U0CMD' WHERE id = $1`, [
    i.id,
  ]);
  const incident: Incident = (await getIncident(db, i.id))!;
  await db.query(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     VALUES ($1, 'declared', 'declared', 'senior_devops', now())`,
    [i.id],
  );
  const chat = pageChat(sendPage);
  return { incident, chat, svc: pageService(db, chat, runbook) };
}

/** One round of the timer loop, every pending job due now (a retry's backoff not waited for). */
export async function pageRound(db: Database, svc: EscalationService): Promise<void> {
  await db.query("UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE state = 'pending'");
  for (const w of (await svc.claim(100, LEASE_MS)).works) await svc.run(w);
}
