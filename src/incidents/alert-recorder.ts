import { type AlertIdentity, alertKey, closeFiredAgain, insertAlert, latestAlerts } from '../store/alert.repo.js';
import { cardDueLater } from '../store/alert-card.repo.js';
import { type DeliveryRow, markRecorded } from '../store/alert-delivery.repo.js';
import { clearMaintenance } from '../store/alert-held-back.repo.js';
import {
  type AlertIncidentRow,
  keepGroupTruncated,
  openAlertIncidentsOfGroups,
  ownKey,
} from '../store/alert-incident.repo.js';
import { groupLockKey, lockKeys } from '../store/alert-lock.repo.js';
import { keepNoticeLeftOut } from '../store/alert-notice.repo.js';
import type { Queryable } from '../store/db.js';
import { type Changes, noChanges, planNoticeStep, settle } from './alert-changes.js';
import { AlertPlacement } from './alert-placement.js';
import type { MaintenanceWindows } from './alert-ports.js';
import {
  type Batch,
  changeAlert,
  flush,
  isClosed,
  isOpen,
  lateCopy,
  newBatch,
  sameFiring,
  type Touched,
  type Transition,
} from './alert-rows.js';
import { DEFAULT_STORM_RETURN_GAP_MS } from './alert-storm-notes.js';
import type { AlertFormat, AlertRule, AlertStep, IncomingAlert } from './alert-types.js';

export {
  DEFAULT_STORM_RETURN_GAP_MS,
  pastCapNote,
  STORM_WINDOW_MS,
  stormBackNote,
  stormNote,
} from './alert-storm-notes.js';

/** How soon a card shows repeats of its alerts, by default (ALERTS_REPEAT_REFRESH). */
export const DEFAULT_REPEAT_REFRESH_MS = 10_000;

/** A group's deliveries recorded: what is left to do (held by its last delivery, `last`), and whether it is open. */
export interface RecordedGroup {
  /** The group's lock key (source and group key). */
  group: string;
  last: number;
  plan: AlertStep[];
  open: boolean;
}

/** A hook delivery's format; the inbox's own plans (a maintenance window over, a heartbeat) carry no alerts to record. */
function alertFormat(d: Pick<DeliveryRow, 'id' | 'format'>): AlertFormat {
  if (d.format === 'alertmanager' || d.format === 'generic') return d.format;
  throw new Error(`delivery ${d.id} is a ${d.format} plan, not alerts to record`);
}

/** The identity of an alert a delivery carries: its source, its format, its fingerprint (or generic key). */
const identity = (d: Pick<DeliveryRow, 'id' | 'source' | 'format'>, fingerprint: string): AlertIdentity => ({
  source: d.source,
  format: alertFormat(d),
  fingerprint,
});

/**
 * Records deliveries of one group, oldest first, in the caller's transaction, and decides what they lead to (one
 * plan: declarations and notices in the order they came, then each changed card once, then the offers to resolve).
 * Per alert: a new row (first seen, or firing again after its incident was resolved), or its row updated (state,
 * last seen, count). Per group: critical alerts that fire without an open incident get one (declared by the plan's
 * first step), unless storm control sends them to the source's latest open one; every alert of a group with an
 * incident joins it. The timeline gets each alert's first firing and its resolution (not repeats); warnings without
 * an incident get a notice, as do critical alerts a maintenance window holds back (released, and declared, once no
 * window holds them: releaseFromMaintenance). A storm's repeats arrive faster than they are recorded one by one, so a group's waiting
 * deliveries are recorded together: its lock, rows and plan cost one round trip each, not one per delivery.
 */
export class AlertRecorder {
  constructor(
    private readonly rules: ReadonlyMap<string, AlertRule>,
    maxIncidents: number,
    private readonly maintenance: MaintenanceWindows,
    /** Whether a title declares a private (security) incident, as IncidentService's policy says. */
    sensitive: (title: string) => boolean = () => false,
    /** A card shows repeats of its alerts this long after, at most (ALERTS_REPEAT_REFRESH). */
    private readonly repeatRefreshMs = DEFAULT_REPEAT_REFRESH_MS,
    /** A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP). */
    stormReturnGapMs = DEFAULT_STORM_RETURN_GAP_MS,
  ) {
    this.placement = new AlertPlacement(rules, maxIncidents, sensitive, stormReturnGapMs);
  }

