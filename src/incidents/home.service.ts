import { openItems } from '../store/action-item.repo.js';
import type { Database } from '../store/db.js';
import { openIncidentsFor, peopleOfIncidents, resolvedSince } from '../store/home.repo.js';
import type { ActionItemWithIncident } from './action-items.js';
import { firingNow } from './alert-firing.js';
import type { FiringAlerts } from './alert-types.js';
import { type OnCallService, PERSON_DAYS, type PersonShift, type RoleBoard } from './oncall.service.js';
import { maskedIncident } from './shown-incident.js';
import type { Incident } from './types.js';

/** How far back "recently resolved" looks. */
export const RECENTLY_RESOLVED_MS = 7 * 24 * 60 * 60_000;

/** What one person's Home shows: the open incidents (theirs first), their open action items, the recently resolved. */
export interface HomeData {
  open: { incident: Incident; mine: boolean }[];
  openTotal: number;
  items: ActionItemWithIncident[];
  itemsTotal: number;
  resolved: Incident[];
  resolvedTotal: number;
  /** The On call section: null when no role has a rotation. */
  oncall?: HomeOnCall | null;
  /** The alerts firing now, the most severe first (the first few), and how many. */
  firing?: FiringAlerts;
}

/** Who is on call now for each role with a rotation, and the person's own next shift (or the one they are in). */
export interface HomeOnCall {
  roles: (RoleBoard & { rotation: NonNullable<RoleBoard['rotation']> })[];
  mine: PersonShift | null;
  /** How far ahead `mine` was looked for. */
  days: number;
}

/** Lists are read up to these lengths; the view shows what fits and counts the rest. */
const READ = { open: 100, items: 100, resolved: 20, firing: 5 } as const;

/** The read side of a person's Home tab. */
export class HomeService {
  constructor(
    private readonly db: Database,
    /** Rotations: the On call section (none without). */
    private readonly oncall?: Pick<OnCallService, 'board' | 'shiftsOf' | 'rotationRoles'>,
    /** The runbook's heartbeat rows, whose alerts always fire: left out of Alerts firing now. */
    private readonly heartbeats: readonly string[] = [],
    /** What people typed is masked by as it is shown: a row stored before a value was known secret holds it. */
    private readonly mask: (text: string) => string = (text) => text,
    /** Whether an alert reads as a security matter: in no incident, shown without what it says (see firingNow). */
    private readonly security: (alert: { rule: string | null; title: string }) => boolean = () => false,
  ) {}

  private async onCall(userId: string, now: Date): Promise<HomeOnCall | null> {
    if (!this.oncall || this.oncall.rotationRoles().length === 0) return null;
    const [board, shifts] = await Promise.all([this.oncall.board(now), this.oncall.shiftsOf(userId, now, PERSON_DAYS)]);
    const roles = board.filter((r): r is HomeOnCall['roles'][number] => r.rotation !== null);
    const mine = [...shifts].sort((a, b) => a.start.getTime() - b.start.getTime())[0] ?? null;
    return { roles, mine, days: PERSON_DAYS };
  }

  async view(teamId: string, userId: string, now = new Date()): Promise<HomeData> {
    const [open, items, resolved, oncall, firing] = await Promise.all([
      openIncidentsFor(this.db, teamId, userId, READ.open),
      openItems(this.db, teamId, userId, READ.items, { ownedOnly: true }),
      resolvedSince(this.db, teamId, new Date(now.getTime() - RECENTLY_RESOLVED_MS), READ.resolved, userId),
      this.onCall(userId, now),
      firingNow(this.db, userId, READ.firing, this.heartbeats, undefined, this.security),
    ]);
    const shown = (incident: Incident) => maskedIncident(incident, this.mask);
    return {
      open: open.incidents.map(({ incident, mine }) => ({ incident: shown(incident), mine })),
      openTotal: open.total,
      items: items.items.map(({ item, incident }) => ({
        item: { ...item, text: this.mask(item.text) },
        incident: { ...incident, title: this.mask(incident.title) },
      })),
      itemsTotal: items.total,
      resolved: resolved.incidents.map(shown),
      resolvedTotal: resolved.total,
      oncall,
      firing,
    };
  }

  /**
   * The people part of each of these incidents (declared it, command it, acted on it, were paged for it, own its
   * items), by incident id, in one statement.
   */
  peopleOf(incidentIds: readonly number[]): Promise<Map<number, string[]>> {
    return peopleOfIncidents(this.db, incidentIds);
  }
}
