import { WebClient } from '@slack/web-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { type IncidentChat, type IncidentNotice, UnreachableContactError } from '../../src/incidents/ports.js';
import { slackClientOptions } from '../../src/slack/client-options.js';
import { SlackChat } from '../../src/slack/slack-chat.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { useProxiedDatabase } from '../support/proxied-db.js';
import { testRunbook } from '../support/test-runbook.js';
import { withSharedStores } from '../support/upstash-rest.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

/**
 * The database goes away after a page's direct messages went out (or after the channel was told) and before that
 * could be recorded: the job is tried again once the database is back, by this process or by another replica, and
 * must not message on-call twice nor tell the channel twice.
 */
const LEASE_MS = 400;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = useProxiedDatabase('pageout');
let cutOn: 'sendPage' | 'paged' | null = null;
const dms: string[] = [];
const notices: IncidentNotice['kind'][] = [];
/** The "Paged …" notices, whole. */
const pagedNotices: Extract<IncidentNotice, { kind: 'paged' }>[] = [];
/** People Slack does not know (user_not_found): a DM to them is refused, as unreachable. */
const unknownUsers = new Set<string>();
const invited: string[] = [];

const chat = {
  async sendPage(_i: unknown, _p: unknown, userId: string) {
    dms.push(userId);
    if (unknownUsers.has(userId)) throw new UnreachableContactError(userId, 'user_not_found');
    if (cutOn === 'sendPage') await db.proxy.cut();
  },
  async notify(_i: unknown, notice: IncidentNotice) {
    notices.push(notice.kind);
    if (notice.kind === 'paged') pagedNotices.push(notice);
    if (cutOn === 'paged' && notice.kind === 'paged') await db.proxy.cut();
  },
  resolveContacts: async (ids: string[]) => ({ userIds: ids, unresolved: [] }),
  inviteToChannel: async (_i: unknown, userIds: string[]) => {
    invited.push(...userIds);
    return { unreachable: [] };
  },
  refreshCard: async () => {},
} as unknown as IncidentChat;

async function incidentWithDuePage(): Promise<{ incidentId: number; jobId: number }> {
  const i = await insertIncident(db.direct, {
    teamId: 'T1',
    number: Math.floor(Math.random() * 1e9),
    title: 'db down',
    severity: 1,
    reporterId: 'U0REPORTER',
  });
  await db.direct.query(`UPDATE incidents SET channel_id = $2, card_ts = '1.1' WHERE id = $1`, [i.id, `CINC${i.id}`]);
  const { rows } = await db.direct.query<{ id: number }>(
    `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
     VALUES ($1, 'declared', 'declared', 'on_call', now() - interval '1 second') RETURNING id`,
    [i.id],
  );
  return { incidentId: i.id, jobId: Number(rows[0]!.id) };
}

/**
 * Claims this test's job, the first time or again once its lease has run out (the retry could not be recorded: the
 * database was gone). Only this job: the file's database also holds the jobs earlier tests scheduled (a re-page, a
 * lease a dying process left), which come due in their turn and are no part of this test.
 */
async function claimJob(service: EscalationService, jobId: number, leaseMs = LEASE_MS) {
  const until = Date.now() + 10_000;
  for (;;) {
    const works = (await service.claim(10, leaseMs)).works.filter((w) => w.id === jobId);
    if (works.length) return works[0]!;
    if (Date.now() > until) throw new Error('the job was not claimed again');
    await sleep(LEASE_MS / 2);
  }
}

const recorded = async (incidentId: number) => {
  const { rows } = await db.direct.query<{ user_id: string; announced: boolean; state: string }>(
    `SELECT d.user_id, p.announced_at IS NOT NULL AS announced, j.state
     FROM pages p JOIN escalation_jobs j ON j.id = p.job_id LEFT JOIN page_deliveries d ON d.page_id = p.id
     WHERE p.incident_id = $1`,
    [incidentId],
  );
  return rows;
};

/** The database is back. */
async function restore(): Promise<void> {
  cutOn = null;
  await db.proxy.restore();
}

beforeEach(() => {
  dms.length = 0;
  notices.length = 0;
  pagedNotices.length = 0;
  unknownUsers.clear();
  invited.length = 0;
  cutOn = null;
});

