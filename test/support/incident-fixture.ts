import type { PostmortemAnswers, PostmortemRecord } from '../../src/incidents/postmortem.js';
import type { SeverityDefs } from '../../src/incidents/severity.js';
import type { Incident, IncidentEvent, StatusUpdateInput } from '../../src/incidents/types.js';

export const CREATED_AT = new Date('2026-11-27T23:14:00.000Z');
/** `m` minutes after the fixture incident was declared. */
export const minutes = (m: number) => new Date(CREATED_AT.getTime() + m * 60_000);
/** "Now" in the template tests: five minutes into the incident. */
export const NOW = minutes(5);
export const REPORTER = 'UREPORTER1';
export const COMMANDER = 'UCOMMANDER1';
export const CHANNEL = 'CINC42';

/** An open, unacknowledged SEV-1 incident #42 "db down"; override any field. */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 7,
    teamId: 'T0001',
    number: 42,
    title: 'db down',
    severity: 1,
    status: 'investigating',
    phase: 'detection',
    reporterId: REPORTER,
    commanderId: null,
    channelId: CHANNEL,
    channelName: 'inc-42-db-down',
    cardTs: '1700000000.000100',
    createdAt: CREATED_AT,
    acknowledgedAt: null,
    acknowledgedBy: null,
    mitigatedAt: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionSummary: null,
    reopenedAt: null,
    reopenedBy: null,
    severityChangedAt: null,
    customerImpact: false,
    dataLossRisk: false,
    customerImpactNote: null,
    dataLossNote: null,
    affected: null,
    currentImpact: null,
    currentStatus: null,
    mitigationSteps: null,
    nextUpdateAt: null,
    lastUpdateAt: null,
    private: false,
    maintenance: null,
    recovery: null,
    source: 'person',
    ...overrides,
  };
}

/** The same incident, acknowledged by COMMANDER after `ackMinutes` and resolved after `resolveMinutes`. */
export function makeResolvedIncident(overrides: Partial<Incident> = {}, ackMinutes = 4, resolveMinutes = 65): Incident {
  const at = (m: number) => new Date(CREATED_AT.getTime() + m * 60_000);
  return makeIncident({
    status: 'resolved',
    phase: 'postmortem',
    commanderId: COMMANDER,
    acknowledgedAt: at(ackMinutes),
    acknowledgedBy: COMMANDER,
    mitigatedAt: at(resolveMinutes - 5),
    resolvedAt: at(resolveMinutes),
    resolvedBy: COMMANDER,
    resolutionSummary: 'Restarted the primary; pool leak',
    ...overrides,
  });
}

export function makeUpdate(overrides: Partial<StatusUpdateInput> = {}): StatusUpdateInput {
  return {
    status: 'investigating',
    affected: 'EU customers, checkout API',
    currentImpact: 'Checkout fails for 30% of requests',
    currentStatus: 'Primary database is refusing connections',
    mitigationSteps: 'Failing over to the replica',
    nextUpdateAt: new Date('2026-11-27T23:45:00.000Z'),
    customerImpact: true,
    dataLossRisk: false,
    publish: false,
    ...overrides,
  };
}

let nextEventId = 1;
export function makeEvent(overrides: Partial<IncidentEvent> = {}): IncidentEvent {
  return {
    id: nextEventId++,
    incidentId: 7,
    at: new Date(CREATED_AT.getTime() + 60_000),
    actorId: REPORTER,
    kind: 'note',
    details: { text: 'a note' },
    ...overrides,
  };
}

/** Post-mortem answers: a root cause, the rest empty, with `over` on top. */
export function makePostmortemAnswers(over: Partial<PostmortemAnswers> = {}): PostmortemAnswers {
  return {
    rootCause: 'A connection leak',
    factors: '',
    wentWell: '',
    wentBadly: '',
    runbookSection: null,
    runbookNote: '',
    checked: [],
    ...over,
  };
}

/**
 * What the post-mortem document is written from: a resolved SEV-1 declared as `title` ("db down"; given, the incident's
 * title too) with `description` as its declaration's note when given, answered `answers`, version 1 written by the
 * reporter two hours in, with `over` on top.
 */
export function makePostmortemRecord(
  severities: SeverityDefs,
  answers: PostmortemAnswers,
  { title, description, ...over }: Partial<PostmortemRecord> & { title?: string; description?: string } = {},
): PostmortemRecord {
  const declared = title ?? 'db down';
  const events = [
    makeEvent({ kind: 'declared', at: minutes(0), actorId: REPORTER, details: { title: declared, severity: 1 } }),
  ];
  if (description !== undefined) {
    events.push(
      makeEvent({
        kind: 'note',
        at: minutes(0),
        actorId: REPORTER,
        details: { text: description, source: 'declaration' },
      }),
    );
  }
  return {
    incident: makeResolvedIncident({ severity: 1, ...(title !== undefined ? { title } : {}) }),
    events,
    answers,
    items: [],
    checklist: [],
    severities,
    version: 1,
    writtenBy: REPORTER,
    writtenAt: minutes(120),
    names: new Map(),
    ...over,
  };
}
