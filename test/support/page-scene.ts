/**
 * What the page tests of one role share: a runbook whose declaration pages senior DevOps, an incident whose declaration
 * job is due, a chat that records notices and cards and answers each page's DM as the test says, the escalation
 * service over them, and one round of the timer loop; and the pieces other page tests build their own scene from (an
 * incident in its channel, a timer due, the claim of one job).
 */
import { beforeEach } from 'vitest';
import { EscalationService, type FiredJob } from '../../src/incidents/escalation.service.js';
import type { EscalationView, IncidentChat, IncidentNotice, PageDmAt, PageMessage } from '../../src/incidents/ports.js';
import type { Severity } from '../../src/incidents/severity.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { drawingChat } from './drawing-chat.js';
import { testRunbookData } from './test-runbook.js';

/** The lease a test's claim of due timers takes. */
export const LEASE_MS = 60_000;
/** A logger that says nothing. */
export const QUIET = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  /** The escalation views the card was drawn with. */
  cards: EscalationView[];
  /** Every redraw of the card asked for, with a view or without. */
  refreshes: number;
  /** Whom each invitation to the incident's channel named. */
  invites: string[][];
  /** What the test's sendPage counts (it keeps the count). */
  tries: number;
}

/** Answers a page's DM: where it went (or nothing), or throws as Slack's refusal. */
export type SendPage = (
  userId: string,
  seen: PageSeen,
  incident: Incident,
  page: PageMessage,
) => PageDmAt | undefined | ReturnType<IncidentChat['sendPage']>;

/** A page DM Slack took: its channel with `userId` and a fresh ts. */
export const dmTo = (userId: string): PageDmAt => ({ channel: `D${userId}`, ts: `${Date.now() / 1000}` });

export function pageChat(sendPage: SendPage): { seen: PageSeen; port: IncidentChat } {
  const seen: PageSeen = { notices: [], cards: [], refreshes: 0, invites: [], tries: 0 };
  const port: Pick<IncidentChat, 'notify' | 'resolveContacts' | 'sendPage' | 'inviteToChannel' | 'refreshCard'> = {
    async notify(_incident, notice) {
      seen.notices.push(notice);
    },
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(incident, page, userId) {
      return sendPage(userId, seen, incident, page);
    },
    async inviteToChannel(_i, userIds) {
      seen.invites.push(userIds);
      return { unreachable: [] };
    },
    async refreshCard(_i, view) {
      seen.refreshes++;
      if (view) seen.cards.push(view);
    },
  };
  return { seen, port: port as IncidentChat };
}

/** The escalation service over `chat`, as the page tests run it (three tries a page, quiet). */
export const pageService = (db: Database, chat: { port: IncidentChat }, runbook: Runbook) =>
  new EscalationService(db, chat.port, runbook, QUIET, () => {}, { pageTries: 3 });

/** An incident in its channel (`CINC1` unless said) with its card posted (ts 1.1), read back. */
export async function incidentInChannel(
  db: Database,
  o: {
    severity: Severity;
    number?: number;
    title?: string;
    reporterId?: string;
    channelId?: string;
    commanderId?: string;
    acknowledgedAt?: Date;
  },
): Promise<Incident> {
  const i = await insertIncident(db, {
    teamId: 'T1',
    number: o.number ?? Math.floor(Math.random() * 1e9),
    title: o.title ?? 'db down',
    severity: o.severity,
    reporterId: o.reporterId ?? 'U0REPORTER',
  });
  await db.query(
    `UPDATE incidents SET channel_id = $2, card_ts = '1.1', commander_id = coalesce($3, commander_id),
       acknowledged_at = coalesce($4, acknowledged_at) WHERE id = $1`,
    [i.id, o.channelId ?? 'CINC1', o.commanderId ?? null, o.acknowledgedAt ?? null],
  );
  return (await getIncident(db, i.id))!;
}

/**
 * A timer of `incidentId` paging `role`, of `rule` (the declaration's unless said; its key the rule's unless said),
 * due `dueInMs` from now (just due unless said). Its job id.
 */
