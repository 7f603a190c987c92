import { beforeEach, describe, expect, it } from 'vitest';
import type { ActionItem } from '../../src/incidents/action-items.js';
import { ActionItemService } from '../../src/incidents/action-items.service.js';
import type { FollowUpChat, FollowUpNotice } from '../../src/incidents/follow-up-ports.js';
import { UnreachableContactError } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import {
  claimDueReminders,
  closeActionItem,
  finishItemReminder,
  insertActionItems,
  upsertRunbookItem,
} from '../../src/store/action-item.repo.js';
import { insertEvent } from '../../src/store/event.repo.js';
import { openIncidentsFor, peopleOfIncident, peopleOfIncidents, resolvedSince } from '../../src/store/home.repo.js';
import { insertIncident, nextIncidentNumber, updateIncident } from '../../src/store/incident.repo.js';
import { insertPages, recordDeliveries } from '../../src/store/page.repo.js';
import {
  getPostmortemDocument,
  insertPostmortemVersion,
  nextPostmortemVersion,
} from '../../src/store/postmortem.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

const TEAM = 'T0001';
const ME = 'U0ME';

/** A recording fake of the domain's follow-up port; `unreachable` owners throw as Slack's answer would. */
function makeChat(unreachable: string[] = []) {
  const chat = {
    told: [] as { owner: string | null; why: string; text: string }[],
    posted: [] as FollowUpNotice[],
    refreshed: [] as string[],
    /** The direct messages updated once their item was closed: ts, and what the item said then. */
    closed: [] as { ts: string; why: string; state: string; closedBy: string | null }[],
  };
  const port: FollowUpChat = {
    async tellOwner(_i: Incident, item: ActionItem, why: 'assigned' | 'due') {
      if (item.ownerId && unreachable.includes(item.ownerId))
        throw new UnreachableContactError(item.ownerId, 'user_not_found');
      chat.told.push({ owner: item.ownerId, why, text: item.text });
      return item.ownerId
        ? { channelId: `D${item.ownerId}`, ts: `1700000000.${String(chat.told.length).padStart(6, '0')}` }
        : null;
    },
    async showItemClosed(_i: Incident, item: ActionItem, dm: { ts: string; why: string }) {
      chat.closed.push({ ts: dm.ts, why: dm.why, state: item.state, closedBy: item.closedBy });
    },
    async postFollowUp(_i: Incident, n: FollowUpNotice) {
      chat.posted.push(n);
    },
    postDocument: async () => null,
    findUser: async () => ({ kind: 'unknown' }),
    userNames: async () => new Map<string, string>(),
    contactNames: async () => new Map(),
    changed(_t: string, ids: readonly string[]) {
      chat.refreshed.push(...ids);
    },
  };
  return { chat, port };
}

