import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ChangeFollowups } from '../../src/incidents/change-followups.js';
import { incidentChannelName } from '../../src/incidents/channel-name.js';
import { AlreadyDoneError, ChatPlatformError, DomainError, IncidentNotFoundError } from '../../src/incidents/errors.js';
import { type DeclareInput, IncidentService } from '../../src/incidents/incident.service.js';
import type {
  DeclarationReport,
  IncidentChat,
  IncidentNotice,
  Logger,
  NoticePlace,
  NoticePost,
} from '../../src/incidents/ports.js';
import { seenOf } from '../../src/incidents/status-merge.js';
import type { Incident, StatusUpdateInput } from '../../src/incidents/types.js';
import { errorText } from '../../src/slack/report-error.js';
import { createPostgresDatabase, DatabaseUnavailableError } from '../../src/store/db.js';
import { insertDeclaring, markDeclaredHeld } from '../../src/store/declaration.repo.js';
import { claimStaleFollowups, insertFollowup } from '../../src/store/followup.repo.js';
import { nextIncidentNumber, recordDeclaringChannel } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

type ChatMethod = keyof IncidentChat;
interface ChatCall {
  method: ChatMethod;
  incident?: Incident;
  channelId?: string;
  notice?: IncidentNotice;
  post?: NoticePost;
}

/** A recording fake of the domain's own chat port. `fail[method]` makes that method throw; `channelIds` are handed out in order. */
function makeChat() {
  let channels = 0;
  /** Records the call, then throws if the test made this method fail. */
  const record = (method: ChatMethod, call: Omit<ChatCall, 'method'> = {}) => {
    chat.calls.push({ method, ...call });
    const err = chat.fail[method];
    if (err) throw err;
  };
  const chat = {
    calls: [] as ChatCall[],
    fail: {} as Partial<Record<ChatMethod, Error>>,
    channelIds: [] as string[],
    methods: () => chat.calls.map((c) => c.method),
    notices: () => chat.calls.flatMap((c) => (c.notice ? [c.notice] : [])),
    async openChannel(incident: Incident) {
      record('openChannel', { incident });
      channels += 1;
      const channelId = chat.channelIds.shift() ?? `CINC${channels}${randomUUID().slice(0, 6).toUpperCase()}`;
      return { channelId, channelName: incidentChannelName(incident.number, incident.title) };
    },
    abandonChannel: async (channelId: string) => record('abandonChannel', { channelId }),
    async postCard(incident: Incident) {
      record('postCard', { incident });
      return `1700000000.${String(chat.calls.length).padStart(6, '0')}`;
    },
    pinCard: async (incident: Incident) => record('pinCard', { incident }),
    refreshCard: async (incident: Incident) => record('refreshCard', { incident }),
    announce: async (incident: Incident) => record('announce', { incident }),
    tellDeclarer: async (report: DeclarationReport) => record('tellDeclarer', { incident: report.incident }),
    notify: async (incident: Incident, notice: IncidentNotice, post?: NoticePost) =>
      record('notify', { incident, notice, ...(post ? { post } : {}) }),
    /** None by default: the chat cannot tell where a notice is (it is posted at most once then). */
    findNotice: undefined as IncidentChat['findNotice'],
    async resolveContacts(ids: string[]) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage() {},
    async inviteToChannel() {
      return { unreachable: [] };
    },
  };
  const port: IncidentChat = chat;
  return Object.assign(chat, { port });
}

function makeLogger() {
  const lines: { level: string; args: unknown[] }[] = [];
  const log: Logger = {
    info: (...args) => lines.push({ level: 'info', args }),
    warn: (...args) => lines.push({ level: 'warn', args }),
    error: (...args) => lines.push({ level: 'error', args }),
  };
  return { log, lines };
}

const update = (o: Partial<StatusUpdateInput> = {}): StatusUpdateInput => ({
  status: 'investigating',
  affected: 'EU checkout',
  currentImpact: '30% of requests fail',
  currentStatus: 'Primary refuses connections',
  mitigationSteps: '',
  nextUpdateAt: new Date(Date.now() + 30 * 60_000),
  customerImpact: true,
  dataLossRisk: false,
  publish: false,
  ...o,
});

