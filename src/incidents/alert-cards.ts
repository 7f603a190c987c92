import {
  type AlertSectionRows,
  alertSectionPart,
  alertSectionRows,
  alertSectionRowsOf,
  cardsShowRepeats,
} from '../store/alert-card.repo.js';
import { type AlertIncidentRow, alertSourcesOf } from '../store/alert-incident.repo.js';
import type { Queryable, StatementPart } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertCardView, AlertRule } from './alert-types.js';

/** Alert incidents whose card refresh for repeats was due, and the time of the repeats a card's read saw. */
export type RepeatsSeen = { id: number; repeatsAt: string | null }[];

/** What the sources of these alert incidents left out of their groups' latest deliveries (Alertmanager's max_alerts). */
export function leftOut(
  ais: readonly Pick<AlertIncidentRow, 'source' | 'truncated' | 'storm'>[],
): AlertCardView['truncated'] {
  return ais
    .filter((a) => a.truncated > 0)
    .map((a) => ({ source: a.source, count: a.truncated, groups: a.storm ? 'storm' : 'one' }));
}

/** Alerts the card lists at most; the rest are counted ("and N more") and listed by `/incident alerts`. */
export const CARD_ALERTS_MAX = 8;

/**
 * What the card of an incident opened from (or joined by) alerts shows about them, read when the card is rendered so
 * that every change to the incident (severity, acknowledgement) keeps the alert section (see CardSections).
 */
export class AlertCards {
  constructor(
    private readonly db: Queryable,
    private readonly rules: ReadonlyMap<string, AlertRule>,
    private readonly maxIncidents: number,
  ) {}

  /** The alert section of an incident's card; undefined for an incident that has no alerts. */
  async view(incidentId: number): Promise<AlertCardView | undefined> {
    const rows = await alertSectionRows(this.db, incidentId, CARD_ALERTS_MAX);
    return rows ? this.viewOf(rows) : undefined;
  }

  /**
   * The sources the card names (`AlertCardView.sources`, in its order), without reading its alerts: none for an
   * incident that has no alerts.
   */
  sources(incidentId: number): Promise<string[]> {
    return alertSourcesOf(this.db, incidentId);
  }

  /** The part of the card's sections statement that reads the alert section (see CardSections). */
  part(incidentId: number): (first: number) => StatementPart {
    return alertSectionPart(incidentId, CARD_ALERTS_MAX);
  }

  /**
   * The alert section from what `part` selected (undefined for an incident that has no alerts), and the alert incidents
   * whose card refresh for repeats was due when it was read, with the time of the repeats it saw (see `shown`).
   */
  async viewFrom(selected: unknown): Promise<{ view?: AlertCardView; repeatsSeen: RepeatsSeen }> {
    if (selected === null || selected === undefined) return { repeatsSeen: [] };
    const rows = alertSectionRowsOf(selected);
    if (rows.alertIncidents.length === 0) return { repeatsSeen: [] };
    const repeatsSeen = rows.alertIncidents.filter((a) => a.cardDue).map((a) => ({ id: a.id, repeatsAt: a.repeatsAt }));
    return { view: await this.viewOf(rows), repeatsSeen };
  }

  /**
   * A card rendered from that read is in Slack: it shows those repeats, so their refresh is no longer due (unless
   * repeats recorded since are still to be shown). Nothing to do, and no statement, when none was due.
   */
  async shown(seen: RepeatsSeen): Promise<void> {
    await cardsShowRepeats(this.db, seen);
  }

  private async viewOf({
    alertIncidents: ais,
    alerts,
    firing,
    firingInfo,
    total,
  }: AlertSectionRows): Promise<AlertCardView> {
    // One runbook line per row the alerts match now: an alert whose level changed (one key, critical then a warning)
    // matches another row than the one its alert incident was opened with, which is not shown beside it. An alert
    // incident none of whose alerts is shown here, by its own row.
    const shown = new Set(alerts.map((a) => a.alertIncidentId));
    const ruleNames = [
      ...new Set([...alerts.map((a) => a.rule), ...ais.filter((a) => !shown.has(a.id)).map((a) => a.rule)]),
    ];
    const rules = ruleNames.flatMap((n) => {
      const r = n ? this.rules.get(n) : undefined;
      return r
        ? [{ name: r.name, action: r.action, threshold: r.threshold, duration: r.duration, metric: r.metric }]
        : [];
    });
    const stormy = ais.find((a) => a.storm);
    const previousId = ais.find((a) => a.previousIncidentId !== null)?.previousIncidentId ?? null;
    const previous = previousId ? await getIncident(this.db, previousId) : null;
    return {
      sources: [...new Set(ais.map((a) => a.source))],
      openedFrom: [...new Set(ais.filter((a) => !a.attachedBy).map((a) => a.source))],
      firing,
      firingInfo,
      resolved: total - firing,
      total,
      alerts,
      rules,
      storm: stormy ? { source: stormy.source, maxIncidents: this.maxIncidents } : null,
      truncated: leftOut(ais),
      follows: !previous
        ? null
        : previous.private
          ? { private: true }
          : { number: previous.number, channelId: previous.channelId },
    };
  }
}
