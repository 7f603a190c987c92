import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ackRef,
  approvalRef,
  denyMetadata,
  escalateRef,
  jsonCodec,
  modalMetadata,
  parseIncidentRef,
  runMetadata,
  stepRef,
} from '../../src/templates/payloads.js';

describe('jsonCodec', () => {
  const codec = jsonCodec(z.object({ n: z.number().int() }));

  it('decodes what it encoded', () => {
    expect(codec.decode(codec.encode({ n: 3 }))).toEqual({ n: 3 });
  });

  it('is null on junk, never a throw', () => {
    for (const raw of [undefined, '', 'not json', '{"n":1.5}', '{"m":1}', 'null', '[]']) {
      expect(codec.decode(raw)).toBeNull();
    }
  });
});

describe('the payloads Slack carries back', () => {
  it('round-trip', () => {
    const modal = { incidentId: 4, channelId: 'C1' };
    expect(modalMetadata.decode(modalMetadata.encode(modal))).toEqual(modal);
    const run = { incidentId: 4, channelId: 'C1', playbookId: 'db', stepKey: 'mitigation.1', params: { node: 'n1' } };
    expect(runMetadata.decode(runMetadata.encode(run))).toEqual(run);
    const deny = { approvalId: 9, channelId: 'C1' };
    expect(denyMetadata.decode(denyMetadata.encode(deny))).toEqual(deny);
    expect(stepRef.decode(stepRef.encode({ p: 'db', s: 'detection.2' }))).toEqual({ p: 'db', s: 'detection.2' });
    expect(approvalRef.decode(approvalRef.encode(12))).toBe(12);
  });

  it('keep the values buttons already in Slack carry', () => {
    expect(stepRef.encode({ p: 'db', s: 'detection.2' })).toBe('{"p":"db","s":"detection.2"}');
    expect(approvalRef.encode(12)).toBe('12');
  });

  it('refuse values out of shape', () => {
    expect(modalMetadata.decode('{"incidentId":0,"channelId":"C1"}')).toBeNull();
    expect(runMetadata.decode('{"incidentId":1,"channelId":"C1","playbookId":"","stepKey":"a.1"}')).toBeNull();
    expect(stepRef.decode('{"p":"db","s":"Detection.2"}')).toBeNull();
    expect(approvalRef.decode('-1')).toBeNull();
    expect(approvalRef.decode('abc')).toBeNull();
  });

  it('an incident ref comes from a button value or a select block_id', () => {
    expect(parseIncidentRef('42')).toBe(42);
    expect(parseIncidentRef(undefined, 'incident_card_actions:7')).toBe(7);
    expect(parseIncidentRef(undefined, 'incident_card_actions')).toBeNull();
  });

  it('the Escalate now button carries the role it showed; a button without one is read as the incident id', () => {
    const ref = { incidentId: 7, role: 'engineering_manager' };
    expect(escalateRef.encode(ref)).toBe('{"i":7,"r":"engineering_manager"}');
    expect(escalateRef.decode(escalateRef.encode(ref))).toEqual(ref);
    expect(escalateRef.encode({ incidentId: 7, role: null })).toBe('7');
    expect(escalateRef.decode('7')).toEqual({ incidentId: 7, role: null });
    for (const junk of [undefined, '', 'x', '{"i":0,"r":"cto"}', '{"i":7,"r":""}'])
      expect(escalateRef.decode(junk)).toBeNull();
  });

  it('Take command carries the commander it showed; Acknowledge the incident id alone', () => {
    expect(ackRef.encode({ incidentId: 7, takeFrom: 'U0CMDR' })).toBe('{"i":7,"from":"U0CMDR"}');
    expect(ackRef.decode('{"i":7,"from":"U0CMDR"}')).toEqual({ incidentId: 7, takeFrom: 'U0CMDR' });
    expect(ackRef.decode('7')).toEqual({ incidentId: 7, takeFrom: null });
    for (const junk of [undefined, 'x', '{"i":7,"from":"<!channel>"}']) expect(ackRef.decode(junk)).toBeNull();
  });
});

describe('ids past what Postgres keeps', () => {
  it('a forged value past 2^31 - 1 carries no id (its range error reached the person as "Something went wrong")', () => {
    expect(parseIncidentRef('2147483647')).toBe(2147483647);
    expect(parseIncidentRef('2147483648')).toBeNull();
    expect(parseIncidentRef(undefined, 'incident_card_actions:2147483648')).toBeNull();
    expect(parseIncidentRef(undefined, 'incident_card_actions:0')).toBeNull();
    expect(ackRef.decode('2147483648')).toBeNull();
    expect(escalateRef.decode('{"i":2147483648,"r":"cto"}')).toBeNull();
    expect(approvalRef.decode('2147483648')).toBeNull();
    expect(approvalRef.decode('7')).toBe(7);
  });
});
