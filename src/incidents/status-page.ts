import type { Database } from '../store/db.js';
import {
  listPublicIncidents,
  listPublicUpdates,
  listReopenings,
  listSeverityChanges,
} from '../store/status-page.repo.js';
import { SEVERITIES, type Severity, type SeverityDefs } from './severity.js';
import type { IncidentStatus, StatusUpdateInput } from './types.js';

/**
 * The public status page's view of incidents. What is public is decided here and only here:
 *
 * - which incidents: those of a level the runbook makes public (`status_page.publish`, by default SEV-0 and SEV-1),
 *   from their declaration; any other only once an update of it has been published. The rest are private and never
 *   appear. An incident the bot opened from alerts on its own, whatever its level, only once an update of it has
 *   been published, and titled with that update's AFFECTED: its own title is the alert's summary (the SQL,
 *   listPublicIncidents, applies both rules).
 * - what of them: the title, the level in the public's words (`status_page.impact`), the status, when it started and
 *   was resolved, and the latest *published* update: the template's AFFECTED, CURRENT IMPACT and CURRENT STATUS as the
 *   person wrote them, with the next update. Never who (reporter, commander, authors), mitigation steps, commands,
 *   outputs, alerts, flags, the resolution summary or any unpublished update.
 * - reopened: an incident reopened after its latest published update says so, and that update is shown as one from
 *   before the reopening, without the next update it promised then (as the card drops its NEXT UPDATE).
 * - each feed entry keeps the impact the incident had when it was published (a later change of level does not rewrite
 *   the history), and the entry of an incident made public is dated when it became public, not when it was declared.
 * - maintenance: the runbook's scheduled windows of the next MAINTENANCE_DAYS days and those in progress, by their
 *   runbook title and times only (a window opened by hand under a title of its own is shown as "Maintenance").
 */

/** What a published status update shows publicly. */
export interface PublicUpdate {
  at: Date;
  status: IncidentStatus;
  affected: string;
  currentImpact: string;
  currentStatus: string;
  nextUpdateAt: Date | null;
}

export interface PublicIncident {
  id: number;
  title: string;
  /** The level in the public's words ("Partial outage"): the runbook's `status_page.impact`. */
  impact: string;
  /** The level behind `impact` (0 the gravest), to order and style by; never shown as "SEV-n". */
  impactLevel: Severity;
  status: IncidentStatus;
  startedAt: Date;
  resolvedAt: Date | null;
  /** The latest published update; null while none has been. */
  latest: PublicUpdate | null;
  /** When it was last reopened, if it was; null else. */
  reopenedAt: Date | null;
  /** The latest published update was published before the last reopening (it no longer promises a next update). */
  latestPredatesReopening: boolean;
}

/** A maintenance window as users see it: its runbook title and times. */
export interface PublicMaintenance {
  /** Stable across reads: the window and its start. */
  key: string;
  title: string;
  startsAt: Date;
  /** Null: opened by hand with no end set. */
  endsAt: Date | null;
  inProgress: boolean;
}

/** Where the page reads maintenance windows from (the maintenance service): upcoming ones and those open at `now`. */
export interface MaintenanceSource {
  publicWindows(now: Date, horizonMs: number): Promise<PublicMaintenance[]>;
}

/** One entry of the feed: an incident made public, one of its published updates, its resolution, or its reopening. */
export interface FeedEntry {
  /** Stable across reads, unique in the feed. */
  key: string;
  kind: 'opened' | 'update' | 'resolved' | 'reopened' | 'maintenance_scheduled' | 'maintenance_started';
  at: Date;
  /** Null for maintenance entries. */
  incident: PublicIncident | null;
  /** The level in the public's words as it was at `at` (the incident's level then), for incident entries. */
  impact: string;
  /** For `update` entries. */
  update?: PublicUpdate;
  /** For maintenance entries. */
  maintenance?: PublicMaintenance;
}

export interface StatusSnapshot {
  generatedAt: Date;
  /** Open incidents, gravest first. */
  active: PublicIncident[];
  /** Resolved in the last HISTORY_DAYS days, latest first. */
  resolved: PublicIncident[];
  /** Newest first, at most FEED_ENTRIES. */
  entries: FeedEntry[];
  /** Maintenance in progress, then that scheduled in the next MAINTENANCE_DAYS days, soonest first. */
  maintenance: PublicMaintenance[];
  /** How far ahead `maintenance` looks, in days. */
  maintenanceDays: number;
}