forEachDatabase((ctx) => {
  beforeEach(async () => {
    await ctx.truncate();
    await emptyTables(ctx.db, ['action_items', 'postmortems', 'postmortem_versions'], { restartIdentity: true });
  });

  const declare = async (title: string, over: Partial<{ reporterId: string; severity: 0 | 1 | 2 | 3 }> = {}) => {
    const i = await ctx.db.transaction(async (tx) => {
      const number = await nextIncidentNumber(tx, TEAM);
      return insertIncident(tx, {
        teamId: TEAM,
        number,
        title,
        severity: over.severity ?? 2,
        reporterId: over.reporterId ?? 'U0OTHER',
      });
    });
    return updateIncident(ctx.db, i.id, { channelId: `C${i.id}`, channelName: `inc-${i.number}` });
  };
  const item = (text: string, ownerId: string | null = null, dueAt: Date | null = null) => ({ text, ownerId, dueAt });

  describe('action items', () => {
    it('the same text twice on one incident (any case) is one item; another incident may have it', async () => {
      const a = await declare('a');
      const b = await declare('b');
      const added = await insertActionItems(
        ctx.db,
        a,
        [item('Add monitoring'), item('add MONITORING'), item('Rotate key')],
        ME,
      );
      expect(added.map((i) => i.text)).toEqual(['Add monitoring', 'Rotate key']);
      expect(await insertActionItems(ctx.db, b, [item('Add monitoring')], ME)).toHaveLength(1);
    });

    it('one runbook item per incident: added, then its text follows the form while it is open', async () => {
      const a = await declare('a');
      const first = await upsertRunbookItem(ctx.db, a, 'Update the runbook: Escalation', ME);
      expect(first).toMatchObject({ added: true, item: { source: 'runbook', ownerId: ME } });
      const changed = await upsertRunbookItem(ctx.db, a, 'Update the runbook: Severity levels', ME);
      expect(changed).toMatchObject({
        added: false,
        item: { id: first!.item.id, text: 'Update the runbook: Severity levels' },
      });
      expect(await upsertRunbookItem(ctx.db, a, 'update the runbook: severity levels', ME)).toBeNull();
      await closeActionItem(ctx.db, first!.item.id, ME);
      expect(await upsertRunbookItem(ctx.db, a, 'Update the runbook: Communication', ME)).toBeNull();
    });

    it('a due reminder is claimed by one taker at a time, never once closed, and its event written once', async () => {
      const a = await declare('a');
      const [due, later, closed] = await insertActionItems(
        ctx.db,
        a,
        [
          item('due now', ME, new Date(Date.now() - 1000)),
          item('later', ME, new Date(Date.now() + 60_000)),
          item('closed', ME, new Date(Date.now() - 1000)),
        ],
        ME,
      );
      await closeActionItem(ctx.db, closed!.id, ME);
      const claimed = await claimDueReminders(ctx.db, 10, 60_000);
      expect(claimed.map((c) => c.item.id)).toEqual([due!.id]);
      expect(claimed[0]).toMatchObject({ attempts: 1, incident: { id: a.id, number: a.number, title: 'a' } });
      expect(await claimDueReminders(ctx.db, 10, 60_000)).toEqual([]); // leased
      await finishItemReminder(ctx.db, due!.id, { incidentId: a.id, details: { item: due!.id } });
      await finishItemReminder(ctx.db, due!.id, { incidentId: a.id, details: { item: due!.id } });
      const { rows } = await ctx.db.query(`SELECT 1 FROM incident_events WHERE kind = 'action_item_reminded'`);
      expect(rows).toHaveLength(1);
      expect(later!.dueAt!.getTime()).toBeGreaterThan(Date.now());
    });

    it('the service reminds the owner when due, the channel when there is none or the owner cannot be reached', async () => {
      const a = await declare('a');
      const { chat, port } = makeChat(['U0GONE']);
      const service = new ActionItemService(ctx.db, port, { info() {}, warn() {}, error() {} });
      const later = new Date(Date.now() + 3_600_000);
      await service.add(a.id, ME, [
        item('owned', 'U0OWNER', later),
        item('nobody', null, later),
        item('gone', 'U0GONE', later),
      ]);
      expect(chat.told).toEqual([{ owner: 'U0OWNER', why: 'assigned', text: 'owned' }]);
      await service.sweep();
      expect(chat.told.filter((t) => t.why === 'due')).toEqual([]); // not due yet
      // The hour passes (as the database's clock sees it).
      await ctx.db.query(`UPDATE action_items SET remind_at = now() - interval '1 second' WHERE incident_id = $1`, [
        a.id,
      ]);
      await service.sweep();
      await service.sweep();
      expect(chat.told.filter((t) => t.why === 'due')).toEqual([{ owner: 'U0OWNER', why: 'due', text: 'owned' }]);
      expect(chat.posted.map((n) => n.kind === 'item_due' && n.item.text).sort()).toEqual(['gone', 'nobody']);
      const { rows } = await ctx.db.query<{ details: { text: string; inChannel?: boolean } }>(
        `SELECT details FROM incident_events WHERE kind = 'action_item_reminded' ORDER BY id`,
      );
      expect(rows.map((r) => [r.details.text, r.details.inChannel ?? false])).toEqual(
        expect.arrayContaining([
          ['owned', false],
          ['nobody', true],
          ['gone', true],
        ]),
      );
      // Closed: both direct messages its owner got (assigned, then due) say so in place, with who closed it.
      const owned = (await service.listOpen(TEAM, 'U0OWNER')).items.find((i) => i.item.text === 'owned')!;
      expect(chat.closed).toEqual([]);
      await service.close(owned.item.id, 'U0OWNER');
      expect(chat.closed).toEqual([
        { ts: '1700000000.000001', why: 'assigned', state: 'done', closedBy: 'U0OWNER' },
        { ts: '1700000000.000002', why: 'due', state: 'done', closedBy: 'U0OWNER' },
      ]);
    });

    it('closing the last open item notes it on the timeline and in the channel; a second close says who closed it', async () => {
      const a = await declare('a');
      const { chat, port } = makeChat();
      const service = new ActionItemService(ctx.db, port);
      const r = await service.add(a.id, ME, [item('one'), item('two')]);
      const [one, two] = r!.added;
      expect((await service.close(one!.id, ME))!.last).toBe(false);
      expect(chat.posted).toEqual([]);
      expect((await service.close(two!.id, 'U0TWO'))!.last).toBe(true);
      expect(chat.posted).toEqual([{ kind: 'items_completed', actorId: 'U0TWO', count: 2 }]);
      expect(chat.refreshed).toContain('U0TWO');
      await expect(service.close(two!.id, ME)).rejects.toMatchObject({
        code: 'already_done',
        message: '"two" was already closed by U0TWO.',
      });
      const { rows } = await ctx.db.query<{ kind: string }>(
        `SELECT kind FROM incident_events WHERE incident_id = $1 AND kind LIKE 'action_item%' ORDER BY id`,
        [a.id],
      );
      expect(rows.map((e) => e.kind)).toEqual([
        'action_item_added',
        'action_item_added',
        'action_item_closed',
        'action_item_closed',
        'action_items_completed',
      ]);
      // A retried request (same key) adds nothing twice.
      const again = await service.add(a.id, ME, [item('three')], 'key-1');
      expect(again!.added).toHaveLength(1);
      expect(await service.add(a.id, ME, [item('four')], 'key-1')).toBeNull();
    });
  });

  describe('the Home tab read side', () => {
    it("lists a person's incidents first (declared, commanded, acted on, paged, owns an item), then by severity", async () => {
      const reported = await declare('reported', { reporterId: ME, severity: 3 });
      const other = await declare('other', { severity: 0 });
      const acted = await declare('acted', { severity: 3 });
      await insertEvent(ctx.db, acted.id, 'note', ME, { text: 'x' });
      const owned = await declare('owned', { severity: 3 });
      await insertActionItems(ctx.db, owned, [item('do it', ME)], 'U0OTHER');
      const resolved = await declare('resolved');
      await updateIncident(ctx.db, resolved.id, { status: 'resolved', resolvedAt: new Date() });
      const home = await openIncidentsFor(ctx.db, TEAM, ME, 10);
      expect(home.total).toBe(4);
      expect(home.incidents.map((i) => [i.incident.title, i.mine])).toEqual([
        [expect.stringMatching(/reported|acted|owned/), true],
        [expect.stringMatching(/reported|acted|owned/), true],
        [expect.stringMatching(/reported|acted|owned/), true],
        ['other', false],
      ]);
      expect((await openIncidentsFor(ctx.db, TEAM, ME, 2)).total).toBe(4);
      const recent = await resolvedSince(ctx.db, TEAM, new Date(Date.now() - 60_000), 5);
      expect(recent).toMatchObject({ total: 1, incidents: [{ title: 'resolved' }] });
      expect((await peopleOfIncident(ctx.db, owned.id)).sort()).toEqual([ME, 'U0OTHER']);
      expect(other.severity).toBe(0);
      expect(reported.reporterId).toBe(ME);
    });

    it('counts no one a page could not reach at all (an unknown user, a user group Slack would not expand) as part of the incident', async () => {
      const paged = await declare('paged', { severity: 1 });
      const { rows } = await ctx.db.query<{ id: number }>(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state)
         VALUES ($1, 'declared', 'declared', 'on_call', now(), 'done') RETURNING id`,
        [paged.id],
      );
      const [page] = await insertPages(ctx.db, [
        { incidentId: paged.id, jobId: Number(rows[0]!.id), role: 'on_call', rule: 'declared' },
      ]);
      await recordDeliveries(
        ctx.db,
        page!.id,
        ['U0REACHED', 'U0GONE', 'S0NOGROUP'],
        new Map(),
        new Map([
          ['U0GONE', 'user_not_found'],
          ['S0NOGROUP', 'no_such_subteam'],
        ]),
      );
      expect(await peopleOfIncident(ctx.db, paged.id)).toContain('U0REACHED');
      expect(await peopleOfIncident(ctx.db, paged.id)).not.toContain('U0GONE');
      expect((await peopleOfIncidents(ctx.db, [paged.id])).get(paged.id)).toContain('U0REACHED');
      expect((await peopleOfIncidents(ctx.db, [paged.id])).get(paged.id)).not.toContain('S0NOGROUP');
      // Their Home tabs do not list it as theirs.
      expect((await openIncidentsFor(ctx.db, TEAM, 'U0REACHED', 10)).incidents[0]?.mine).toBe(true);
      expect((await openIncidentsFor(ctx.db, TEAM, 'U0GONE', 10)).incidents[0]?.mine).toBe(false);
    });
  });

  describe('post-mortem versions', () => {
    it('numbers versions, serves the latest or one asked for, and nothing for another incident', async () => {
      const a = await declare('a');
      expect(await nextPostmortemVersion(ctx.db, a.id)).toBe(1);
      await insertPostmortemVersion(ctx.db, a.id, 1, '# v1', ME);
      await insertPostmortemVersion(ctx.db, a.id, 2, '# v2', ME);
      expect(await nextPostmortemVersion(ctx.db, a.id)).toBe(3);
      expect(await getPostmortemDocument(ctx.db, TEAM, a.number)).toMatchObject({
        version: 2,
        latest: 2,
        markdown: '# v2',
      });
      expect(await getPostmortemDocument(ctx.db, TEAM, a.number, 1)).toMatchObject({
        version: 1,
        latest: 2,
        markdown: '# v1',
      });
      expect(await getPostmortemDocument(ctx.db, TEAM, a.number, 3)).toBeNull();
      expect(await getPostmortemDocument(ctx.db, 'T0OTHER', a.number)).toBeNull();
      await expect(insertPostmortemVersion(ctx.db, a.id, 2, '# again', ME)).rejects.toThrow();
    });
  });
});
