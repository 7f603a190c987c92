import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { frontAnswer, parseSlackBody, signatureValid } from '../../src/http/ack-front.rules.js';
import { seenOf } from '../../src/incidents/status-merge.js';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { FORM_CHECKS, STALE_TEXT } from '../../src/views/form-checks.js';
import { makeIncident } from '../support/incident-fixture.js';
import { statusFormValues } from '../support/status-form.js';

const fastAck = (type: string | undefined, body: Buffer) => frontAnswer(type, body).kind === 'ack';

const SECRET = 'front-secret-0123456789';
const sign = (ts: string, body: string, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
const FORM = 'application/x-www-form-urlencoded';
const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
const payload = (type: string) => form({ payload: JSON.stringify({ type, user: { id: 'U1' } }) });

describe('the front: which requests it may answer itself', () => {
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  const body = Buffer.from('command=%2Fincident&text=sev1+db+down');

  it('takes a request signed with the secret, within five minutes either way', () => {
    expect(signatureValid(SECRET, ts, sign(ts, body.toString()), body, now)).toBe(true);
    expect(signatureValid(SECRET, ts, sign(ts, body.toString()), body, now + 299_000)).toBe(true);
    expect(signatureValid(SECRET, ts, sign(ts, body.toString()), body, now - 299_000)).toBe(true);
  });

  it('does not take a wrong secret, another body, a stale or future timestamp, or a missing or odd header', () => {
    expect(signatureValid(SECRET, ts, sign(ts, body.toString(), 'other'), body, now)).toBe(false);
    expect(signatureValid(SECRET, ts, sign(ts, 'command=%2Fother'), body, now)).toBe(false);
    expect(signatureValid(SECRET, ts, sign(ts, body.toString()), body, now + 301_000)).toBe(false);
    expect(signatureValid(SECRET, ts, sign(ts, body.toString()), body, now - 301_000)).toBe(false);
    expect(signatureValid(SECRET, undefined, sign(ts, body.toString()), body, now)).toBe(false);
    expect(signatureValid(SECRET, ts, undefined, body, now)).toBe(false);
    expect(signatureValid(SECRET, `${ts}.5`, sign(`${ts}.5`, body.toString()), body, now)).toBe(false);
    expect(signatureValid(SECRET, ts, 'v0=short', body, now)).toBe(false);
  });

  it('answers at once what Slack expects an empty 200 for: commands, clicks, closed forms, shortcuts, events', () => {
    expect(fastAck(FORM, body)).toBe(true);
    expect(fastAck(`${FORM}; charset=utf-8`, body)).toBe(true);
    for (const t of ['block_actions', 'interactive_message', 'view_closed', 'shortcut', 'message_action'])
      expect(fastAck(FORM, payload(t))).toBe(true);
    expect(fastAck('application/json', Buffer.from(JSON.stringify({ type: 'event_callback', event: {} })))).toBe(true);
  });

  it('leaves to the bot what may need an answer, and what it cannot read', () => {
    // A submission may be answered with errors; an options load with options; a challenge with the challenge.
    for (const t of ['view_submission', 'block_suggestion', 'dialog_submission', 'something_new'])
      expect(fastAck(FORM, payload(t))).toBe(false);
    expect(fastAck('application/json', Buffer.from('{"type":"url_verification","challenge":"x"}'))).toBe(false);
    expect(fastAck(FORM, form({ ssl_check: '1', token: 't' }))).toBe(false);
    expect(fastAck(FORM, form({ payload: '{not json' }))).toBe(false);
    expect(fastAck('application/json', Buffer.from('{not json'))).toBe(false);
    expect(fastAck('text/plain', body)).toBe(false);
    expect(fastAck(undefined, body)).toBe(false);
  });

  it('reads a body as the bot’s receiver does: a form, its payload, or JSON', () => {
    expect(parseSlackBody(FORM, body.toString())).toMatchObject({ command: '/incident', text: 'sev1 db down' });
    expect(parseSlackBody(`${FORM}; charset=utf-8`, payload('block_actions').toString())).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1' },
    });
    expect(parseSlackBody('application/json', '{"type":"event_callback"}')).toEqual({ type: 'event_callback' });
  });
});

