import type { Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { insertRunEvent } from '../store/playbook-run.repo.js';
import type { ChatPlace } from './ports.js';
import type { Incident, IncidentEventKind } from './types.js';

/**
 * A playbook started outside any incident (`/incident run`), where the runbook uses it so (a deployment, a backup
 * check): a thread in a channel, rooted at its checklist, with a record of its own.
 */
export interface PlaybookRun {
  id: number;
  teamId: string;
  playbookId: string;
  channelId: string;
  /** The checklist message, root of the run's thread; null until it is posted. */
  messageTs: string | null;
  startedBy: string;
  startedAt: Date;
  /** When every step was done or skipped (cleared by an Undo); null until then. */
  completedAt: Date | null;
}

/** Whose playbook steps these are: an incident's, worked in its channel, or a run's, worked in its thread. */
export type PlaybookHost = { kind: 'incident'; incident: Incident } | { kind: 'run'; run: PlaybookRun };

/** A host by id, as records and buttons name it. */
export interface HostRef {
  kind: PlaybookHost['kind'];
  id: number;
}

export const hostRef = (host: PlaybookHost): HostRef =>
  host.kind === 'incident' ? { kind: 'incident', id: host.incident.id } : { kind: 'run', id: host.run.id };

/** Where the host's playbook messages go: the incident channel, or the run's channel, in the run's thread. */
export function placeOf(host: PlaybookHost): ChatPlace {
  return host.kind === 'incident' ? host.incident : { channelId: host.run.channelId, threadTs: host.run.messageTs };
}

/** The channel people work the host's playbook in. */
export const channelOf = (host: PlaybookHost): string | null =>
  host.kind === 'incident' ? host.incident.channelId : host.run.channelId;

/** What steps of a playbook record on their host's timeline. */
export type StepEventKind = Extract<
  IncidentEventKind,
  | 'step_run'
  | 'rollback_verified'
  | 'step_refused'
  | 'approval_requested'
  | 'approval_decided'
  | 'approval_closed'
  | 'step_done'
  | 'step_skipped'
  | 'step_undone'
>;

/** Records a step's event on its host's timeline: the incident's (incident_events) or the run's. */
export async function recordStepEvent(
  q: Queryable,
  ref: HostRef,
  kind: StepEventKind,
  actorId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  if (ref.kind === 'incident') await insertEvent(q, ref.id, kind, actorId, details);
  else await insertRunEvent(q, ref.id, kind, actorId, details);
}