/** How far back the page lists resolved incidents. */
export const HISTORY_DAYS = 7;
/** How far ahead the page shows scheduled maintenance. */
export const MAINTENANCE_DAYS = 7;
/** Incidents the page lists at most (open and resolved together). */
const MAX_INCIDENTS = 100;
/** Entries the feed holds at most. */
export const FEED_ENTRIES = 50;
/** A read of the page serves every request within this long (the page is public: a crowd costs one query). */
export const SNAPSHOT_CACHE_MS = 5000;

/** The levels whose incidents are public from their declaration and publish by default. */
export function publicLevels(severities: SeverityDefs): Severity[] {
  return SEVERITIES.filter((s) => severities[s].statusPage.publish);
}

/** Whether the status update form ticks "Publish to status page" for an incident of this level. */
export function publishesByDefault(severity: Severity, severities: SeverityDefs): boolean {
  return severities[severity].statusPage.publish;
}

/** What of a status update becomes public, when it is published; null when it is not. */
export function publicUpdateOf(u: StatusUpdateInput, at: Date): PublicUpdate | null {
  if (!u.publish) return null;
  return {
    at,
    status: u.status,
    affected: u.affected,
    currentImpact: u.currentImpact,
    currentStatus: u.currentStatus,
    nextUpdateAt: u.status === 'resolved' ? null : u.nextUpdateAt,
  };
}

/** A published update as shown: what was typed in it masked (see StatusPage's `mask`). */
function maskedUpdate(u: PublicUpdate, mask: (text: string) => string): PublicUpdate {
  return {
    ...u,
    affected: mask(u.affected),
    currentImpact: mask(u.currentImpact),
    currentStatus: mask(u.currentStatus),
  };
}

/** Reads the status page's incidents from the database, cached for a few seconds. */
export class StatusPage {
  private cached: { at: number; value: Promise<StatusSnapshot> } | null = null;

  constructor(
    private readonly db: Database,
    private readonly severities: SeverityDefs,
    private readonly opts: { cacheMs?: number; historyDays?: number } = {},
    /** What people typed is masked by as it is shown: a row stored before a value was known secret holds it. */
    private readonly mask: (text: string) => string = (text) => text,
    /** The maintenance windows shown; none when not given. */
    private readonly maintenance: MaintenanceSource | null = null,
  ) {}

  /** The page as it is now (or as read less than SNAPSHOT_CACHE_MS ago). Throws when the database cannot be read. */
  snapshot(): Promise<StatusSnapshot> {
    const now = Date.now();
    const cacheMs = this.opts.cacheMs ?? SNAPSHOT_CACHE_MS;
    if (this.cached && now - this.cached.at < cacheMs) return this.cached.value;
    const value = this.read(new Date(now));
    const entry = { at: now, value };
    this.cached = entry;
    // A failed read is not kept: the next request tries again.
    value.catch(() => {
      if (this.cached === entry) this.cached = null;
    });
    return value;
  }