  /** Where the recorded alerts go: the incident they join, the timeline, the notices. */
  private readonly placement: AlertPlacement;

  /**
   * Records the deliveries (of one group or several, each group's in the order they came), group by group in the
   * order of their first delivery. Per group: its plan (held by its last delivery), and whether the group has an open
   * alert incident now (its next deliveries will join it).
   */
  async record(tx: Queryable, deliveries: readonly DeliveryRow[]): Promise<RecordedGroup[]> {
    const groups = new Map<string, DeliveryRow[]>();
    for (const d of [...deliveries].sort((a, b) => a.id - b.id)) {
      const key = groupLockKey(d.source, d.groupKey);
      const list = groups.get(key) ?? [];
      list.push(d);
      groups.set(key, list);
    }
    // Every group at once, in one order (never two groups' locks the other way round); the source's lock is taken
    // after, only to open an incident, for storm control counts per source.
    await lockKeys(tx, [...groups.keys()]);
    // What the deliveries need to know, read once for all of them under the locks: a storm's batch of repeats is a
    // few statements, however many groups and alerts it holds.
    const heads = [...groups.values()].map((list) => list[0]!);
    const alerts = new Map<string, AlertIdentity>();
    for (const d of deliveries) {
      for (const a of d.alerts) {
        const id = identity(d, a.fingerprint);
        alerts.set(alertKey(id), id);
      }
    }
    const batch = newBatch({
      latest: await latestAlerts(tx, [...alerts.values()]),
      own: await openAlertIncidentsOfGroups(tx, heads, this.placement.sideOf),
    });
    const recorded: RecordedGroup[] = [];
    /** Cards with only repeats to show (counts, last seen): refreshed a while later, by the alert loop's sweep. */
    const repeats: number[] = [];
    for (const [key, list] of groups) {
      const r = await this.recordGroup(tx, list, batch);
      repeats.push(...r.repeats);
      recorded.push({ group: key, last: r.last, plan: r.plan, open: r.open });
    }
    await flush(tx, batch);
    await cardDueLater(tx, repeats, this.repeatRefreshMs);
    await markRecorded(
      tx,
      deliveries.map((d) => d.id),
      recorded.map((r) => ({ id: r.last, plan: r.plan })),
    );
    return recorded;
  }

  private async recordGroup(
    tx: Queryable,
    deliveries: readonly DeliveryRow[],
    batch: Batch,
  ): Promise<{ last: number; plan: AlertStep[]; open: boolean; repeats: number[] }> {
    const changes = noChanges();
    for (const d of deliveries)
      await this.placement.place(tx, d, await this.recordAlerts(tx, d, batch), batch, changes);
    await this.keepTruncated(tx, deliveries[deliveries.length - 1]!, batch, changes);
    await this.keepNoticeLeftOut(tx, deliveries[deliveries.length - 1]!, changes.plan);
    const repeats = await settle(tx, changes, batch);
    return {
      last: deliveries[deliveries.length - 1]!.id,
      plan: changes.plan,
      open: ownOf(batch, deliveries[0]!) !== null,
      repeats,
    };
  }

  /**
   * What the group's latest delivery says of the alerts its source left out, kept for its notice (the notice says so):
   * its count changed, the notice is updated. No statement while nothing is left out and no notice is planned.
   */
  private async keepNoticeLeftOut(tx: Queryable, last: DeliveryRow, plan: AlertStep[]): Promise<void> {
    const leads = plan.flatMap((s) => (s.kind === 'notice' ? [s.alert] : []));
    if (last.truncated === 0 && leads.length === 0) return;
    for (const id of await keepNoticeLeftOut(tx, last.source, last.groupKey, last.truncated, leads))
      planNoticeStep(plan, { id, noticeLead: null });
  }

