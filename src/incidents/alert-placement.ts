import { type AlertRow, alertKey, namesInIncident } from '../store/alert.repo.js';
import { type AlertIncidentRow, ownKey, type Side } from '../store/alert-incident.repo.js';
import { planNotice } from '../store/alert-notice.repo.js';
import type { Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { type Changes, planNoticeStep } from './alert-changes.js';
import { IncidentChoice } from './alert-incident-choice.js';
import {
  alertEventDetails,
  alertTitle,
  type Batch,
  flush,
  isOpen,
  needsIncident,
  noticed,
  securityAlert,
  type Touched,
} from './alert-rows.js';
import type { AlertRule, AlertStep, JoinedWhy } from './alert-types.js';

/**
 * Where a group's recorded alerts go (AlertRecorder's), each side apart: the incident they join (IncidentChoice: the
 * group's, a new one, a storm's), the timeline's events, the notices, the storm's telling of the alerts it brings.
 */
export class AlertPlacement {
  constructor(
    private readonly rules: ReadonlyMap<string, AlertRule>,
    maxIncidents: number,
    /** Whether a title declares a private (security) incident, as IncidentService's policy says. */
    private readonly sensitive: (title: string) => boolean,
    /** A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP). */
    stormReturnGapMs: number,
  ) {
    this.choice = new IncidentChoice(rules, maxIncidents, stormReturnGapMs, this.sideOf);
  }

  /** Which alert incident a group's alerts go to (storm control's cap among it). */
  private readonly choice: IncidentChoice;

  /**
   * Where a group's touched alerts go: the incident they join (opened for them if need be), the timeline's events, the
   * notices; what it changed goes in `changes`.
   */
  async place(
    tx: Queryable,
    d: { source: string; groupKey: string },
    touched: Touched[],
    batch: Batch,
    changes: Changes,
  ): Promise<void> {
    // Each side apart: a security alert of a group whose incident is public opens (or joins) a private one, so that
    // its summary is not on a card for all. A group with a private incident (open, or opened now) keeps every alert
    // of it with that incident, of every level: an ordinary critical alert's public incident, or a warning's notice,
    // in the incidents channel would name the host and addresses the security incident is about. (Alerts already in
    // the group's public incident, opened before the security alert came, stay there.)
    const side = (t: Touched): Side => this.sideOfAlert(t.alert);
    const keptPrivate =
      batch.own.has(ownKey(d.source, d.groupKey, 'private')) ||
      touched.some((t) => needsIncident(t) && side(t) === 'private');
    const sides = new Map<Side, Touched[]>();
    for (const t of touched) {
      const s = keptPrivate ? 'private' : side(t);
      sides.set(s, [...(sides.get(s) ?? []), t]);
    }
    for (const [side, part] of sides) await this.placeSide(tx, d, part, batch, changes, side);
  }

  /** The side of an alert: private when its title would declare a private incident (a security alert). */
  private sideOfAlert(alert: Pick<AlertRow, 'summary' | 'name' | 'rule'>): Side {
    const title = alertTitle(alert.summary, alert.name);
    return securityAlert(this.rules, this.sensitive, { rule: alert.rule, title }) ? 'private' : 'public';
  }

  /** The side of an alert incident: its incident's, or, not declared yet, the one its title will give it. */
  readonly sideOf = (ai: AlertIncidentRow, isPrivate: boolean | null): Side =>
    (isPrivate ?? (ai.security || securityAlert(this.rules, this.sensitive, ai))) ? 'private' : 'public';

  /** place, for the alerts of one side. */
  private async placeSide(
    tx: Queryable,
    d: { source: string; groupKey: string },
    touched: Touched[],
    batch: Batch,
    changes: Changes,
    side: Side,
  ): Promise<void> {
    const { plan } = changes;
    const target = await this.choice.incidentFor(tx, d, touched, plan, batch, side);
    /** Alerts that fire joining a storm's incident declared before them (see stormJoined). */
    const intoStorm: AlertRow[] = [];

    for (const t of touched) {
      let ai = isOpen(t.was) ? t.was : null;
      // An alert still in an incident that is over (resolved while it fired) stays there: it joins nothing.
      const joins = target !== null && !t.was && (target.group || needsIncident(t));
      if (target && joins) {
        // Written with the batch's other changes (flush), before anything reads it.
        batch.links.set(t.alert.id, target.ai.id);
        ai = target.ai;
        // Info alerts are recorded only: not told. Those joining one this recording opened are in its opening.
        const opening = target.created || batch.opened.has(target.ai.id);
        if (!opening && target.ai.storm && t.alert.status === 'firing' && t.alert.level !== 'info')
          intoStorm.push(t.alert);
        // Fired again after its incident was resolved, and sent to another group's open one (a storm's): the resolved one's
        // channel is told where it went (its card alone said it is no longer followed there), with Reopen.
        if (
          !opening &&
          target.ai.storm &&
          (target.ai.source !== d.source || target.ai.groupKey !== d.groupKey) &&
          t.previousIncidentId !== null &&
          t.previousIncidentId !== target.ai.incidentId &&
          t.alert.status === 'firing' &&
          t.alert.level !== 'info'
        ) {
          const from = t.previousIncidentId;
          const same = plan.find(
            (s): s is Extract<AlertStep, { kind: 'fired_elsewhere' }> =>
              s.kind === 'fired_elsewhere' && s.from === from && s.alertIncident === target.ai.id,
          );
          if (same) same.alerts.push(t.alert.id);
          else plan.push({ kind: 'fired_elsewhere', alertIncident: target.ai.id, from, alerts: [t.alert.id] });
        }
      }
      // An alert still in an incident resolved while it fired: its card keeps showing what the alert does (its
      // resolution, a firing again), not its repeats; nothing else is said in a resolved incident.
      const over = !ai && t.was?.state === 'declared' && t.was.incidentId !== null ? t.was : null;
      if (over && (t.transition === 'fired' || t.transition === 'resolved')) {
        if (!changes.changed.has(over.id)) changes.changed.set(over.id, over);
        changes.cards.set(over.id, over.incidentId!);
        changes.major.add(over.id);
      }
      // Its previous row, closed as it fired again: that incident's card shows it no longer followed there.
      const left = t.closedIn;
      if (left?.state === 'declared' && left.incidentId !== null) {
        if (!changes.changed.has(left.id)) changes.changed.set(left.id, left);
        changes.cards.set(left.id, left.incidentId);
        changes.major.add(left.id);
      }
      batch.latest.set(alertKey(t.alert), {
        alert: { ...t.alert, alertIncidentId: ai?.id ?? t.alert.alertIncidentId },
        alertIncident: ai ?? t.was,
      });
      if (ai) {
        if (!changes.changed.has(ai.id)) changes.changed.set(ai.id, ai);
        if (t.transition === 'resolved') changes.resolved.add(ai.id);
        if (t.transition !== 'repeat' || joins || t.levelChanged) changes.major.add(ai.id);
        // An incident still being declared gets its card (with every alert recorded by then) once it is declared.
        if (ai.state === 'declared' && ai.incidentId !== null) changes.cards.set(ai.id, ai.incidentId);
        // The timeline: first firing (or joining an incident firing) and resolution; a declaring incident gets its
        // alerts' events when it is made whole.
        if (ai.state === 'declared' && ai.incidentId) {
          const kind =
            t.transition === 'resolved'
              ? 'alert_resolved'
              : t.alert.status === 'firing' && (t.transition === 'fired' || joins)
                ? 'alert_fired'
                : null;
          if (kind) await insertEvent(tx, ai.incidentId, kind, null, alertEventDetails(t.alert));
          // Firing again after the incident it was in was resolved, and joining this one (a storm's, a group's): its
          // timeline names the earlier incident, as the card of one it opens does (a private one unnamed).
          if (kind === 'alert_fired' && t.previousIncidentId !== null && t.previousIncidentId !== ai.incidentId) {
            const before = await getIncident(tx, t.previousIncidentId);
            if (before) {
              const where = before.private ? 'a private incident' : `incident #${before.number}`;
              await insertEvent(tx, ai.incidentId, 'note', null, {
                text: `The alert ${t.alert.name} was in ${where} before, resolved; it fired again and joined this incident`,
              });
            }
          }
        }
        // A critical alert joining an incident declared before it (from a warning at a lower severity, say): its
        // channel is told if the incident is less severe than the alert's row declares.
        const critical = t.alert.level === 'critical' && t.alert.status === 'firing';
        // Several in one delivery (a group's): one message names them all.
        if (critical && (joins || t.becameCritical) && ai.state === 'declared' && ai.incidentId) {
          const incident = ai.incidentId;
          const same = plan.find(
            (s): s is Extract<AlertStep, { kind: 'outranked' }> => s.kind === 'outranked' && s.incident === incident,
          );
          if (same) same.alerts = [...(same.alerts ?? [same.alert]), t.alert.id];
          else plan.push({ kind: 'outranked', alert: t.alert.id, alerts: [t.alert.id], incident });
        }
        // A noticed alert that joins an incident (a critical one once its maintenance window is over): its notice
        // says which, after the declaration if it is the plan's. One declared from its notice that resolves, or fires
        // again, or whose level changes (critical, then a warning again): its notice shows it, as the card does (the
        // incidents channel would say it still fires, or is critical).
        const shownChange = t.transition === 'fired' || t.transition === 'resolved' || t.levelChanged;
        if (t.alert.noticePlanned && (joins || shownChange)) planNoticeStep(plan, t.alert);
        continue;
      }
      const notice = noticed(t);
      if (notice && t.alert.status === 'firing' && !t.alert.noticePlanned) {
        // A group's alerts share one notice: a delivery of 100 warnings is one notice, updated, not 100.
        const lead = await planNotice(tx, t.alert);
        planNoticeStep(plan, { id: t.alert.id, noticeLead: lead === t.alert.id ? null : lead });
      } else if (
        notice &&
        t.alert.noticePlanned &&
        (t.transition === 'fired' || t.transition === 'resolved' || t.newsInRepeat || t.levelChanged)
      ) {
        // A repeat is shown only when it says something new (`p95 3s`, then `p95 12s`): not every resend.
        planNoticeStep(plan, t.alert);
      }
    }
    if (target && intoStorm.length > 0) await this.stormJoined(tx, target.ai, intoStorm, plan, batch, target.why);
  }

  /**
   * Alerts a storm sent to an incident declared before them: those of a name the incident has no alert of yet are told
   * in its channel (one step for them all), as the card alone said it; more of a name it has are the card's. Read in
   * this transaction, after the batch's earlier groups are written: the first group to bring a name tells it. The
   * incident may still be being declared (its card up, its pages going out): they are told once it is.
   */
  private async stormJoined(
    tx: Queryable,
    ai: AlertIncidentRow,
    alerts: AlertRow[],
    plan: AlertStep[],
    batch: Batch,
    why: JoinedWhy | undefined,
  ): Promise<void> {
    await flush(tx, batch);
    const names = [...new Set(alerts.map((a) => a.name))];
    const known = await namesInIncident(
      tx,
      { alertIncident: ai.id, incident: ai.incidentId },
      names,
      alerts.map((a) => a.id),
    );
    const fresh = alerts.filter((a) => !known.has(a.name)).map((a) => a.id);
    // Told once it is declared (a storm's first minute: it may still be).
    if (fresh.length > 0) plan.push({ kind: 'joined', alertIncident: ai.id, alerts: fresh, ...(why ? { why } : {}) });
  }
}