  private async read(now: Date): Promise<StatusSnapshot> {
    const days = this.opts.historyDays ?? HISTORY_DAYS;
    const rows = await listPublicIncidents(this.db, {
      publicLevels: publicLevels(this.severities),
      resolvedSince: new Date(now.getTime() - days * 86_400_000),
      limit: MAX_INCIDENTS,
    });
    const ids = rows.map((r) => r.id);
    const [updates, reopenings, changes, maintenance] = await Promise.all([
      listPublicUpdates(this.db, ids, FEED_ENTRIES),
      listReopenings(this.db, ids),
      listSeverityChanges(this.db, ids),
      this.maintenance ? this.maintenance.publicWindows(now, MAINTENANCE_DAYS * 86_400_000) : [],
    ]);
    const isPublic = (level: Severity) => this.severities[level].statusPage.publish;
    const impactOf = (level: Severity) => this.severities[level].statusPage.impact;
    // Each incident's reopenings and level changes, in order, read once (every feed entry asks for its incident's).
    const reopeningsOf = byIncident(reopenings);
    const changesOf = byIncident(changes);
    const incidents: PublicIncident[] = rows.map((r) => {
      const reopenedAt = reopeningsOf(r.id).at(-1)?.at ?? null;
      const latest = r.latest && maskedUpdate(r.latest, this.mask);
      // An update from before the last reopening is no longer current: the promise it made is dropped.
      const stale = reopenedAt !== null && latest !== null && latest.at < reopenedAt;
      return {
        id: r.id,
        title: this.mask(r.title),
        impact: impactOf(r.severity),
        impactLevel: r.severity,
        status: r.status,
        startedAt: r.startedAt,
        resolvedAt: r.resolvedAt,
        latest: latest && stale ? { ...latest, nextUpdateAt: null } : latest,
        reopenedAt,
        latestPredatesReopening: stale,
      };
    });
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const byId = new Map(incidents.map((i) => [i.id, i]));
    /** The incident's level at `at`: the last change before it, else the level the first change after it left. */
    const levelAt = (incident: PublicIncident, at: Date): Severity => {
      const own = changesOf(incident.id);
      const before = own.filter((c) => c.at <= at).at(-1);
      if (before) return before.to;
      return own.find((c) => c.at > at)?.from ?? incident.impactLevel;
    };
    /**
     * When it became public: its declaration when its level then was public (and a person declared it); else the
     * first raise to a public level, or its first published update, whichever came first.
     */
    const publicSince = (incident: PublicIncident): Date => {
      const r = rowById.get(incident.id)!;
      const times: Date[] = r.firstPublishedAt ? [r.firstPublishedAt] : [];
      if (!r.fromAlerts) {
        if (isPublic(levelAt(incident, incident.startedAt))) return incident.startedAt;
        const raised = changesOf(incident.id).find((c) => isPublic(c.to));
        if (raised) times.push(raised.at);
      }
      const first = times.sort((a, b) => a.getTime() - b.getTime())[0];
      return first ?? incident.startedAt;
    };
    const incidentEntry = (e: Omit<FeedEntry, 'impact'> & { incident: PublicIncident }): FeedEntry => ({
      ...e,
      impact: impactOf(levelAt(e.incident, e.at)),
    });
    const entries: FeedEntry[] = [
      ...incidents.map((incident) =>
        incidentEntry({
          key: `incident/${incident.id}/opened`,
          kind: 'opened' as const,
          at: publicSince(incident),
          incident,
        }),
      ),
      ...updates.map((u) => {
        const { id, incidentId, ...update } = u;
        return incidentEntry({
          key: `incident/${incidentId}/update/${id}`,
          kind: 'update' as const,
          at: u.at,
          incident: byId.get(incidentId)!,
          update: maskedUpdate(update, this.mask),
        });
      }),
      // Each resolution and each reopening is an entry of its own, those a reopening undid too: the feed tells its
      // readers the incident's story (resolved, reopened, resolved again). An entry's id never changes: the first
      // resolution's is the one it had before any reopening, a later one's has its time.
      ...incidents.flatMap((incident) => {
        const { id, resolvedAt } = incident;
        const reopened = reopeningsOf(id);
        const resolutions = [
          ...reopened.flatMap((r) => (r.undoneResolutionAt ? [r.undoneResolutionAt] : [])),
          ...(resolvedAt ? [resolvedAt] : []),
        ];
        return [
          ...reopened.map((r) => ({
            key: `incident/${id}/reopened/${r.at.getTime()}`,
            kind: 'reopened' as const,
            at: r.at,
          })),
          ...resolutions.map((at, n) => ({
            key: `incident/${id}/resolved${n === 0 ? '' : `/${at.getTime()}`}`,
            kind: 'resolved' as const,
            at,
          })),
        ].map((e) => incidentEntry({ ...e, incident }));
      }),
      // A scheduled window is in the feed from when the page first shows it (MAINTENANCE_DAYS ahead of its start: a
      // date that never moves), and again when it starts.
      ...maintenance.flatMap((m) => [
        ...(m.key.startsWith('scheduled/')
          ? [
              {
                key: `maintenance/${m.key}`,
                kind: 'maintenance_scheduled' as const,
                at: new Date(Math.min(m.startsAt.getTime() - MAINTENANCE_DAYS * 86_400_000, now.getTime())),
                incident: null,
                impact: 'Maintenance',
                maintenance: m,
              },
            ]
          : []),
        ...(m.inProgress
          ? [
              {
                key: `maintenance/${m.key}/started`,
                kind: 'maintenance_started' as const,
                at: m.startsAt,
                incident: null,
                impact: 'Maintenance',
                maintenance: m,
              },
            ]
          : []),
      ]),
    ]
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, FEED_ENTRIES);
    return {
      generatedAt: now,
      active: incidents.filter((i) => i.status !== 'resolved'),
      resolved: incidents.filter((i) => i.status === 'resolved'),
      entries,
      maintenance,
      maintenanceDays: MAINTENANCE_DAYS,
    };
  }
}

/** A list's items by their incident, in the list's order: a lookup that gives none for an incident with none. */
function byIncident<T extends { incidentId: number }>(list: readonly T[]): (incidentId: number) => readonly T[] {
  const map = new Map<number, T[]>();
  for (const item of list) {
    const own = map.get(item.incidentId);
    if (own) own.push(item);
    else map.set(item.incidentId, [item]);
  }
  return (incidentId) => map.get(incidentId) ?? [];
}
