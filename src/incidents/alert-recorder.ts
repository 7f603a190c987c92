import {
  type AlertIdentity,
  type AlertRow,
  alertKey,
  closeFiredAgain,
  insertAlert,
  latestAlerts,
  namesInIncident,
} from '../store/alert.repo.js';
import { alertCounts, cardDueLater } from '../store/alert-card.repo.js';
import { type DeliveryRow, markRecorded } from '../store/alert-delivery.repo.js';
import { clearMaintenance } from '../store/alert-held-back.repo.js';
import {
  type AlertIncidentRow,
  insertAlertIncident,
  keepGroupTruncated,
  openAlertIncidentsOfGroups,
  ownKey,
  type Side,
  setAllResolved,
} from '../store/alert-incident.repo.js';
import { groupLockKey, lockKeys, lockSource } from '../store/alert-lock.repo.js';
import { keepNoticeLeftOut, planNotice } from '../store/alert-notice.repo.js';
import {
  countRecentAlertIncidentsBySide,
  markStorm,
  moveStormBack,
  openAlertIncidentsOfSource,
  type StormCandidate,
  stormMoved,
} from '../store/alert-storm-control.repo.js';
import type { Queryable } from '../store/db.js';
import { insertEvent } from '../store/event.repo.js';
import { getIncident } from '../store/incident.repo.js';
import { labelSeverity } from './alert-formats.js';
import type { MaintenanceWindows } from './alert-ports.js';
import {
  alertEventDetails,
  alertTitle,
  type Batch,
  changeAlert,
  flush,
  groupTitle,
  isClosed,
  isOpen,
  lateCopy,
  needsIncident,
  newBatch,
  noticed,
  retitle,
  sameFiring,
  securityAlert,
  type Touched,
  type Transition,
} from './alert-rows.js';
import {
  type AlertFormat,
  type AlertRule,
  type AlertStep,
  type IncomingAlert,
  type JoinedWhy,
  type PastCapView,
  pressingCount,
} from './alert-types.js';
import type { Severity } from './severity.js';

/** Storm control's window: at most `maxIncidents` incidents opened from one source's alerts in it. */
export const STORM_WINDOW_MS = 10 * 60_000;

/** The timeline's note of a storm joining an incident (its channel and the incidents channel are told apart). */
export const stormNote = (source: string) =>
  `Alert storm: ${source} reached its cap of incidents from alerts in ${STORM_WINDOW_MS / 60_000} minutes (ALERTS_MAX_INCIDENTS); its further critical alerts join this incident`;
/** The timeline's note of an incident storm control opened past the cap, its alerts more severe than any open. */
export const pastCapNote = (v: PastCapView) =>
  `Opened past the storm cap: ${v.source} had opened its ${v.maxIncidents} incidents from alerts in ${STORM_WINDOW_MS / 60_000} minutes (ALERTS_MAX_INCIDENTS), but these alerts declare SEV-${v.severity}, more severe than every incident of it open (the most severe SEV-${v.than}), so none took them`;
/** The timeline's note of a storm back at an incident it had left (told again, as when it first joined it). */
export const stormBackNote = (source: string) =>
  `Alert storm: ${source}'s further critical alerts join this incident again, the storm's incident once more`;
/**
 * A storm back at an incident it moved to or from less than this long ago is a flap, not told again, by default
 * (ALERTS_STORM_RETURN_GAP).
 */
export const DEFAULT_STORM_RETURN_GAP_MS = 10 * 60_000;
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

/** What a batch's deliveries changed, for the plan's last steps. */
interface Changes {
  plan: AlertStep[];
  /** Alert incidents whose card shows a change, and their incidents. */
  cards: Map<number, number>;
  /** Every alert incident changed, as it was before the batch: whether all its alerts have resolved is seen after. */
  changed: Map<number, AlertIncidentRow>;
  /** Alert incidents one of whose alerts resolved in the batch. */
  resolved: Set<number>;
  /** Alert incidents changed by more than repeats (an alert new to it, fired again, resolved): its card at once. */
  major: Set<number>;
}