  /**
   * What the group's latest delivery says of the alerts its source left out (Alertmanager's max_alerts), kept for the
   * open alert incident its alerts are in: the group's own, or the storm's it joined. The card says so, at once when
   * the count changes. No statement while nothing is left out, nor while a group alone in its incident leaves out as
   * many as before.
   */
  private async keepTruncated(tx: Queryable, last: DeliveryRow, batch: Batch, changes: Changes): Promise<void> {
    const found = ownOf(batch, last);
    const own = found?.ai;
    const ai = own ?? this.joined(last, batch);
    if (!ai || (ai.truncated === 0 && last.truncated === 0)) return;
    if (own && !own.storm && own.truncated === last.truncated) return;
    const sum = await keepGroupTruncated(tx, ai.id, last, last.truncated);
    if (sum === null) return;
    if (found) batch.own.set(found.key, { ...found.ai, truncated: sum });
    const candidates = batch.sources.get(last.source)?.candidates;
    for (const side of ['public', 'private'] as const)
      for (const c of candidates?.[side] ?? []) if (c.ai.id === ai.id) c.ai = { ...c.ai, truncated: sum };
    if (!changes.changed.has(ai.id)) changes.changed.set(ai.id, ai);
    changes.major.add(ai.id);
    if (ai.state === 'declared' && ai.incidentId !== null) changes.cards.set(ai.id, ai.incidentId);
  }

  /** The open alert incident a group's alerts joined (a storm's), as the batch last saw it; null when none. */
  private joined(d: DeliveryRow, batch: Batch): AlertIncidentRow | null {
    const candidates = batch.sources.get(d.source)?.candidates;
    const kept = [...(candidates?.public ?? []), ...(candidates?.private ?? [])].map((c) => c.ai);
    for (const a of d.alerts) {
      const ai = batch.latest.get(alertKey(identity(d, a.fingerprint)))?.alertIncident;
      if (ai && isOpen(ai)) return kept.find((k) => k.id === ai.id) ?? ai;
    }
    return null;
  }

  /**
   * Whether a maintenance window holds an alert back: its runbook row says `during_maintenance: record` and a window
   * was open at `at` (a delivery's receipt when it is recorded; now when the sweep asks whether to release it).
   */
  async heldBack(source: string, a: Pick<IncomingAlert, 'rule' | 'name' | 'service' | 'labels'>, at: Date) {
    const rule = a.rule ? this.rules.get(a.rule) : undefined;
    return (
      rule?.duringMaintenance === 'record' &&
      (await this.maintenance.inMaintenance({ source, name: a.name, service: a.service, labels: a.labels }, at))
    );
  }

  /**
   * Alerts of one group recorded during a maintenance window (held back, as their rows say) that still fire now no
   * window holds them: handled as a delivery of them would be handled now, so a critical one is declared (or joins its
   * group's incident), a warning gets its notice, a card drops its "maintenance" mark; but nothing is counted or seen,
   * since no delivery came. In the caller's transaction, under the group's lock, reading the rows again: an alert
   * another process released first, or that resolved or fired anew meanwhile, is left alone, so each is released once
   * whatever the replicas. Returns the plan (what is left to do outside the database), empty when nothing was
   * released.
   */
  async releaseFromMaintenance(
    tx: Queryable,
    group: { source: string; groupKey: string },
    alerts: readonly Pick<AlertIdentity, 'format' | 'fingerprint'>[],
    at: Date,
  ): Promise<AlertStep[]> {
    const { source, groupKey } = group;
    await lockKeys(tx, [groupLockKey(source, groupKey)]);
    const ids = alerts.map((a) => ({ source, format: a.format, fingerprint: a.fingerprint }));
    const batch = newBatch({
      latest: await latestAlerts(tx, ids),
      own: await openAlertIncidentsOfGroups(tx, [group], this.placement.sideOf),
    });
    const touched: Touched[] = [];
    for (const id of ids) {
      const latest = batch.latest.get(alertKey(id));
      if (!latest?.alert.maintenance || latest.alert.status !== 'firing' || latest.alert.groupKey !== groupKey)
        continue;
      if (await this.heldBack(source, latest.alert, at)) continue;
      touched.push({
        alert: { ...latest.alert, maintenance: false },
        transition: 'repeat',
        was: latest.alertIncident,
        previousIncidentId: null,
      });
    }
    if (touched.length === 0) return [];
    await clearMaintenance(
      tx,
      touched.map((t) => t.alert.id),
    );
    const changes = noChanges();
    await this.placement.place(tx, group, touched, batch, changes);
    // Each notice showing one said the window holds it back: it no longer does (one in an incident since included).
    for (const t of touched) if (t.alert.noticePlanned) planNoticeStep(changes.plan, t.alert);
    await cardDueLater(tx, await settle(tx, changes, batch), this.repeatRefreshMs);
    await flush(tx, batch);
    return changes.plan;
  }

