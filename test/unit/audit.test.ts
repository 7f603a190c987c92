import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { auditBadSignatures } from '../../src/audit/bad-signatures.js';
import { currentRequest, noteOutcome, type RequestContext, withRequest } from '../../src/audit/request-context.js';
import { describeRequest } from '../../src/audit/slack-requests.js';
import { auditRoute } from '../../src/http/audit-route.js';
import type { AuditEntry, AuditRow } from '../../src/incidents/audit.service.js';
import { AlreadyDoneError, DomainError } from '../../src/incidents/errors.js';
import { afterAck } from '../../src/slack/handle.js';
import { InFlight, WorkGate } from '../../src/slack/work-gate.js';
import { DatabaseBusyError } from '../../src/store/db.js';
import { ACTION, BLOCK, SHORTCUT, VIEW } from '../../src/templates/ids.js';

describe('describeRequest', () => {
  it('names a subcommand by the table, and a mistake as invalid_command', () => {
    const base = { command: '/incident', user_id: 'U1', team_id: 'T1', channel_id: 'C1' };
    expect(describeRequest({ ...base, text: 'sev1 db down' })).toEqual({
      actor: 'U1',
      action: 'declare',
      surface: 'command',
      teamId: 'T1',
      channelId: 'C1',
      details: { command: '/incident sev1 db down' },
    });
    expect(describeRequest({ ...base, text: 'ack' })?.action).toBe('ack');
    expect(describeRequest({ ...base, text: 'sev9 x' })?.action).toBe('invalid_command');
  });

  it('names a card button, with the incident its value carries; a link button is not an action', () => {
    const click = (action_id: string, value?: string, block_id = 'b') => ({
      type: 'block_actions',
      user: { id: 'U2', team_id: 'T1' },
      channel: { id: 'C2' },
      actions: [{ action_id, value, block_id }],
    });
    expect(describeRequest(click(ACTION.acknowledge, '42'))).toMatchObject({
      actor: 'U2',
      action: 'ack',
      surface: 'button',
      incidentId: 42,
      channelId: 'C2',
    });
    expect(describeRequest(click(ACTION.changeSeverity, undefined, `${BLOCK.cardActions}:7`))?.incidentId).toBe(7);
    expect(describeRequest(click(ACTION.runStep, '{"p":"x","s":"detection.0"}'))).not.toHaveProperty('incidentId');
    expect(describeRequest(click(ACTION.openChannel))).toBeNull();
    // Buttons that change an incident without a form: each is an action of its own.
    expect(describeRequest(click(ACTION.reopen, undefined, `${BLOCK.cardActions}:9`))).toMatchObject({
      action: 'reopen',
      incidentId: 9,
    });
    expect(describeRequest(click(ACTION.makePublic, '12'))).toMatchObject({ action: 'public', incidentId: 12 });
    expect(describeRequest(click(ACTION.joinIncident, '12'))).toMatchObject({ action: 'join', incidentId: 12 });
    expect(describeRequest(click(ACTION.oncallConfirm, '{}'))?.action).toBe('oncall_override');
    expect(describeRequest(click('unknown_action'))).toBeNull();
  });

  it('names a form by its callback id, placed by its metadata; events and closed forms are not actions', () => {
    const submit = (callback_id: string, private_metadata: string) => ({
      type: 'view_submission',
      user: { id: 'U3', team_id: 'T1' },
      view: { callback_id, private_metadata },
    });
    expect(describeRequest(submit(VIEW.resolve, '{"incidentId":5,"channelId":"C5"}'))).toMatchObject({
      action: 'resolve',
      surface: 'form',
      incidentId: 5,
      channelId: 'C5',
    });
    expect(describeRequest(submit(VIEW.denyReason, 'not json'))).toMatchObject({ action: 'playbook_deny' });
    expect(describeRequest({ type: 'event_callback', event: { type: 'app_mention' } })).toBeNull();
    expect(describeRequest({ type: 'view_closed', view: { callback_id: VIEW.resolve } })).toBeNull();
  });
});

describe('the request context', () => {
  it("names a message shortcut by its callback id, with the message; another app's is not an action", () => {
    const shortcut = (callback_id: string) => ({
      type: 'message_action',
      callback_id,
      team: { id: 'T1' },
      user: { id: 'U1' },
      channel: { id: 'C7' },
      message: { ts: '1700000000.000100', text: 'db down' },
    });
    expect(describeRequest(shortcut(SHORTCUT.addToTimeline))).toEqual({
      actor: 'U1',
      action: 'timeline_note',
      surface: 'shortcut',
      teamId: 'T1',
      channelId: 'C7',
      details: { message_ts: '1700000000.000100' },
    });
    expect(describeRequest(shortcut(SHORTCUT.declareFromMessage))).toMatchObject({ action: 'declare_form' });
    expect(describeRequest(shortcut('someone_else'))).toBeNull();
  });

  it('keeps the first outcome noted, and nothing outside a request', () => {
    noteOutcome('ok');
    expect(currentRequest()).toBeUndefined();
    const ctx = { requestId: 'r' };
    withRequest(ctx, () => {
      noteOutcome('refused', 'busy');
      noteOutcome('ok');
    });
    expect(ctx).toEqual({ requestId: 'r', outcome: { outcome: 'refused', reason: 'busy' } });
  });
});