const noChanges = (): Changes => ({
  plan: [],
  cards: new Map(),
  changed: new Map(),
  resolved: new Set(),
  major: new Set(),
});

/** The least severe of open incidents (the first of those alike, in their order), or undefined when there are none. */
const leastSevere = (candidates: readonly StormCandidate[]): StormCandidate | undefined =>
  candidates.reduce<StormCandidate | undefined>((a, c) => (!a || c.severity > a.severity ? c : a), undefined);

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
    private readonly maxIncidents: number,
    private readonly maintenance: MaintenanceWindows,
    /** Whether a title declares a private (security) incident, as IncidentService's policy says. */
    private readonly sensitive: (title: string) => boolean = () => false,
    /** A card shows repeats of its alerts this long after, at most (ALERTS_REPEAT_REFRESH). */
    private readonly repeatRefreshMs = DEFAULT_REPEAT_REFRESH_MS,
    /** A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP). */
    private readonly stormReturnGapMs = DEFAULT_STORM_RETURN_GAP_MS,
  ) {}

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
      own: await openAlertIncidentsOfGroups(tx, heads, this.sideOf),
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
    for (const d of deliveries) await this.place(tx, d, await this.recordAlerts(tx, d, batch), batch, changes);
    await this.keepTruncated(tx, deliveries[deliveries.length - 1]!, batch, changes);
    await this.keepNoticeLeftOut(tx, deliveries[deliveries.length - 1]!, changes.plan);
    const repeats = await this.settle(tx, changes, batch);
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
      own: await openAlertIncidentsOfGroups(tx, [group], this.sideOf),
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
    await this.place(tx, group, touched, batch, changes);
    // Each notice showing one said the window holds it back: it no longer does (one in an incident since included).
    for (const t of touched) if (t.alert.noticePlanned) planNoticeStep(changes.plan, t.alert);
    await cardDueLater(tx, await this.settle(tx, changes, batch), this.repeatRefreshMs);
    await flush(tx, batch);
    return changes.plan;
  }

  /**
   * The last steps of a plan, once its alerts are placed: each changed card (at once for more than repeats; the
   * alert incidents returned show repeats only, refreshed a while later), and the offers to resolve.
   */
  private async settle(tx: Queryable, changes: Changes, batch: Batch): Promise<number[]> {
    const { plan } = changes;
    const repeats: number[] = [];
    for (const [id, ai] of changes.changed) {
      const incident = changes.cards.get(id);
      if (incident !== undefined && changes.major.has(id)) plan.push({ kind: 'card', alertIncident: id, incident });
      else if (incident !== undefined) repeats.push(id);
      // Whether every alert has resolved changes only with a resolution, or when they all had and one fired again.
      if (!changes.resolved.has(id) && !ai.allResolvedAt) continue;
      await flush(tx, batch);
      const counts = await alertCounts(tx, [id]);
      // Info alerts are recorded only: one still firing keeps no incident open.
      const firing = pressingCount(counts);
      if (firing === 0 && counts.total > 0 && !ai.allResolvedAt) {
        await setAllResolved(tx, id, true);
        plan.push({ kind: 'all_resolved', alertIncident: id });
      } else if (firing > 0 && ai.allResolvedAt) {
        await setAllResolved(tx, id, false);
        // Its channel was told every alert had resolved and offered Resolve incident: told this one fires again.
        if (ai.state === 'declared' && ai.incidentStatus !== 'resolved') {
          plan.push({ kind: 'fired_again', alertIncident: id });
        }
      }
    }
    return repeats;
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
   * Where a group's touched alerts go: the incident they join (opened for them if need be), the timeline's events, the
   * notices; what it changed goes in `changes`.
   */
  private async place(
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

  /** The severity a critical alert declares: its row's; with none, the SEV its severity label names (`sev0`), else SEV-1. */
  private severityOf(alert: Pick<AlertRow, 'rule' | 'labels'>): Severity {
    const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
    return rule?.severity ?? labelSeverity(alert.labels?.severity) ?? 1;
  }

  /** The side of an alert incident: its incident's, or, not declared yet, the one its title will give it. */
  private readonly sideOf = (ai: AlertIncidentRow, isPrivate: boolean | null): Side =>
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
    const target = await this.incidentFor(tx, d, touched, plan, batch, side);
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

  /**
   * The alert incident this delivery's alerts go to: the group's open one; else, when a critical alert fires outside
   * any open incident (and not in a maintenance window its row heeds), a new one, or past the storm cap the source's
   * latest open one, marked a storm (the group's own from then on). `group`: every alert of the delivery joins it;
   * `created`: it is new (its card comes with its declaration).
   */
  private async incidentFor(
    tx: Queryable,
    d: { source: string; groupKey: string },
    touched: Touched[],
    plan: AlertStep[],
    batch: Batch,
    side: Side,
  ): Promise<{ ai: AlertIncidentRow; group: boolean; created: boolean; why?: JoinedWhy | undefined } | null> {
    const group = ownKey(d.source, d.groupKey, side);
    const own = batch.own.get(group);
    if (own) return { ai: own, group: true, created: false };
    const lead = touched.filter(needsIncident);
    const first = lead[0];
    if (!first) return null;
    // The source's lock and count once per transaction: a storm's batch opens (or joins) each group's incident in one
    // round trip, not three.
    let source = batch.sources.get(d.source);
    if (!source) {
      await lockSource(tx, d.source);
      source = { opened: await countRecentAlertIncidentsBySide(tx, d.source, STORM_WINDOW_MS, this.sideOf) };
      batch.sources.set(d.source, source);
    }
    // The severity the alerts declare: their rows' (with none, the SEV a severity label names, else SEV-1); the most
    // severe of them decides whether any open incident may take them.
    const wanted = Math.min(...lead.map((t) => this.severityOf(t.alert))) as Severity;
    /** Past the cap, opened all the same: every open incident it could join is less severe than its alerts. */
    let pastCap: { than: Severity } | null = null;
    // A security alert joins only a private incident (on a public one its summary would be on the card for all), and
    // any other alert only a public one (in a private one it would be hidden from all but its few members).
    if (source.opened[side] >= this.maxIncidents) {
      source.candidates ??= {};
      let candidates = source.candidates[side];
      if (candidates === undefined) {
        candidates = (await openAlertIncidentsOfSource(tx, d.source, STORM_WINDOW_MS, this.stormReturnGapMs)).filter(
          (c) => this.sideOf(c.ai, c.isPrivate) === side,
        );
        // With the names of the alerts this batch put in them and has not written yet.
        const byId = new Map(candidates.map((c) => [c.ai.id, c]));
        for (const { alert } of batch.latest.values()) {
          const into = batch.links.get(alert.id) ?? alert.alertIncidentId;
          const c = into === null ? undefined : byId.get(into);
          c?.names.add(alert.name);
          if (c && alert.rule) c.rules.add(alert.rule);
        }
        source.candidates[side] = candidates;
      }
      // The cap stops a flood of one trouble opening dozens of channels; it never hides a more severe, different one
      // in a less severe incident (a database outage in a memory incident's channel): only one at least as severe
      // takes them. Of those, by preference one that has alerts of their name or row (the same trouble), else the
      // storm's (the latest opened).
      const fit = candidates.filter((c) => c.severity <= wanted);
      const sameName = fit.find((c) => lead.some((t) => c.names.has(t.alert.name)));
      const sameRow = sameName ?? fit.find((c) => lead.some((t) => t.alert.rule !== null && c.rules.has(t.alert.rule)));
      // Else the storm's incident: the one its incidents-channel message names now, while it may take them; else
      // (none yet, or it was resolved, or it is less severe than they are) the least severe that may (the first of
      // those in candidate order): never one more severe than they need while a closer one is open, nor one opened past
      // the cap for a worse trouble because it happens to be the latest.
      const isStorm = (c: StormCandidate) => c.storm;
      const fallback = fit.find(isStorm) ?? leastSevere(fit);
      const chosen = sameRow ?? fallback;
      const why: JoinedWhy = sameRow ? 'same_row' : 'storm';
      if (chosen) {
        const latest = chosen.ai;
        // The storm's incident from now on: not yet, or no longer (told again on its return, below).
        const movesHere = !sameRow && !isStorm(chosen);
        // Another group's alerts in it (what its notices, a declaring apart, a reopening read); marked by stormMoved
        // when the storm moves here.
        const linked = latest.storm || movesHere ? null : await markStorm(tx, latest.id);
        // Told when it becomes the storm's incident: the first time (not marked yet), or again when the storm comes back
        // to it (the storm's list names another, resolved since or unable to take these, or the storm is over), unless
        // it moved to or from this one less than ALERTS_STORM_RETURN_GAP ago, or the step telling it came here last has
        // not run yet, however short the gap (a flap: moved back silently; that step tells it).
        if (movesHere) {
          const back = latest.storm;
          const told = !back || !chosen.movedLately;
          const moved = await this.stormMoved(tx, d.source, side, candidates, chosen, back && told);
          // On its timeline (so in its post-mortem) too, once each time: here when it is linked to its incident as the
          // mark is made, else with its opening, whose link reads the mark (the two updates of its row take turns).
          if (told && moved.incidentId !== null)
            await insertEvent(tx, moved.incidentId, 'note', null, {
              text: back ? stormBackNote(d.source) : stormNote(d.source),
            });
          // Said when it becomes the storm's incident (its channel, and the incidents channel's one storm message), not
          // when alerts join one for having its alert: that one is not where the storm's other alerts go. A return is
          // claimed apart (`back`: the how-manieth), each told once.
          if (told)
            plan.push({
              kind: 'storm',
              alertIncident: latest.id,
              source: d.source,
              maxIncidents: this.maxIncidents,
              ...(back ? { back: moved.returns } : {}),
            });
          // A flap, told nowhere: the incidents channel's message (a public storm's) still names the incident the storm
          // left; it is updated to name this one, as its list (moved back by stormMoved) does. Not when no list named
          // it (its storm step, not run yet, is to tell it).
          else if (moved.listMoved === 'public')
            plan.push({
              kind: 'storm',
              alertIncident: latest.id,
              source: d.source,
              maxIncidents: this.maxIncidents,
              quiet: true,
            });
        } else if (sameRow && !candidates.some(isStorm)) {
          // The cap reached and no storm told yet, these alerts joining one that has their alert or row: the storm is
          // told all the same (people watching the incidents channel must learn that its alerts open no more
          // incidents), naming the incident its other alerts will join (the least severe open: not one opened past the
          // cap for a worse trouble), which may not be this one.
          const next = leastSevere(candidates);
          if (next && !next.ai.storm) {
            const moved = await this.stormMoved(tx, d.source, side, candidates, next, false);
            const stormLinked = next === chosen ? linked : moved.incidentId;
            if (stormLinked !== null) await insertEvent(tx, stormLinked, 'note', null, { text: stormNote(d.source) });
            plan.push({ kind: 'storm', alertIncident: next.ai.id, source: d.source, maxIncidents: this.maxIncidents });
            if (next !== chosen) next.ai = { ...next.ai, storm: true };
          }
        }
        const joined = { ...latest, storm: true };
        chosen.ai = joined;
        for (const t of lead) {
          chosen.names.add(t.alert.name);
          if (t.alert.rule) chosen.rules.add(t.alert.rule);
        }
        // Opened by this recording: its title counts the alerts it is declared with.
        retitle(
          batch,
          latest.id,
          lead.map((t) => t.alert),
        );
        // The group's incident from now on, as the next batch would find it (by its alerts): every alert of the
        // group joins it, its warnings and info ones too (a notice of their own would split the group).
        batch.own.set(group, joined);
        return { ai: joined, group: true, created: false, why: sameName ? undefined : why };
      }
      // Nothing open to join (or nothing private for a security alert), or nothing as severe: a new incident all the
      // same, for no critical alert goes without one, nor into a less severe one.
      const most = Math.min(...candidates.map((c) => c.severity));
      if (candidates.length > 0) pastCap = { than: most as Severity };
    }
    const rule = first.alert.rule ? this.rules.get(first.alert.rule) : undefined;
    // Its row's severity (the first alert's); past the cap for being more severe, the most severe of its alerts'.
    const severity = pastCap ? wanted : this.severityOf(first.alert);
    const previous = lead.map((t) => t.previousIncidentId).find((id) => id !== null) ?? null;
    const id = await insertAlertIncident(tx, {
      source: d.source,
      groupKey: d.groupKey,
      title: groupTitle(lead.map((t) => t.alert)),
      severity,
      rule: rule?.name ?? null,
      previousIncidentId: previous,
      // Its alerts' side, kept: the group's title, cut to fit, may no longer read as what they are.
      security: side === 'private',
    });
    plan.push({ kind: 'declare', alertIncident: id });
    // Its channel and the incidents channel are told why it was opened past the cap, once it is declared.
    if (pastCap)
      plan.push({
        kind: 'past_cap',
        alertIncident: id,
        source: d.source,
        maxIncidents: this.maxIncidents,
        severity,
        than: pastCap.than,
      });
    const ai: AlertIncidentRow = {
      id,
      source: d.source,
      groupKey: d.groupKey,
      state: 'declaring',
      incidentId: null,
      previousIncidentId: previous,
      title: '',
      severity,
      rule: rule?.name ?? null,
      declaredBy: null,
      attachedBy: null,
      storm: false,
      security: side === 'private',
      allResolvedAt: null,
      createdAt: new Date(),
      incidentStatus: null,
      cardDue: false,
      repeatsAt: null,
      truncated: 0,
    };
    batch.own.set(group, ai);
    batch.opened.set(id, { lead: lead.map((t) => t.alert), retitled: false });
    source.opened[side] += 1;
    // What a storm's next alerts of this recording may join (one being declared first).
    source.candidates?.[side]?.unshift({
      ai,
      isPrivate: null,
      severity,
      storm: false,
      movedLately: false,
      names: new Set(lead.map((t) => t.alert.name)),
      rules: new Set(lead.flatMap((t) => (t.alert.rule ? [t.alert.rule] : []))),
    });
    return { ai, group: true, created: true };
  }

  /**
   * The storm's further alerts go to `to` now: its row and the storm's incident until now (when open: it may be taken
   * back to, within ALERTS_STORM_RETURN_GAP a flap) note when (stormMoved), and `to` is the storm's incident for the
   * rest of the recording. Back at `to`, already in the storm's list: moved to its end (moveStormBack), in this
   * transaction, so that its step, and the storm's later steps, name the incidents in the order the storm went to them
   * (`listMoved`: which list).
   */
  private async stormMoved(
    tx: Queryable,
    source: string,
    side: Side,
    candidates: StormCandidate[],
    to: StormCandidate,
    told: boolean,
  ): Promise<{ incidentId: number | null; returns: number; listMoved: 'public' | 'private' | null }> {
    const from = candidates.find((c) => c.storm && c !== to) ?? null;
    const moved = await stormMoved(tx, to.ai.id, from?.ai.id ?? null, told);
    let listMoved: 'public' | 'private' | null = null;
    if (to.ai.storm && moved.incidentId !== null) {
      const list = (to.isPrivate ?? side === 'private') ? 'private' : 'public';
      if (await moveStormBack(tx, list, source, moved.incidentId, STORM_WINDOW_MS)) listMoved = list;
    }
    for (const c of candidates) c.storm = c === to;
    to.movedLately = true;
    if (from) from.movedLately = true;
    return { ...moved, listMoved };
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

/** Posting or updating the notice an alert is shown in (its lead's): once in a plan, however many of its alerts changed. */
function planNoticeStep(plan: AlertStep[], alert: Pick<AlertRow, 'id' | 'noticeLead'>): void {
  const lead = alert.noticeLead ?? alert.id;
  if (!plan.some((s) => s.kind === 'notice' && s.alert === lead)) plan.push({ kind: 'notice', alert: lead });
}