describe('the front: forms it answers from the form alone', () => {
  const submission = (
    callbackId: string,
    values: unknown,
    metadata = encodeModalMetadata({ incidentId: 7, channelId: 'C7' }),
  ) =>
    form({
      payload: JSON.stringify({
        type: 'view_submission',
        user: { id: 'U1' },
        view: { id: 'V1', callback_id: callbackId, private_metadata: metadata, state: { values } },
      }),
    });

  it('a status update that reads is answered empty and handed on (saying Resolved, when its incident is open); one that does not, with its errors inline', () => {
    // Investigating or Mitigated: answered empty at once, unread (most updates say these).
    const good = statusFormValues({ affected: 'EU', impact: '500s', currentStatus: 'restarting the pool' });
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, good), FORM_CHECKS)).toEqual({ kind: 'ack' });
    const mitigated = statusFormValues({ status: 'mitigated', affected: 'EU', impact: '500s', currentStatus: 'ok' });
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, mitigated), FORM_CHECKS)).toEqual({ kind: 'ack' });
    // Resolved: answered empty when the front reads the incident (7) open, else by the bot (a resolved incident
    // refuses it inline).
    const resolving = statusFormValues({ status: 'resolved', affected: 'EU', impact: 'none', currentStatus: 'fixed' });
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, resolving), FORM_CHECKS)).toEqual({
      kind: 'ackIfOpen',
      incidentId: 7,
    });
    const bad = frontAnswer(FORM, submission(VIEW.statusUpdate, {}), FORM_CHECKS);
    expect(bad.kind).toBe('errors');
    expect(Object.keys((bad as { errors: object }).errors).length).toBeGreaterThan(0);
  });

  it('a resolve form that reads is answered empty when the front reads its incident open, else by the bot (which refuses it inline); one that does not, with its errors inline', () => {
    const summary = { [BLOCK.resolveSummary]: { [INPUT.summary]: { type: 'plain_text_input', value: 'rolled back' } } };
    expect(frontAnswer(FORM, submission(VIEW.resolve, summary), FORM_CHECKS)).toEqual({
      kind: 'ackIfOpen',
      incidentId: 7,
    });
    const empty = { [BLOCK.resolveSummary]: { [INPUT.summary]: { type: 'plain_text_input', value: '  ' } } };
    expect(frontAnswer(FORM, submission(VIEW.resolve, empty), FORM_CHECKS).kind).toBe('errors');
  });

  it('a status update refused only for required fields its form showed empty goes to the bot, which reads the incident; any other error stays inline', () => {
    const empty = seenOf(makeIncident({ affected: null, currentImpact: null, currentStatus: null }), new Date());
    const sawEmpty = encodeModalMetadata({ incidentId: 7, channelId: 'C7', seen: empty });
    const onlyStatus = statusFormValues({ currentStatus: 'failing over' });
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, onlyStatus, sawEmpty), FORM_CHECKS)).toEqual({
      kind: 'pass',
    });
    // Without what the form saw, or with another error beside them (no status), the errors show at once.
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, onlyStatus), FORM_CHECKS).kind).toBe('errors');
    const noStatus = { ...onlyStatus, [BLOCK.updStatus]: {} };
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, noStatus, sawEmpty), FORM_CHECKS).kind).toBe('errors');
    // A form that showed them filled, left empty: the person emptied them.
    const sawFilled = encodeModalMetadata({
      incidentId: 7,
      channelId: 'C7',
      seen: seenOf(makeIncident({ affected: 'EU', currentImpact: '500s', currentStatus: null }), new Date()),
    });
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, onlyStatus, sawFilled), FORM_CHECKS).kind).toBe('errors');
  });

  it('a form whose metadata names no incident is out of date; a form it has no checks for goes to the bot', () => {
    const stale = frontAnswer(FORM, submission(VIEW.resolve, {}, 'garbage'), FORM_CHECKS);
    expect(stale).toEqual({ kind: 'errors', errors: { [BLOCK.resolveSummary]: STALE_TEXT } });
    expect(frontAnswer(FORM, submission(VIEW.declare, {}), FORM_CHECKS)).toEqual({ kind: 'pass' });
    expect(frontAnswer(FORM, submission('toString', {}), FORM_CHECKS)).toEqual({ kind: 'pass' });
    // Without the table, every submission goes to the bot.
    expect(frontAnswer(FORM, submission(VIEW.statusUpdate, {}))).toEqual({ kind: 'pass' });
  });
});