describe('the outcome afterAck notes for the audit', () => {
  const silent = { error() {}, warn() {} };
  const outcomeOf = async (work: () => Promise<unknown>, gate = new WorkGate(4, 4)) => {
    const ctx: RequestContext = { requestId: 'r' };
    await withRequest(ctx, () =>
      afterAck(
        {
          ack: async () => {},
          gate: { light: gate, heavy: gate, inFlight: new InFlight() },
          logger: silent,
          tell: async () => {},
        },
        work,
        { admit: 'gate' },
      ),
    );
    return ctx.outcome;
  };

  it('ok, with the warnings of a change partly shown', async () => {
    expect(await outcomeOf(async () => null)).toEqual({ outcome: 'ok' });
    expect(await outcomeOf(async () => ({ warnings: ['the card could not be pinned'] }))).toEqual({
      outcome: 'ok',
      reason: 'the card could not be pinned',
    });
  });

  it('refused when the work gate is full or the database pool is exhausted, or by a domain rule with its code', async () => {
    expect(await outcomeOf(async () => null, new WorkGate(0, 0))).toEqual({
      outcome: 'refused',
      reason: 'overloaded: the light work gate is full',
    });
    expect((await outcomeOf(() => Promise.reject(new DatabaseBusyError(new Error('timeout')))))?.outcome).toBe(
      'refused',
    );
    expect(await outcomeOf(() => Promise.reject(new DomainError('not_allowed', 'Only responders.')))).toEqual({
      outcome: 'refused',
      reason: 'not_allowed: Only responders.',
    });
  });

  it('noop when already done, failed when unexpected (a throw before any promise included)', async () => {
    expect((await outcomeOf(() => Promise.reject(new AlreadyDoneError('Already resolved.'))))?.outcome).toBe('noop');
    expect(
      await outcomeOf(() => {
        throw new Error('boom');
      }),
    ).toEqual({ outcome: 'failed', reason: 'unexpected: boom' });
  });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const row = (id: number): AuditRow => ({
  id,
  at: new Date(Date.UTC(2026, 10, 30, 0, 0, id)),
  actor: 'U1',
  action: 'ack',
  surface: 'button',
  teamId: 'T1',
  channelId: 'C1',
  incidentId: 1,
  outcome: 'ok',
  reason: null,
  requestId: 'r',
  details: {},
});

describe('GET /audit.jsonl', () => {
  const trail = (rows: AuditRow[], recorded: AuditEntry[] = []) => ({
    page: async (since: Date, afterId: number, limit: number) =>
      rows.filter((r) => r.at >= since && r.id > afterId).slice(0, limit),
    record: async (e: AuditEntry) => {
      recorded.push(e);
    },
  });

  it('answers 404 when no ADMIN_TOKEN is configured, even with a token', async () => {
    const route = auditRoute(trail([row(1)]), undefined);
    const url = await serve((req, res) => void route.handler(req, res));
    const res = await fetch(`${url}/audit.jsonl`, { headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(res.status).toBe(404);
  });

  it('answers 401 without the right bearer token, and records the refusal', async () => {
    const recorded: AuditEntry[] = [];
    const route = auditRoute(trail([row(1)], recorded), 'the-admin-token-123');
    const url = await serve((req, res) => void route.handler(req, res));
    expect((await fetch(`${url}/audit.jsonl`)).status).toBe(401);
    const wrong = await fetch(`${url}/audit.jsonl`, { headers: { authorization: 'Bearer the-admin-token-124' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('"action"');
    expect(recorded.map((e) => [e.action, e.outcome, e.reason])).toEqual([
      ['audit_export', 'refused', 'no admin token'],
      ['audit_export', 'refused', 'wrong admin token'],
    ]);
  });

  it('streams JSON lines after since, at most limit a page, with the next cursor', async () => {
    const route = auditRoute(trail([1, 2, 3, 4, 5].map(row)), 'the-admin-token-123');
    const url = await serve((req, res) => void route.handler(req, res));
    const get = (q: string) =>
      fetch(`${url}/audit.jsonl?${q}`, { headers: { authorization: 'Bearer the-admin-token-123' } });
    const first = await get('since=2026-11-30T00:00:02Z&limit=2');
    expect(first.status).toBe(200);
    const ids = (await first.text())
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toEqual([2, 3]);
    expect(first.headers.get('x-next-cursor')).toBe('3');
    const next = first.headers.get('link')?.match(/^<\/audit\.jsonl\?([^>]+)>; rel="next"$/)?.[1] ?? '';
    const second = await get(next);
    expect((await second.text()).trim().split('\n')).toHaveLength(2);
    const last = await get(`${next.replace('after=3', 'after=5')}`);
    expect(await last.text()).toBe('');
    expect(last.headers.get('x-next-cursor')).toBeNull();
    expect((await get('since=not-a-time')).status).toBe(400);
    expect((await get('limit=0')).status).toBe(400);
  });
});

describe('bad signatures', () => {
  it('records each 401 on the Slack endpoint, at most so many a minute, then one row counting the rest', async () => {
    const recorded: AuditEntry[] = [];
    let now = 0;
    const receiver = {
      requestListener: (req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(req.url === '/slack/events' ? 401 : 200);
        res.end();
      },
    };
    auditBadSignatures({ receiver } as unknown as App, { record: async (e) => void recorded.push(e) }, () => now, 2);
    const url = await serve((req, res) => receiver.requestListener(req, res));
    const post = (path = '/slack/events') => fetch(`${url}${path}`, { method: 'POST', body: '' });
    await post();
    await post('/health');
    await post();
    await post();
    await post();
    await new Promise((r) => setTimeout(r, 50));
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({
      action: 'bad_signature',
      outcome: 'refused',
      reason: 'the request is not signed',
    });
    now = 61_000;
    await post();
    await new Promise((r) => setTimeout(r, 50));
    expect(recorded.map((e) => e.details?.suppressed)).toEqual([undefined, undefined, 2, undefined]);
  });
});