forEachDatabase(
  (ctx) => {
    let chat: ReturnType<typeof makeChat>;
    let logger: ReturnType<typeof makeLogger>;
    let service: IncidentService;

    beforeEach(async () => {
      await ctx.truncate();
      chat = makeChat();
      logger = makeLogger();
      service = new IncidentService(ctx.db, chat.port, logger.log);
    });

    const input = (o: Partial<DeclareInput> = {}): DeclareInput => ({
      teamId: 'T0001',
      reporterId: 'UREP',
      title: 'db down',
      severity: 1,
      requestKey: randomUUID(),
      ...o,
    });
    const declared = async (o: Partial<DeclareInput> = {}) => {
      const r = await service.declare(input(o));
      if (r.kind !== 'declared') throw new Error(`expected declared, got ${r.kind}`);
      return r;
    };
    const count = async (table: string) =>
      Number((await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);
    const kinds = async (id: number) => (await service.timeline(id)).map((e) => e.kind);

    describe('a change whose process died before it was shown (its follow-up)', () => {
      /** As a process killed right after committing the change leaves it (`incident` as it left it): its lease runs out at once. */
      const leftBehind = async (incident: Incident, notice: IncidentNotice, o: { noticeDone?: boolean } = {}) => {
        const id = await insertFollowup(
          ctx.db,
          { incident, notice, pages: true, resolved: notice.kind === 'resolved' },
          randomUUID(),
          0,
        );
        if (o.noticeDone) await ctx.db.query('UPDATE change_followups SET notice_done = true WHERE id = $1', [id]);
      };

      it('a resolution is shown by the sweep: card, notice (its times read back as dates), then the row goes', async () => {
        const { incident } = await declared();
        const resolved = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        await ctx.db.query('DELETE FROM change_followups');
        const at = new Date('2026-12-05T10:00:00Z');
        await leftBehind(resolved, {
          kind: 'resolved',
          actorId: 'URES',
          summary: 'flushed the cache',
          stillFiring: { count: 1, sources: ['alertmanager'], lastHeard: at },
        });
        chat.calls.length = 0;
        await service.followups.sweep();
        expect(chat.methods()).toEqual(['refreshCard', 'notify']);
        const notice = chat.notices()[0]!;
        expect(notice).toMatchObject({ kind: 'resolved', summary: 'flushed the cache' });
        expect(notice.kind === 'resolved' && notice.stillFiring?.lastHeard).toEqual(at);
        // Shown with the incident as the change left it, its times read back as dates.
        expect(chat.calls.at(-1)!.incident).toEqual(resolved);
        expect(await count('change_followups')).toBe(0);
        // Shown once: a second sweep finds nothing.
        await service.followups.sweep();
        expect(chat.methods()).toEqual(['refreshCard', 'notify']);
      });

      it('a resolution overtaken by a reopening is not said late; a notice posted already is not posted again', async () => {
        const { incident } = await declared();
        const first = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        const reopened = (await service.reopen(incident.id, 'URES', 'back again'))!.incident;
        await leftBehind(first, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        await leftBehind(reopened, { kind: 'reopened', actorId: 'URES', why: 'back again' }, { noticeDone: true });
        chat.calls.length = 0;
        await service.followups.sweep();
        expect(chat.methods()).toEqual(['refreshCard', 'refreshCard']);
        expect(await count('change_followups')).toBe(0);
        // Resolved again since (another summary): the first resolution is not said late either.
        await service.resolve(incident.id, 'URES', 'really fixed');
        await leftBehind(first, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        // Renamed twice, the first rename left unshown: not said late.
        const renamed = (await service.rename(incident.id, 'URES', 'beta'))!.incident;
        await service.rename(incident.id, 'URES', 'gamma');
        await leftBehind(renamed, { kind: 'renamed', actorId: 'URES', from: 'db down' });
        chat.calls.length = 0;
        await service.followups.sweep();
        expect(chat.methods()).toEqual(['refreshCard', 'refreshCard']);
      });

      it('a live change keeps its follow-up only until it is shown; one that tells nobody (an acknowledgement) keeps none', async () => {
        const { incident } = await declared();
        // What the database holds as each notice is posted.
        const held: [string, number][] = [];
        const notify = chat.notify;
        chat.notify = async (i: Incident, notice: IncidentNotice) => {
          held.push([notice.kind, await count('change_followups')]);
          return notify(i, notice);
        };
        await service.acknowledge(incident.id, 'UACK');
        await service.postStatusUpdate(incident.id, 'UACK', update());
        await service.resolve(incident.id, 'URES', 'done');
        expect(held).toEqual([
          ['acknowledged', 0],
          ['status_update', 1],
          ['resolved', 1],
        ]);
        expect(await count('change_followups')).toBe(0);
      });

      it('a process showing a change holds it while Slack is slow: no other process takes it until it lets go', async () => {
        const { incident } = await declared();
        // A lease of 3 s, renewed each second, held for 2.5 leases: a renewal may come up to 2 s late (a loaded machine's
        // timers and queries) before another process could take it; with 600 ms, 400 ms late was enough.
        const f = new ChangeFollowups(ctx.db, logger.log, async () => {}, 3000);
        const id = await ctx.db.transaction((tx) =>
          f.keep(tx, { incident, notice: { kind: 'renamed', actorId: 'U', from: 'x' }, pages: false, resolved: false }),
        );
        const release = f.hold(id);
        await new Promise((r) => setTimeout(r, 7500));
        expect(await claimStaleFollowups(ctx.db, 'another', 5, 60_000)).toEqual([]);
        release();
        // Let go: its lease (3 s) runs out unrenewed, and another process takes it then (polled for, up to 10 s,
        // rather than a fixed time).
        let taken: unknown[] = [];
        for (const until = Date.now() + 10_000; taken.length === 0 && Date.now() < until; ) {
          await new Promise((r) => setTimeout(r, 50));
          taken = (await claimStaleFollowups(ctx.db, 'another', 5, 60_000)).map((r) => r.id);
        }
        expect(taken).toEqual([id]);
      });

      it('a late notice goes at most once: Slack refusing it (one of its two posts) is logged, not tried again', async () => {
        const { incident } = await declared();
        const resolved = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        await leftBehind(resolved, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        chat.fail.notify = new ChatPlatformError('not_in_channel', 'not in the incidents channel');
        chat.calls.length = 0;
        await service.followups.sweep();
        await ctx.db.query('UPDATE change_followups SET lease_until = now()');
        await service.followups.sweep();
        expect(chat.methods().filter((m) => m === 'notify')).toHaveLength(1);
        expect(await count('change_followups')).toBe(0);
        expect(logger.lines.some((l) => l.level === 'warn' && String(l.args[0]).includes('late resolved notice'))).toBe(
          true,
        );
      });

      it('where the chat tells where a late notice is, it is posted only where it is missing, saying it is late; a refusal is tried again by a later sweep', async () => {
        const { incident } = await declared();
        const resolved = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        await ctx.db.query('DELETE FROM change_followups');
        await leftBehind(resolved, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        const { rows } = await ctx.db.query<{ id: string; created_at: Date }>(
          'SELECT id, created_at FROM change_followups',
        );
        const [id, madeAt] = [Number(rows[0]!.id), rows[0]!.created_at];
        // The dead process posted it in the incident channel, not yet in the incidents channel.
        const asked: [number, Date][] = [];
        chat.findNotice = async (_i, _n, followup, since) => {
          asked.push([followup, since]);
          return new Set<NoticePlace>(['channel']);
        };
        chat.fail.notify = new ChatPlatformError('ratelimited', 'Slack is busy');
        chat.calls.length = 0;
        await service.followups.sweep();
        // Refused: kept for a later sweep (what follows a resolution is shown all the same).
        expect(await count('change_followups')).toBe(1);
        expect(logger.lines.some((l) => l.level === 'warn' && String(l.args[0]).includes('trying again later'))).toBe(
          true,
        );
        delete chat.fail.notify;
        await ctx.db.query('UPDATE change_followups SET lease_until = now()');
        await service.followups.sweep();
        expect(await count('change_followups')).toBe(0);
        expect(asked).toEqual([
          [id, madeAt],
          [id, madeAt],
        ]);
        const posts = chat.calls.filter((c) => c.method === 'notify').map((c) => c.post);
        expect(posts).toEqual([
          { followup: id, late: { madeAt }, posted: new Set(['channel']) },
          { followup: id, late: { madeAt }, posted: new Set(['channel']) },
        ]);
      });

      it('where the chat cannot tell where a late notice is (its lookup failed), it goes at most once, as before', async () => {
        const { incident } = await declared();
        const resolved = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        await ctx.db.query('DELETE FROM change_followups');
        await leftBehind(resolved, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        chat.findNotice = async () => null;
        chat.fail.notify = new ChatPlatformError('not_in_channel', 'not in the incidents channel');
        chat.calls.length = 0;
        await service.followups.sweep();
        await ctx.db.query('UPDATE change_followups SET lease_until = now()');
        await service.followups.sweep();
        expect(chat.calls.filter((c) => c.method === 'notify').map((c) => c.post?.posted)).toEqual([undefined]);
        expect(await count('change_followups')).toBe(0);
      });

      it('a live change names its follow-up in its notice, and says nothing of being late', async () => {
        const { incident } = await declared();
        chat.calls.length = 0;
        await service.rename(incident.id, 'URES', 'beta');
        const post = chat.calls.find((c) => c.method === 'notify')!.post;
        expect(post).toEqual({ followup: expect.any(Number) });
      });

      it('Slack refusing the card leaves the follow-up for a later sweep, and the fifth refusal gives it up, logged', async () => {
        const { incident } = await declared();
        const resolved = (await service.resolve(incident.id, 'URES', 'flushed the cache'))!.incident;
        await leftBehind(resolved, { kind: 'resolved', actorId: 'URES', summary: 'flushed the cache' });
        chat.fail.refreshCard = new ChatPlatformError('ratelimited', 'Slack is busy');
        for (let i = 1; i <= 5; i++) {
          await service.followups.sweep();
          expect(await count('change_followups')).toBe(i < 5 ? 1 : 0);
          await ctx.db.query('UPDATE change_followups SET lease_until = now()');
        }
        expect(
          logger.lines.filter((l) => l.level === 'warn' && String(l.args[0]).includes('trying again later')),
        ).toHaveLength(4);
        expect(logger.lines.some((l) => l.level === 'error' && String(l.args[0]).includes('gave up'))).toBe(true);
      });
    });

    describe('declare', () => {
      it('records the incident, opens its channel, posts the card, stores its ts and announces', async () => {
        const r = await declared({ title: 'DB down', severity: 0 });
        expect(r.warnings).toEqual([]);
        const i = r.incident;
        expect(i).toMatchObject({
          teamId: 'T0001',
          number: 1,
          title: 'DB down',
          severity: 0,
          status: 'investigating',
          phase: 'detection',
          reporterId: 'UREP',
          commanderId: null,
          channelName: 'inc-1-db-down',
        });
        expect(i.channelId).toMatch(/^CINC/);
        expect(i.cardTs).toMatch(/^1700000000\.\d{6}$/);
        // Once linked, the card is shown again from the row as it is then (the chat leaves out an update that would
        // not change it): a change made while it was posted is not lost.
        expect(chat.methods()).toEqual(['openChannel', 'postCard', 'refreshCard', 'pinCard', 'announce']);
        expect(chat.calls[0]!.incident).toMatchObject({ id: i.id, number: 1, channelId: null });
        expect(chat.calls[1]!.incident).toMatchObject({ id: i.id, channelId: i.channelId, cardTs: null });
        for (const n of [2, 3, 4]) expect(chat.calls[n]!.incident).toEqual(i);
        expect(await service.get(i.id)).toEqual(i);
        expect(await service.findByChannel(i.channelId!)).toEqual(i);
        const events = await service.timeline(i.id);
        expect(events.map((e) => [e.kind, e.actorId, e.details])).toEqual([
          ['declared', 'UREP', { title: 'DB down', severity: 0 }],
          ['channel_created', null, { channelId: i.channelId, channelName: 'inc-1-db-down' }],
        ]);
      });

      it('numbers incidents per workspace', async () => {
        expect((await declared({ title: 'a' })).incident.number).toBe(1);
        expect((await declared({ title: 'b' })).incident.number).toBe(2);
        expect((await declared({ title: 'c', teamId: 'T0002' })).incident.number).toBe(1);
      });

      it('treats the same request key twice as a retry: no second incident, nothing posted', async () => {
        const requestKey = randomUUID();
        await declared({ requestKey });
        chat.calls.length = 0;
        expect(await service.declare(input({ requestKey, title: 'something else' }))).toEqual({ kind: 'retry' });
        expect(chat.calls).toEqual([]);
        expect(await count('incidents')).toBe(1);
      });

      it('gives the existing incident when the same person declares the same title again (any case)', async () => {
        const first = await declared({ title: 'db down' });
        chat.calls.length = 0;
        const again = await service.declare(input({ title: 'DB Down' }));
        expect(again.kind).toBe('existing');
        if (again.kind === 'existing') expect(again.incident).toEqual(first.incident);
        expect(chat.calls).toEqual([]);
        expect(await count('incidents')).toBe(1);
      });

      it('opens a new incident for another reporter or another title', async () => {
        await declared({ title: 'db down' });
        expect((await declared({ title: 'db down', reporterId: 'UOTHER' })).incident.number).toBe(2);
        expect((await declared({ title: 'db still down' })).incident.number).toBe(3);
      });

      it('leaves no incident behind when the channel cannot be opened, and passes the error on', async () => {
        const boom = new DomainError('chat_platform_error', 'Slack said no');
        chat.fail.openChannel = boom;
        await expect(service.declare(input())).rejects.toBe(boom);
        expect(await count('incidents')).toBe(0);
        expect(await count('incident_events')).toBe(0);
        expect(chat.methods()).toEqual(['openChannel']);
        // The person can try again at once.
        delete chat.fail.openChannel;
        const r = await declared();
        expect(r.incident.channelId).toBeTruthy();
        expect(await count('incidents')).toBe(1);
      });

      it('abandons the channel and removes the incident when the channel cannot be recorded', async () => {
        const taken = (await declared({ title: 'first' })).incident.channelId!;
        chat.calls.length = 0;
        chat.channelIds.push(taken); // the unique index on channel_id refuses it
        await expect(service.declare(input({ title: 'second' }))).rejects.toThrow();
        expect(chat.calls.map((c) => [c.method, c.channelId])).toEqual([
          ['openChannel', undefined],
          ['abandonChannel', taken],
        ]);
        expect(await count('incidents')).toBe(1);
      });

      it('still declares, with warnings, when the card or the announcement cannot be posted', async () => {
        chat.fail.postCard = new Error('not_in_channel');
        chat.fail.announce = new Error('channel_not_found');
        const r = await declared();
        expect(r.incident.cardTs).toBeNull();
        expect(r.incident.channelId).toBeTruthy();
        expect(r.warnings).toEqual([
          'the incident card could not be posted (not_in_channel)',
          'the announcement could not be posted (channel_not_found)',
        ]);
        expect(logger.lines.map((l) => l.level)).toEqual(['error', 'warn']);
      });

      it('a change made while the card was posted (an acknowledgement from the page) is on the card once it is linked', async () => {
        const postCard = chat.postCard.bind(chat);
        chat.postCard = async (incident: Incident) => {
          // Someone acknowledges from the page's DM while the card is on its way (another replica, say).
          await ctx.db.query("UPDATE incidents SET acknowledged_at = now(), commander_id = 'UONCALL' WHERE id = $1", [
            incident.id,
          ]);
          return postCard(incident);
        };
        const r = await declared({ title: 'acked while posted' });
        const refreshed = chat.calls.filter((c) => c.method === 'refreshCard');
        expect(refreshed.at(-1)!.incident).toMatchObject({ id: r.incident.id, commanderId: 'UONCALL' });
      });

      it('keeps the card ts, with a warning, when the card cannot be pinned', async () => {
        chat.fail.pinCard = new Error('missing_scope');
        const r = await declared();
        expect(r.incident.cardTs).toMatch(/^1700000000\./);
        expect((await service.get(r.incident.id)).cardTs).toBe(r.incident.cardTs);
        expect(r.warnings).toEqual(['the card could not be pinned (missing_scope)']);
        expect(chat.methods()).toEqual(['openChannel', 'postCard', 'refreshCard', 'pinCard', 'announce']);
      });

      it('a declaration whose holder is gone is removed by the sweep: unlisted, number given back, declarer told', async () => {
        await declared({ title: 'first' });
        // A declaration that stopped after its row and channel were written: its process died or lost the database.
        const half = await ctx.db.transaction(async (tx) => {
          const number = await nextIncidentNumber(tx, 'T0001');
          const i = await insertDeclaring(
            tx,
            { teamId: 'T0001', number, title: 'half made', severity: 1, reporterId: 'UREP' },
            {},
            'a-process-that-died',
            0,
          );
          await recordDeclaringChannel(tx, i.id, { channelId: 'CHALF', channelName: 'inc-2-half-made' });
          return i;
        });
        expect(half.number).toBe(2);
        expect((await service.listOpen('T0001')).incidents.map((i) => i.title)).toEqual(['first']);
        expect(await service.findByChannel('CHALF')).toBeNull();
        chat.calls.length = 0;
        await service.declarations.sweep();
        expect(chat.calls.map((c) => [c.method, c.channelId ?? c.incident?.title])).toEqual([
          ['abandonChannel', 'CHALF'],
          ['tellDeclarer', 'half made'],
        ]);
        expect(await count('incidents')).toBe(1);
        expect(await count('declarations')).toBe(0);
        expect((await declared({ title: 'next' })).incident.number).toBe(2);
        chat.calls.length = 0;
        await service.declarations.sweep();
        expect(chat.calls).toEqual([]);
      });

      it('a declarer Slack cannot reach does not hold an abandoned declaration up; a passing Slack failure does', async () => {
        const halfMade = (title: string) =>
          ctx.db.transaction(async (tx) => {
            const number = await nextIncidentNumber(tx, 'T0001');
            await insertDeclaring(
              tx,
              { teamId: 'T0001', number, title, severity: 1, reporterId: 'UREP' },
              {},
              'a-process-that-died',
              0,
            );
          });
        await halfMade('slack flaky');
        chat.fail.tellDeclarer = new ChatPlatformError(
          'http_error',
          "Couldn't tell the declarer: Slack answered HTTP 503.",
        );
        await service.declarations.sweep();
        expect([await count('incidents'), await count('declarations')]).toEqual([1, 1]); // tried again later
        await ctx.db.query('DELETE FROM incidents');
        await halfMade('gone person');
        chat.fail.tellDeclarer = new ChatPlatformError('channel_not_found', "Couldn't tell the declarer.");
        await service.declarations.sweep();
        expect([await count('incidents'), await count('declarations')]).toEqual([0, 0]);
        expect(logger.lines.some((l) => String(l.args[0]).startsWith('could not tell UREP'))).toBe(true);
      });

      it('a whole declaration whose holder died before its card is finished by the sweep, each step once', async () => {
        const whole = await ctx.db.transaction(async (tx) => {
          const number = await nextIncidentNumber(tx, 'T0001');
          const i = await insertDeclaring(
            tx,
            { teamId: 'T0001', number, title: 'killed', severity: 1, reporterId: 'UREP' },
            {},
            'a-process-that-died',
            0,
          );
          return (await markDeclaredHeld(tx, i.id, 'a-process-that-died', {
            channelId: 'CWHOLE',
            channelName: 'inc-1-killed',
          }))!;
        });
        await ctx.db.query("UPDATE declarations SET done = '{announce}'"); // it had announced before it died
        const reports: DeclarationReport[] = [];
        chat.tellDeclarer = async (r: DeclarationReport) => {
          reports.push(r);
        };
        await service.declarations.sweep();
        expect(chat.methods()).toEqual(['postCard', 'refreshCard', 'pinCard']);
        const finished = await service.get(whole.id);
        expect(finished.cardTs).toMatch(/^1700000000\./);
        expect(reports).toEqual([{ kind: 'finished', incident: finished, problems: [] }]);
        expect(await count('declarations')).toBe(0);
      });

      it('a declaration taken over during its last step records that step, so whoever took it does not do it again', async () => {
        const announce = chat.announce.bind(chat);
        chat.announce = async (incident: Incident) => {
          // Its lease ran out meanwhile and another process's sweep took it.
          await ctx.db.query("UPDATE declarations SET owner = 'another-process'");
          return announce(incident);
        };
        const r = await declared({ title: 'slow announce' });
        expect(r.incident.title).toBe('slow announce');
        const { rows } = await ctx.db.query('SELECT owner, done FROM declarations');
        expect(rows).toEqual([{ owner: 'another-process', done: ['pin', 'announce'] }]);
      });

      it('a declaration whose holder is alive is left alone by the sweep', async () => {
        let release!: () => void;
        const held = new Promise<void>((r) => {
          release = r;
        });
        const open = chat.openChannel;
        chat.openChannel = async (incident: Incident) => {
          await held;
          return open(incident);
        };
        const declaring = service.declare(input({ title: 'slow slack' }));
        while ((await count('declarations')) === 0) await new Promise((r) => setTimeout(r, 10));
        await service.declarations.sweep();
        expect(await count('incidents')).toBe(1);
        release();
        const r = await declaring;
        expect(r.kind).toBe('declared');
        expect(await count('declarations')).toBe(0);
        expect((await service.listOpen('T0001')).incidents.map((i) => i.title)).toEqual(['slow slack']);
      });

      if (ctx.kind === 'postgres') {
        it('makes one incident of two identical declarations sent at once', async () => {
          const other = new IncidentService(ctx.test.connectAgain(), chat.port, logger.log);
          const results = await Promise.all([service.declare(input()), other.declare(input())]);
          expect(results.map((r) => r.kind).sort()).toEqual(['declared', 'existing']);
          expect(await count('incidents')).toBe(1);
          expect(chat.methods().filter((m) => m === 'openChannel')).toHaveLength(1);
        });
      }
    });

    describe('changes', () => {
      let incident: Incident;
      beforeEach(async () => {
        incident = (await declared()).incident;
        chat.calls.length = 0;
      });

      it('acknowledge makes the person commander, stamps the time and moves to assessment', async () => {
        const r = await service.acknowledge(incident.id, 'UCMD');
        expect(r?.warnings).toEqual([]);
        const i = r!.incident;
        expect(i).toMatchObject({ commanderId: 'UCMD', acknowledgedBy: 'UCMD', phase: 'assessment' });
        expect(i.acknowledgedAt).toBeInstanceOf(Date);
        expect(i.acknowledgedAt!.getTime()).toBeGreaterThanOrEqual(incident.createdAt.getTime() - 1000);
        const ack = (await service.timeline(incident.id)).find((e) => e.kind === 'acknowledged')!;
        expect(ack.actorId).toBe('UCMD');
        expect(ack.details).toMatchObject({ commander: 'UCMD', previousCommander: null });
        expect(typeof ack.details.secondsToAcknowledge).toBe('number');
        expect(ack.details.secondsToAcknowledge).toBeGreaterThanOrEqual(0);
        expect(ack.details.secondsToAcknowledge).toBeLessThan(60);
        expect(chat.methods()).toEqual(['refreshCard', 'notify']);
        expect(chat.calls[0]!.incident).toEqual(i);
        expect(chat.notices()).toEqual([{ kind: 'acknowledged', actorId: 'UCMD', previousCommanderId: null }]);
        expect(await service.get(incident.id)).toEqual(i);
      });

      it('a second acknowledge by the commander is AlreadyDoneError and changes nothing', async () => {
        const first = (await service.acknowledge(incident.id, 'UCMD'))!.incident;
        chat.calls.length = 0;
        await expect(service.acknowledge(incident.id, 'UCMD')).rejects.toBeInstanceOf(AlreadyDoneError);
        await expect(service.acknowledge(incident.id, 'UCMD')).rejects.toMatchObject({ code: 'already_done' });
        expect(await service.get(incident.id)).toEqual(first);
        expect(chat.calls).toEqual([]);
        expect((await kinds(incident.id)).filter((k) => k === 'acknowledged')).toHaveLength(1);
      });

      it('acknowledge by someone else changes nothing and names the commander', async () => {
        const first = (await service.acknowledge(incident.id, 'UCMD'))!.incident;
        chat.calls.length = 0;
        const second = await service.acknowledge(incident.id, 'UNEW');
        expect(second).toMatchObject({ kind: 'commanded', commanderId: 'UCMD', incidentId: incident.id });
        expect(await service.get(incident.id)).toEqual(first);
        expect(chat.calls).toEqual([]);
        expect((await kinds(incident.id)).filter((k) => k === 'acknowledged')).toHaveLength(1);
      });

      it('a status update for an incident resolved while it was written is refused, and gives back what was written', async () => {
        const seen = seenOf(incident, new Date());
        await service.resolve(incident.id, 'UCMD', 'fixed');
        const err = await service
          .postStatusUpdate(
            incident.id,
            'UWRITER',
            update({ currentStatus: 'Failing over <!channel>' }),
            'k-late',
            seen,
          )
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect((err as Error).message).toMatch(/^This incident was resolved while you wrote your update/);
        expect((err as Error).message).toMatch(/What you wrote, so that it is not lost/);
        expect((err as DomainError).phrase).toContainEqual({ typed: 'Failing over <!channel>', max: 700 });
        expect((err as DomainError).phrase).toContainEqual({ typed: 'EU checkout', max: 700 });
        expect((await kinds(incident.id)).filter((k) => k === 'status_update')).toHaveLength(0);
      });

      it('a status update saying Resolved for an incident resolved already is refused (not posted as an update), naming who resolved it and when, and gives back what was written', async () => {
        const seen = seenOf(incident, new Date());
        await service.resolve(incident.id, 'UCMD', 'fixed');
        const before = await kinds(incident.id);
        const err = await service
          .postStatusUpdate(
            incident.id,
            'UWRITER',
            update({ status: 'resolved', currentStatus: 'all green again' }),
            'k-resolved-twice',
            seen,
          )
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('already_resolved');
        expect((err as Error).message).toMatch(
          new RegExp(
            `^Incident #${incident.number} is already resolved by UCMD at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: fixed\\.`,
          ),
        );
        expect((err as Error).message).toMatch(/Your update was not posted.*\/incident reopen/);
        expect((err as DomainError).phrase).toContainEqual({ people: ['UCMD'] });
        expect((err as DomainError).phrase).toContainEqual({ typed: 'all green again', max: 700 });
        expect(await kinds(incident.id)).toEqual(before);
        expect((await service.get(incident.id)).currentStatus).not.toBe('all green again');
      });

      it("a form that does not fit the incident (another incident's, forged) is refused: fields left as it showed them would post empty", async () => {
        // What the form showed: another incident's fields, filled; this one has had no update.
        const seen = seenOf(
          { ...incident, affected: 'EU checkout', currentImpact: '30% of requests fail' },
          new Date(),
        );
        const err = await service
          .postStatusUpdate(incident.id, 'UWRITER', update({ currentStatus: 'failing over' }), 'k-forged', seen)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('form_out_of_date');
        expect((err as Error).message).toMatch(/does not fit the incident as it is now.*nothing was posted/);
        expect((await kinds(incident.id)).filter((k) => k === 'status_update')).toHaveLength(0);
        // Every field filled, but the form was opened for another incident's channel: refused too.
        const other = await service
          .postStatusUpdate(incident.id, 'UWRITER', update(), 'k-other', undefined, 'C0ANOTHERINCIDENT')
          .catch((e: unknown) => e);
        expect((other as DomainError).code).toBe('form_out_of_date');
        // A required field of only invisible characters (a zero-width space) shows nothing: as good as empty.
        const blank = await service
          .postStatusUpdate(incident.id, 'UWRITER', update({ affected: '\u200b\u2060 ' }), 'k-blank')
          .catch((e: unknown) => e);
        expect((blank as DomainError).code).toBe('form_out_of_date');
        expect((await kinds(incident.id)).filter((k) => k === 'status_update')).toHaveLength(0);
      });

      it('take command hands over command on purpose but keeps the first acknowledgement', async () => {
        const first = (await service.acknowledge(incident.id, 'UCMD'))!.incident;
        const second = (await service.takeCommand(incident.id, 'UNEW', 'UCMD'))!.incident;
        expect(second).toMatchObject({
          commanderId: 'UNEW',
          acknowledgedBy: 'UCMD',
          acknowledgedAt: first.acknowledgedAt,
        });
        const taken = (await service.timeline(incident.id)).filter((e) => e.kind === 'command_taken');
        expect(taken.map((e) => [e.actorId, e.details])).toEqual([['UNEW', { from: 'UCMD', to: 'UNEW' }]]);
        expect(chat.notices().at(-1)).toEqual({ kind: 'command_taken', actorId: 'UNEW', previousCommanderId: 'UCMD' });
        // Shown an older commander: nothing changes, and the one now is named.
        const stale = await service.takeCommand(incident.id, 'UTHIRD', 'UCMD');
        expect(stale).toMatchObject({ kind: 'commanded', commanderId: 'UNEW' });
        expect((await service.get(incident.id)).commanderId).toBe('UNEW');
      });

      it('changeSeverity records from and to; the same severity is AlreadyDoneError', async () => {
        const i = (await service.changeSeverity(incident.id, 'UCMD', 0))!.incident;
        expect(i.severity).toBe(0);
        const e = (await service.timeline(incident.id)).find((x) => x.kind === 'severity_changed')!;
        expect(e).toMatchObject({ actorId: 'UCMD', details: { from: 1, to: 0 } });
        expect(chat.notices()).toEqual([{ kind: 'severity_changed', from: 1, to: 0, actorId: 'UCMD' }]);
        await expect(service.changeSeverity(incident.id, 'UCMD', 0)).rejects.toThrow(AlreadyDoneError);
        await expect(service.changeSeverity(incident.id, 'UCMD', 0)).rejects.toThrow('already SEV-0');
      });

      it('a request key makes a repeated change a no-op', async () => {
        expect(await service.changeSeverity(incident.id, 'UCMD', 2, 'act:1')).not.toBeNull();
        expect(await service.changeSeverity(incident.id, 'UCMD', 3, 'act:1')).toBeNull();
        expect((await service.get(incident.id)).severity).toBe(2);
        expect((await kinds(incident.id)).filter((k) => k === 'severity_changed')).toHaveLength(1);
      });

      it('two changes at once in two replicas: when the older card update reaches Slack last, the card is shown again as it is now', async () => {
        // The severity change's card update is slow; the acknowledgement (another replica's) commits after it and its
        // update lands first.
        const shown: Incident[] = [];
        let first = true;
        chat.port.refreshCard = async (i: Incident) => {
          if (first) {
            first = false;
            await new Promise((r) => setTimeout(r, 300));
          }
          shown.push(i);
        };
        const replica = new IncidentService(ctx.db, chat.port, logger.log);
        const sev = service.changeSeverity(incident.id, 'UCMD', 2, 'act:race-sev');
        await new Promise((r) => setTimeout(r, 50));
        await replica.acknowledge(incident.id, 'UCMD', 'act:race-ack');
        await sev;
        const last = shown.at(-1)!;
        expect(last).toMatchObject({ severity: 2, commanderId: 'UCMD' });
        expect(last).toEqual(await service.get(incident.id));
      });

      it('the card shown again after another replica changed it meanwhile is sent even if the last update was the same', async () => {
        // A chat that leaves out an update identical to the last one sent (as SlackChat does), unless told the card
        // may differ: with two replicas' updates crossing, the last one answered may not be the last one Slack applied.
        const sent: string[] = [];
        const said: string[] = [];
        let last: string | null = null;
        let slow = true;
        const render = (i: Incident) => `SEV-${i.severity} ${i.commanderId ?? '-'}`;
        // The severity change's update under way, and the other replica's acknowledgement done: each awaited, not a
        // fixed 50 ms and 300 ms, which a loaded machine can overrun (the acknowledgement then committing first, or its
        // update coming after the held one, and the order below different).
        let underWay = () => {};
        const started = new Promise<void>((r) => {
          underWay = r;
        });
        let acknowledged = () => {};
        const ackDone = new Promise<void>((r) => {
          acknowledged = r;
        });
        chat.port.refreshCard = async (i: Incident) => {
          if (slow) {
            // This replica's update is applied after the other replica's, but the other replica's answer is written
            // down after this one's: what was last sent says what Slack no longer shows.
            slow = false;
            underWay();
            await Promise.race([ackDone, new Promise((r) => setTimeout(r, 10_000).unref())]);
            sent.push(render(i));
            last = 'SEV-2 UCMD';
            return;
          }
          if (render(i) === last) return;
          last = render(i);
          sent.push(last);
        };
        chat.port.cardMayDiffer = async (i: Incident) => {
          said.push(render(i));
          last = null;
        };
        const replica = new IncidentService(ctx.db, chat.port, logger.log);
        const sev = service.changeSeverity(incident.id, 'UCMD', 2, 'act:cross-sev');
        await started;
        await replica.acknowledge(incident.id, 'UCMD', 'act:cross-ack');
        acknowledged();
        await sev;
        // Slack applied: the other replica's card, then this one's older one, then this one's again as it is now.
        expect(sent).toEqual(['SEV-2 UCMD', 'SEV-2 -', 'SEV-2 UCMD']);
        expect(said).toEqual(['SEV-2 UCMD']);
        delete chat.port.cardMayDiffer;
      });

      it('a burst of changes to one incident updates its card a few times, not once each, and ends as it is now', async () => {
        // The first card update is under way (Slack slow to answer it) until the eight other changes have committed:
        // all of them come while it is shown. (Held for a fixed 300 ms, a loaded machine spread the nine transactions
        // over more than that, and more card updates, in CI.) The updates after it take 50 ms each.
        const shown: Incident[] = [];
        const allCommitted = async () => {
          for (const until = Date.now() + 20_000; Date.now() < until; ) {
            const now = await service.get(incident.id);
            const updates = (await kinds(incident.id)).filter((k) => k === 'status_update').length;
            if (now.severity === 2 && now.commanderId === 'UCMD' && updates === 7) return;
            await new Promise((r) => setTimeout(r, 20));
          }
          throw new Error('the changes after the first did not all commit within 20 s');
        };
        let slow = true;
        chat.port.refreshCard = async (i: Incident) => {
          if (slow) {
            slow = false;
            await allCommitted();
          }
          await new Promise((r) => setTimeout(r, 50));
          shown.push(i);
        };
        const first = service.changeSeverity(incident.id, 'UCMD', 2, 'act:burst-0');
        await new Promise((r) => setTimeout(r, 30));
        const updates = Array.from({ length: 7 }, (_, n) =>
          service.postStatusUpdate(incident.id, 'UCMD', update({ currentStatus: `step ${n}` }), `act:upd-${n}`),
        );
        const results = await Promise.all([first, ...updates, service.acknowledge(incident.id, 'UCMD', 'act:ack')]);
        expect(results.every((r) => r !== null)).toBe(true);
        expect((await kinds(incident.id)).filter((k) => k === 'status_update')).toHaveLength(7);
        // The first change's update, then one for all the changes that came meanwhile.
        expect(shown.length).toBeLessThanOrEqual(3);
        const now = await service.get(incident.id);
        expect(shown.at(-1)).toEqual(now);
        expect(now).toMatchObject({ severity: 2, commanderId: 'UCMD' });
        // Every change's own notice is still posted.
        expect(chat.notices().filter((n) => n.kind === 'status_update')).toHaveLength(7);
        // Nothing changed since: a refresh asked now shows the card once more, as it is.
        await service.refreshCard(incident.id);
        expect(shown.at(-1)).toEqual(await service.get(incident.id));
      });

      it('a refresh asked while a card update is under way (its alerts changed, not its row) shows the card again after it', async () => {
        // What the card shows beside the row (its alerts) is read as each update starts; the severity change's update
        // is slow, and an alert joins the incident while it is under way, leaving the incident's row as it was.
        let alertsNow = 1;
        const shown: number[] = [];
        let updating = () => {};
        const underWay = new Promise<void>((r) => {
          updating = r;
        });
        chat.port.refreshCard = async () => {
          const alerts = alertsNow;
          updating();
          await new Promise((r) => setTimeout(r, 300));
          shown.push(alerts);
        };
        const sev = service.changeSeverity(incident.id, 'UCMD', 2, 'act:outside-sev');
        // Once its update is under way (a fixed 50 ms was not always enough on a loaded machine for it to start).
        await underWay;
        alertsNow = 2;
        await Promise.all([sev, service.refreshCard(incident.id)]);
        expect(shown).toEqual([1, 2]);
        // A refresh asked when none is under way shows the card once.
        await service.refreshCard(incident.id);
        expect(shown).toEqual([1, 2, 2]);
      });

      it('a failed card update is told to every change that waited for it', async () => {
        chat.port.refreshCard = async () => {
          await new Promise((r) => setTimeout(r, 80));
          throw new ChatPlatformError('message_not_found', 'the card message is gone');
        };
        const first = service.changeSeverity(incident.id, 'UCMD', 2, 'act:fail-0');
        await new Promise((r) => setTimeout(r, 20));
        const rest = [3, 0].map((to, n) =>
          service.changeSeverity(incident.id, 'UCMD', to as 3 | 0, `act:fail-${n + 1}`),
        );
        for (const r of await Promise.all([first, ...rest]))
          expect(r!.warnings.join(' ')).toMatch(/the card could not be updated/);
      });

      it('a refused change does not use up its request key', async () => {
        await expect(service.changeSeverity(incident.id, 'UCMD', 1, 'act:2')).rejects.toThrow(AlreadyDoneError);
        expect(await service.changeSeverity(incident.id, 'UCMD', 0, 'act:2')).not.toBeNull();
      });

      it('a status update stores the fields and flags and moves the phase', async () => {
        const u = update({ mitigationSteps: 'Failing over to the replica', dataLossRisk: true });
        const i = (await service.postStatusUpdate(incident.id, 'UCMD', u))!.incident;
        expect(i).toMatchObject({
          status: 'investigating',
          phase: 'mitigation',
          affected: 'EU checkout',
          currentImpact: '30% of requests fail',
          currentStatus: 'Primary refuses connections',
          mitigationSteps: 'Failing over to the replica',
          customerImpact: true,
          dataLossRisk: true,
          mitigatedAt: null,
        });
        expect(i.nextUpdateAt).toEqual(u.nextUpdateAt);
        expect(i.lastUpdateAt).toBeInstanceOf(Date);
        const events = await service.timeline(incident.id);
        const su = events.find((e) => e.kind === 'status_update')!;
        expect(su.details).toMatchObject({ status: 'investigating', currentStatus: 'Primary refuses connections' });
        expect(su.details.nextUpdateAt).toBe(u.nextUpdateAt!.toISOString());
        expect(events.at(-1)).toMatchObject({
          kind: 'phase_changed',
          details: { from: 'detection', to: 'mitigation' },
        });
        expect(chat.notices()).toEqual([{ kind: 'status_update', update: u, authorId: 'UCMD' }]);
      });

      it('a status update saying mitigated marks the incident mitigated and moves to resolution', async () => {
        const i = (await service.postStatusUpdate(incident.id, 'UCMD', update({ status: 'mitigated' })))!.incident;
        expect(i.status).toBe('mitigated');
        expect(i.phase).toBe('resolution');
        expect(i.mitigatedAt).toBeInstanceOf(Date);
        expect(await kinds(incident.id)).toEqual(['declared', 'channel_created', 'status_update', 'phase_changed']);
      });

      it('a status update on a resolved incident is refused unless it says resolved', async () => {
        await service.resolve(incident.id, 'UCMD', 'fixed');
        await expect(service.postStatusUpdate(incident.id, 'UCMD', update())).rejects.toMatchObject({
          code: 'incident_resolved',
        });
      });

      it('markMitigated sets status, time and phase; twice is AlreadyDoneError', async () => {
        const i = (await service.markMitigated(incident.id, 'UCMD'))!.incident;
        expect(i).toMatchObject({ status: 'mitigated', phase: 'resolution' });
        expect(i.mitigatedAt).toBeInstanceOf(Date);
        expect(chat.notices()).toEqual([{ kind: 'mitigated', actorId: 'UCMD' }]);
        await expect(service.markMitigated(incident.id, 'UCMD')).rejects.toThrow(AlreadyDoneError);
        expect((await service.listOpen('T0001')).incidents.map((x) => x.id)).toEqual([incident.id]);
      });

      it("a resolve form opened for another incident's channel resolves nothing, and says how to open one that fits", async () => {
        const err = (await service
          .resolve(incident.id, 'UCMD', 'fixed', 'k-other-form', 'C0ANOTHERINCIDENT')
          .catch((e: unknown) => e)) as DomainError;
        expect(err.code).toBe('form_out_of_date');
        expect(err.message).toMatch(/nothing was changed.*`\/incident resolve` in the incident channel/);
        expect((await service.get(incident.id)).status).not.toBe('resolved');
        expect(chat.notices()).toEqual([]);
        // Its request key was not spent: the same form, fitting, resolves.
        const fits = await service.resolve(incident.id, 'UCMD', 'fixed', 'k-other-form', incident.channelId!);
        expect(fits!.incident.status).toBe('resolved');
      });

      it('resolve sets the time, summary and post-mortem phase; twice is AlreadyDoneError', async () => {
        const i = (await service.resolve(incident.id, 'UCMD', 'Restarted the primary'))!.incident;
        expect(i).toMatchObject({
          status: 'resolved',
          phase: 'postmortem',
          resolvedBy: 'UCMD',
          resolutionSummary: 'Restarted the primary',
        });
        expect(i.resolvedAt).toBeInstanceOf(Date);
        expect(i.mitigatedAt).toEqual(i.resolvedAt);
        const resolved = (await service.timeline(incident.id)).find((e) => e.kind === 'resolved')!;
        expect(resolved.details).toMatchObject({ summary: 'Restarted the primary' });
        expect(resolved.details.secondsToResolve).toBeGreaterThanOrEqual(0);
        expect(chat.notices()).toEqual([{ kind: 'resolved', actorId: 'UCMD', summary: 'Restarted the primary' }]);
        await expect(service.resolve(incident.id, 'UCMD', 'again')).rejects.toThrow(
          /^You resolved this incident already: Restarted the primary\.$/,
        );
        expect((await service.get(incident.id)).resolutionSummary).toBe('Restarted the primary');
        // Another person resolving at the same moment: told who resolved it, with what, and given back their summary.
        const late = (await service.resolve(incident.id, 'ULATE', 'failed over to the replica').catch((e) => e)) as
          | AlreadyDoneError
          | undefined;
        expect(late).toBeInstanceOf(AlreadyDoneError);
        expect(late!.phrase).toContainEqual({ people: ['UCMD'] });
        expect(late!.phrase).toContainEqual({ typed: 'Restarted the primary', max: 300 });
        expect(late!.phrase).toContainEqual({ typed: 'failed over to the replica', max: 300 });
        expect(late!.message).toMatch(
          /^This incident is already resolved by UCMD: Restarted the primary\. Your summary was not recorded/,
        );
        expect(await service.listOpen('T0001')).toEqual({ incidents: [], total: 0 });
      });

      it('a resolved incident refuses acknowledge, severity changes and mitigation', async () => {
        await service.resolve(incident.id, 'UCMD', 'fixed');
        await expect(service.acknowledge(incident.id, 'UCMD')).rejects.toThrow(AlreadyDoneError);
        await expect(service.changeSeverity(incident.id, 'UCMD', 0)).rejects.toThrow(AlreadyDoneError);
        await expect(service.markMitigated(incident.id, 'UCMD')).rejects.toThrow(AlreadyDoneError);
      });

      it('records every change in the timeline, in order', async () => {
        await service.acknowledge(incident.id, 'UCMD');
        await service.changeSeverity(incident.id, 'UCMD', 0);
        await service.postStatusUpdate(incident.id, 'UCMD', update({ mitigationSteps: 'failover' }));
        await service.markMitigated(incident.id, 'UCMD');
        await service.resolve(incident.id, 'UCMD', 'fixed');
        const events = await service.timeline(incident.id);
        expect(events.filter((e) => e.kind !== 'phase_changed').map((e) => e.kind)).toEqual([
          'declared',
          'channel_created',
          'acknowledged',
          'severity_changed',
          'status_update',
          'mitigated',
          'resolved',
        ]);
        // Each phase change follows the one before it and the last one ends in the post-mortem.
        const phases = events.filter((e) => e.kind === 'phase_changed').map((e) => [e.details.from, e.details.to]);
        expect(phases.length).toBeGreaterThanOrEqual(3);
        for (let k = 1; k < phases.length; k++) expect(phases[k]![0]).toBe(phases[k - 1]![1]);
        expect(phases.at(-1)).toEqual(['resolution', 'postmortem']);
        expect(phases).toContainEqual(['mitigation', 'resolution']);
        for (let k = 1; k < events.length; k++) {
          expect(events[k]!.at.getTime()).toBeGreaterThanOrEqual(events[k - 1]!.at.getTime());
        }
      });

      it('keeps a change and reports warnings when the card or notice cannot be shown', async () => {
        chat.fail.refreshCard = new Error('message_not_found');
        chat.fail.notify = new Error('not_in_channel');
        const r = await service.markMitigated(incident.id, 'UCMD');
        expect(r!.warnings).toEqual([
          'the card could not be updated: message_not_found',
          'the notice could not be posted: not_in_channel',
        ]);
        expect((await service.get(incident.id)).status).toBe('mitigated');
      });

      it('a change to an unknown incident is IncidentNotFoundError', async () => {
        await expect(service.acknowledge(999_999, 'UCMD')).rejects.toBeInstanceOf(IncidentNotFoundError);
        await expect(service.get(999_999)).rejects.toBeInstanceOf(IncidentNotFoundError);
        expect(await service.findByChannel('CNOPE')).toBeNull();
      });
    });
  },
  { migrate: true },
);

describe('IncidentService with an unreachable database', () => {
  const db = createPostgresDatabase('postgresql://postgres@127.0.0.1:1/test');
  afterAll(() => db.close());

  it('declare throws DatabaseUnavailableError within 3 s and posts nothing', async () => {
    const chat = makeChat();
    const service = new IncidentService(db, chat.port, makeLogger().log);
    const started = Date.now();
    const err = await service
      .declare({ teamId: 'T1', reporterId: 'U1', title: 'db down', severity: 1, requestKey: 'k' })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as DatabaseUnavailableError).code).toBe('database_unavailable');
    expect((err as Error).message).toMatch(/^the bot's database cannot be reached/);
    // What the person reads: the typed store error becomes the outage words at the Slack edge.
    expect(errorText(err, makeLogger().log)).toMatch(
      /^:warning: This could not be recorded: the bot's database cannot be reached\. Follow the runbook by hand/,
    );
    expect(chat.calls).toEqual([]);
  });

  it('other operations report DatabaseUnavailableError too', async () => {
    const chat = makeChat();
    const service = new IncidentService(db, chat.port, makeLogger().log);
    await expect(service.acknowledge(1, 'U1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(service.listOpen('T1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(service.findByChannel('C1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(chat.calls).toEqual([]);
  });
});