  /** Records the alerts of a delivery: what became of each (not those this delivery was recorded for already). */
  private async recordAlerts(tx: Queryable, d: DeliveryRow, batch: Batch): Promise<Touched[]> {
    const touched: Touched[] = [];
    for (const a of d.alerts) {
      const t = await this.recordAlert(tx, d, a, batch);
      if (t) touched.push(t);
    }
    return touched;
  }

  /**
   * Records one alert of the delivery; null when this delivery was recorded for it already. A new row is written at
   * once (its id is needed); a change of a row is kept with the batch's others, written together (see flush).
   */
  private async recordAlert(tx: Queryable, d: DeliveryRow, a: IncomingAlert, batch: Batch): Promise<Touched | null> {
    const key = alertKey(identity(d, a.fingerprint));
    const latest = batch.latest.get(key) ?? null;
    // A late copy of an earlier state (a resolution of an earlier firing, a firing already over): nothing changes.
    if (latest && latest.alert.lastDeliveryId < d.id && lateCopy(latest.alert, a, d.receivedAt)) return null;
    // Judged when the delivery was received, as its times are: one that came during a window and is recorded after it
    // (a backlog, a database outage) is held back (and released by the sweep if it still fires), and the reverse.
    // Not one in an incident already (declared before the window opened, or by a person from its notice).
    const inIncident = isOpen(latest?.alertIncident ?? null);
    const maintenance = !inIncident && (await this.heldBack(d.source, a, d.receivedAt));
    // A new row for a first firing, or one after its row is over (its incident resolved, or resolved itself without
    // one); not for a resend of the firing its incident was resolved during, which stays there (see sameFiring).
    const firesAgain =
      latest !== null &&
      a.status === 'firing' &&
      isClosed(latest.alert, latest.alertIncident) &&
      !(latest.alertIncident?.incidentStatus === 'resolved' && sameFiring(latest.alert, a));
    if (!latest || firesAgain) {
      // Still firing in its resolved incident: that row is no longer followed (its next resolution comes to the new
      // row), and says so; its changes in this batch are written first.
      if (latest && latest.alert.status === 'firing') {
        if (batch.pending.has(latest.alert.id)) await flush(tx, batch);
        await closeFiredAgain(tx, latest.alert.id, d.receivedAt);
      }
      const alert = await insertAlert(tx, d.source, alertFormat(d), d.groupKey, a, d.id, maintenance, d.receivedAt);
      batch.latest.set(key, { alert, alertIncident: null });
      const previousIncidentId =
        latest?.alertIncident?.incidentStatus === 'resolved' ? latest.alertIncident.incidentId : null;
      const closedIn = latest?.alert.status === 'firing' ? latest.alertIncident : null;
      return {
        alert,
        transition: a.status === 'firing' ? 'fired' : 'still_resolved',
        was: null,
        previousIncidentId,
        closedIn,
      };
    }
    if (latest.alert.lastDeliveryId >= d.id) return null;
    const before = latest.alert.status;
    const wasCritical = latest.alert.level === 'critical';
    const alert = changeAlert(batch, latest.alert, a, d.id, maintenance, d.receivedAt);
    batch.latest.set(key, { alert, alertIncident: latest.alertIncident });
    const transition: Transition =
      before === 'firing'
        ? a.status === 'firing'
          ? 'repeat'
          : 'resolved'
        : a.status === 'firing'
          ? 'fired'
          : 'still_resolved';
    return {
      alert,
      transition,
      was: latest.alertIncident,
      previousIncidentId: null,
      becameCritical: !wasCritical && alert.level === 'critical',
      levelChanged: latest.alert.level !== alert.level || latest.alert.rule !== alert.rule,
      newsInRepeat:
        transition === 'repeat' && (latest.alert.value !== alert.value || latest.alert.summary !== alert.summary),
    };
  }
}

/** A group's open alert incident (either side's: the public one first) and its key in the batch; null: none. */
function ownOf(batch: Batch, d: { source: string; groupKey: string }): { key: string; ai: AlertIncidentRow } | null {
  for (const side of ['public', 'private'] as const) {
    const key = ownKey(d.source, d.groupKey, side);
    const ai = batch.own.get(key);
    if (ai) return { key, ai };
  }
  return null;
}