it('lost after the direct message went out: another replica retrying the job (notes shared through Redis) does not message on-call again', async () => {
  await withSharedStores('pageout', async (kvA, kvB) => {
    const runbook = testRunbook();
    const a = new EscalationService(db.viaProxy, chat, runbook, quiet, undefined, { shared: kvA });
    const { incidentId, jobId } = await incidentWithDuePage();
    const work = await claimJob(a, jobId);
    cutOn = 'sendPage';
    await a.run(work); // the delivery cannot be recorded, nor the retry scheduled
    expect(dms).toEqual(['U0ONCALL']);
    expect((await recorded(incidentId))[0]).toMatchObject({ user_id: null, state: 'pending' });

    await restore();
    // Another process (a replica, or this one restarted) takes the job once its lease runs out.
    const b = new EscalationService(db.direct, chat, runbook, quiet, undefined, { shared: kvB });
    await b.run(await claimJob(b, jobId));
    expect(dms).toEqual(['U0ONCALL']); // not twice
    expect(notices).toEqual(['paged']);
    expect(await recorded(incidentId)).toEqual([{ user_id: 'U0ONCALL', announced: true, state: 'done' }]);
  });
});

it('lost after the channel was told, without a shared store: the process retrying the job does not tell the channel again, nor message on-call again', async () => {
  const a = new EscalationService(db.viaProxy, chat, testRunbook(), quiet);
  const { incidentId, jobId } = await incidentWithDuePage();
  const work = await claimJob(a, jobId);
  cutOn = 'paged';
  await a.run(work);
  expect([dms, notices]).toEqual([['U0ONCALL'], ['paged']]);

  await restore();
  await a.run(await claimJob(a, jobId));
  expect([dms, notices]).toEqual([['U0ONCALL'], ['paged']]);
  expect(await recorded(incidentId)).toEqual([{ user_id: 'U0ONCALL', announced: true, state: 'done' }]);
});

describe('lost after the DMs went out, one of them to someone Slack does not know: the note names them unreachable', () => {
  const runbook = testRunbook({ contacts: { on_call: ['U0GONE', 'U0ONCALL'] } });
  const deliveries = async (incidentId: number) =>
    (
      await db.direct.query<{ user_id: string; unreachable: boolean }>(
        `SELECT d.user_id, d.unreachable FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE p.incident_id = $1 ORDER BY d.user_id`,
        [incidentId],
      )
    ).rows;

  /** The first attempt: U0GONE's DM refused as unreachable, U0ONCALL's sent, and the database gone before the record. */
  async function firstAttempt(a: EscalationService): Promise<{ incidentId: number; jobId: number }> {
    unknownUsers.add('U0GONE');
    const due = await incidentWithDuePage();
    const work = await claimJob(a, due.jobId);
    cutOn = 'sendPage';
    await a.run(work);
    expect([...dms].sort()).toEqual(['U0GONE', 'U0ONCALL']);
    expect(await deliveries(due.incidentId)).toEqual([]);
    await restore();
    return due;
  }

  /** The retry: U0GONE neither tried again nor named paged nor invited; the page records them unreachable. */
  async function retriedAsNoted(incidentId: number) {
    expect([...dms].sort()).toEqual(['U0GONE', 'U0ONCALL']);
    expect(pagedNotices.map((n) => [n.userIds, n.unreachable])).toEqual([[['U0ONCALL'], ['U0GONE']]]);
    expect(invited).toEqual(['U0ONCALL']);
    expect(await deliveries(incidentId)).toEqual([
      { user_id: 'U0GONE', unreachable: true },
      { user_id: 'U0ONCALL', unreachable: false },
    ]);
    expect((await recorded(incidentId)).map((r) => [r.announced, r.state])).toEqual([
      [true, 'done'],
      [true, 'done'],
    ]);
  }

  it('the same process retrying the job (its note in memory)', async () => {
    const a = new EscalationService(db.viaProxy, chat, runbook, quiet);
    const { incidentId, jobId } = await firstAttempt(a);
    await a.run(await claimJob(a, jobId));
    await retriedAsNoted(incidentId);
  });

  it('another replica retrying the job (the note shared through Redis, written and read back)', async () => {
    await withSharedStores('pageout-unreachable', async (kvA, kvB) => {
      const a = new EscalationService(db.viaProxy, chat, runbook, quiet, undefined, { shared: kvA });
      const { incidentId, jobId } = await firstAttempt(a);
      const b = new EscalationService(db.direct, chat, runbook, quiet, undefined, { shared: kvB });
      await b.run(await claimJob(b, jobId));
      await retriedAsNoted(incidentId);
    });
  });
});