export async function addJob(
  db: Database,
  incidentId: number,
  role: string,
  { rule = 'declared', key = rule, dueInMs = -1 }: { rule?: string; key?: string; dueInMs?: number } = {},
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5::double precision / 1000)) RETURNING id`,
    [incidentId, key, rule, role, dueInMs],
  );
  return Number(rows[0]!.id);
}

/**
 * The job `jobId`, claimed for `leaseMs`: only it (other timers of the database are no part of the test), waiting up to
 * 10 s.
 */
export async function claimJob(svc: EscalationService, jobId: number, leaseMs = LEASE_MS): Promise<FiredJob> {
  const until = Date.now() + 10_000;
  for (;;) {
    const works = (await svc.claim(10, leaseMs)).works.filter((w) => w.id === jobId);
    if (works.length) return works[0]!;
    if (Date.now() > until) throw new Error('the job was not claimed');
    await sleep(50);
  }
}

/** Incident #7 (SEV-2, its channel and card, a commander) with its declaration job due now, and the service over it. */
export async function pageScene(db: Database, runbook: Runbook, sendPage: SendPage) {
  const incident = await incidentInChannel(db, {
    number: 7,
    title: 'db down',
    severity: 2,
    reporterId: 'U0REP',
    commanderId: 'U0CMD',
  });
  await addJob(db, incident.id, 'senior_devops');
  const chat = pageChat(sendPage);
  return { incident, chat, svc: pageService(db, chat, runbook) };
}

/** One round of the timer loop, every pending job due now (a retry's backoff not waited for). */
export async function pageRound(db: Database, svc: EscalationService): Promise<void> {
  await db.query("UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE state = 'pending'");
  for (const w of (await svc.claim(100, LEASE_MS)).works) await svc.run(w);
}

/** A page scene (pageScene) built afresh before each test, on the suite's emptied database. */
export interface PageSceneOf {
  db: Database;
  incident: Incident;
  chat: ReturnType<typeof pageChat>;
  /** The service the rounds run (a test may put another in its place). */
  svc: EscalationService;
  /** One round of the timer loop (pageRound) with `svc`. */
  round(): Promise<void>;
}

/**
 * Registers the beforeEach that empties `suite`'s database and builds the page scene on it; the scene's fields are
 * valid inside tests and the hooks registered after this call.
 */
export function usePageScene(
  suite: { readonly db: Database; truncate(): Promise<void> },
  runbook: Runbook,
  sendPage: SendPage,
): PageSceneOf {
  const scene = {
    round: () => pageRound(scene.db, scene.svc),
  } as PageSceneOf;
  beforeEach(async () => {
    await suite.truncate();
    scene.db = suite.db;
    Object.assign(scene, await pageScene(scene.db, runbook, sendPage));
  });
  return scene;
}

/** A drawing scene (useDrawingScene) built afresh before each test. */
export interface DrawingSceneOf {
  db: Database;
  rec: ReturnType<typeof drawingChat>;
  svc: EscalationService;
  incidentId: number;
}

/**
 * Registers the beforeEach that empties `suite`'s database and builds on it a drawing chat (drawingChat), the service
 * `service` makes over it, and an incident #1 ('ledger drift') in its channel with its card; the fields are valid
 * inside tests and the hooks registered after this call.
 */
export function useDrawingScene(
  suite: { readonly db: Database; truncate(): Promise<void> },
  incident: { severity: Severity; commanderId?: string },
  service: (db: Database, port: IncidentChat) => EscalationService,
): DrawingSceneOf {
  const scene = {} as DrawingSceneOf;
  beforeEach(async () => {
    await suite.truncate();
    scene.db = suite.db;
    scene.rec = drawingChat();
    scene.svc = service(scene.db, scene.rec.port);
    scene.incidentId = (await incidentInChannel(scene.db, { number: 1, title: 'ledger drift', ...incident })).id;
  });
  return scene;
}
