import type { IncidentPatch } from '../store/incident.repo.js';
import { AlreadyDoneError, resolvedError } from './errors.js';
import type { IncidentNotice } from './ports.js';
import type { PublicUpdate } from './status-page.js';
import { INCIDENT_PHASES, type Incident, type IncidentEvent, type IncidentPhase, type Unchanged } from './types.js';

/** What a change writes: the patch, its timeline events, and what the channel is told. */
export interface Decision {
  patch: IncidentPatch;
  events: { kind: IncidentEvent['kind']; actorId: string | null; details?: Record<string, unknown> }[];
  notice?: IncidentNotice;
  /** A status update published to the status page: its public part, written with the change. */
  publicUpdate?: PublicUpdate;
  /** What the person who made the change is told beside it (the change was made). */
  said?: string[];
}

/** Someone else already commands the incident: nothing changed; the person may take command on purpose. */
export class CommandHeld extends Error {
  constructor(
    readonly incident: Incident,
    readonly commanderId: string,
  ) {
    super(`the incident is commanded by ${commanderId}`);
  }
}

/** Acknowledge, or take command: the change made, or, when nothing changed, who commands. */
export type CommandResult<C> =
  | (C & { kind: 'changed' })
  /**
   * Someone else commands `incident` (`commanderId`); the reply offers Take command from them. `pageAcknowledged`: the
   * person acknowledged their own page meanwhile (the roles it paged them as); without it nothing changed
   * (`unchanged`).
   */
  | ({
      kind: 'commanded';
      incident: Incident;
      incidentId: number;
      commanderId: string;
      warnings: string[];
      pageAcknowledged?: PagesAcknowledged;
    } & Partial<Unchanged>)
  /** The commander acknowledged their own later page (`pages`): its remaining notifications stopped. */
  | { kind: 'page_acknowledged'; incident: Incident; incidentId: number; pages: PagesAcknowledged; warnings: string[] };

/** A person's own pages acknowledged: the roles they were paged as, and whether they were paged by name too. */
export interface PagesAcknowledged {
  roleNames: string[];
  byName?: boolean;
}

const phaseIndex = (p: IncidentPhase) => INCIDENT_PHASES.indexOf(p);
/** Phases only move forward. */
export const advance = (current: IncidentPhase, to: IncidentPhase): IncidentPhase =>
  phaseIndex(to) > phaseIndex(current) ? to : current;

/**
 * What a first acknowledgement by `actorId` writes, besides who commands: its time and who made it, the phase moved on
 * to Assessment (and that move's event), and the time to acknowledge for the acknowledging event's details.
 */
function firstAcknowledgement(cur: Incident, actorId: string, now: Date) {
  const phase = advance(cur.phase, 'assessment');
  return {
    patch: { acknowledgedAt: now, acknowledgedBy: actorId, phase },
    secondsToAcknowledge: Math.round((now.getTime() - cur.createdAt.getTime()) / 1000),
    phaseEvents:
      phase !== cur.phase ? [{ kind: 'phase_changed' as const, actorId, details: { from: cur.phase, to: phase } }] : [],
  };
}

/**
 * The first acknowledgement makes the commander and stamps the time to acknowledge. A later one changes nothing: it
 * throws CommandHeld naming the commander (taking command is a separate, explicit act), or AlreadyDoneError for the
 * commander themself.
 */
export function decideAcknowledge(cur: Incident, actorId: string, now = new Date()): Decision {
  if (cur.status === 'resolved') throw resolvedError();
  if (cur.acknowledgedAt && cur.commanderId === actorId) {
    throw new AlreadyDoneError('You have already acknowledged this incident; you are its commander.');
  }
  if (cur.acknowledgedAt && cur.commanderId) throw new CommandHeld(cur, cur.commanderId);
  const ack = firstAcknowledgement(cur, actorId, now);
  return {
    patch: { commanderId: actorId, ...ack.patch },
    events: [
      {
        kind: 'acknowledged',
        actorId,
        details: {
          commander: actorId,
          previousCommander: cur.commanderId,
          secondsToAcknowledge: ack.secondsToAcknowledge,
        },
      },
      ...ack.phaseEvents,
    ],
    notice: { kind: 'acknowledged', actorId, previousCommanderId: cur.commanderId },
  };
}

/**
 * "Take command" from the commander the person was shown (`from`). If the commander changed meanwhile, nothing
 * changes (CommandHeld names the one now); an incident nobody has acknowledged is acknowledged instead.
 */
export function decideTakeCommand(cur: Incident, actorId: string, from: string): Decision {
  if (cur.status === 'resolved') throw resolvedError();
  if (cur.commanderId === actorId) throw new AlreadyDoneError('You are already the commander of this incident.');
  if (!cur.acknowledgedAt || !cur.commanderId) return decideAcknowledge(cur, actorId);
  if (cur.commanderId !== from) throw new CommandHeld(cur, cur.commanderId);
  return {
    patch: { commanderId: actorId },
    events: [{ kind: 'command_taken', actorId, details: { from: cur.commanderId, to: actorId } }],
    notice: { kind: 'command_taken', actorId, previousCommanderId: cur.commanderId },
  };
}

/**
 * Command handed to `toId` by `actorId` (`/incident commander @person`): anyone in the channel may name the commander,
 * as in other incident tools. Handing it to oneself is taking command. An incident nobody has acknowledged is
 * acknowledged by the handing over (someone is on it: the unacknowledged page stops); the time to acknowledge is then
 * counted to it.
 */
export function decideHandOver(cur: Incident, actorId: string, toId: string, now = new Date()): Decision {
  if (cur.status === 'resolved') throw resolvedError();
  if (cur.commanderId === toId) {
    throw new AlreadyDoneError(
      toId === actorId ? 'You are already the commander of this incident.' : `<@${toId}> is already the commander.`,
    );
  }
  const ack = cur.acknowledgedAt ? null : firstAcknowledgement(cur, actorId, now);
  return {
    patch: { commanderId: toId, ...ack?.patch },
    events: [
      {
        kind: 'command_handed',
        actorId,
        details: {
          from: cur.commanderId,
          to: toId,
          ...(ack ? { secondsToAcknowledge: ack.secondsToAcknowledge } : {}),
        },
      },
      ...(ack?.phaseEvents ?? []),
    ],
    notice: { kind: 'command_handed', actorId, toId, previousCommanderId: cur.commanderId },
  };
}