it('a short outage delays the rest of the page by the outage, not by the lease: the job is rescheduled once the database answers', async () => {
  const a = new EscalationService(db.viaProxy, chat, testRunbook(), quiet);
  const { incidentId, jobId } = await incidentWithDuePage();
  const work = await claimJob(a, jobId, 60_000); // a lease of a minute, as the timer loop takes
  cutOn = 'sendPage';
  await a.run(work);
  await restore();
  const back = Date.now();
  // Claimable again within seconds (its retry delay), long before the minute's lease would have run out.
  const again = await claimJob(a, jobId);
  expect(Date.now() - back).toBeLessThan(8000);
  await a.run(again);
  expect([dms, notices]).toEqual([['U0ONCALL'], ['paged']]);
  expect(await recorded(incidentId)).toEqual([{ user_id: 'U0ONCALL', announced: true, state: 'done' }]);
});

describe('killed after the DM reached Slack, before anything noted it (no database outage, no note: kill -9)', () => {
  const fake = useFakeSlack({ reset: true });
  const warned: string[] = [];
  const log = { ...quiet, warn: (msg: unknown) => warned.push(String(msg)) };
  beforeEach(() => {
    warned.length = 0;
  });
  const slackChat = () =>
    new SlackChat(new WebClient('xoxb-test', slackClientOptions(fake.url)), {
      severities: testRunbook().severities,
      botUserId: 'UBOT',
      log,
    });
  const pageDms = () => fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ONCALL');

  /** A first attempt that sends the page's DM and dies before anything else: Slack has the DM, nobody noted it. */
  async function killedAfterTheDm(): Promise<{ incidentId: number; jobId: number }> {
    const { incidentId, jobId } = await incidentWithDuePage();
    fake.addChannel(`inc-${incidentId}`, { id: `CINC${incidentId}`, botIsMember: true });
    const real = slackChat();
    const dying = Object.assign(Object.create(real) as SlackChat, {
      sendPage: async (...args: Parameters<SlackChat['sendPage']>) => {
        await real.sendPage(...args);
        return new Promise<void>(() => {}); // the process is gone: nothing after this runs
      },
    });
    const a = new EscalationService(db.direct, dying, testRunbook(), quiet);
    const work = await claimJob(a, jobId);
    void a.run(work);
    await fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    // A first attempt spends no Slack call looking for what it is about to send.
    expect(fake.callsTo('conversations.open')).toEqual([]);
    expect(fake.callsTo('conversations.history')).toEqual([]);
    expect((await recorded(incidentId))[0]).toMatchObject({ user_id: null, state: 'pending' });
    return { incidentId, jobId };
  }

  it('the process taking the job over finds the DM in Slack by its metadata: on-call is paged exactly once, the delivery recorded', async () => {
    const { incidentId, jobId } = await killedAfterTheDm();
    const b = new EscalationService(db.direct, slackChat(), testRunbook(), quiet);
    await b.run(await claimJob(b, jobId));
    expect(pageDms()).toHaveLength(1);
    expect(await recorded(incidentId)).toEqual([{ user_id: 'U0ONCALL', announced: true, state: 'done' }]);
    // The channel hears that on-call was paged (reached), once.
    const told = fake.callsTo('chat.postMessage').filter((c) => c.args.channel === `CINC${incidentId}`);
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]!.args)).toContain('U0ONCALL');
  }, 30_000);

  it('without the im:history scope (Slack answers missing_scope) the page is sent again, at least once, and that is logged once', async () => {
    const { incidentId, jobId } = await killedAfterTheDm();
    fake.failNext('conversations.history', { error: 'missing_scope', needed: 'im:history' });
    const b = new EscalationService(db.direct, slackChat(), testRunbook(), log);
    await b.run(await claimJob(b, jobId));
    expect(pageDms()).toHaveLength(2);
    expect(await recorded(incidentId)).toEqual([{ user_id: 'U0ONCALL', announced: true, state: 'done' }]);
    expect(warned.filter((w) => w.includes('missing_scope'))).toHaveLength(1);
    // A first attempt, a lease run out and a second one: past the default 10 s once beside two other test files.
  }, 30_000);
});
