import type { AlertRow } from '../store/alert.repo.js';
import { type AlertIncidentRow, insertAlertIncident, ownKey, type Side } from '../store/alert-incident.repo.js';
import { lockSource } from '../store/alert-lock.repo.js';
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
import { labelSeverity } from './alert-formats.js';
import { type Batch, groupTitle, needsIncident, retitle, type Touched } from './alert-rows.js';
import { STORM_WINDOW_MS, stormBackNote, stormNote } from './alert-storm-notes.js';
import type { AlertRule, AlertStep, JoinedWhy } from './alert-types.js';
import type { Severity } from './severity.js';

/** Where a group's alerts of one side go (incidentFor), and whether it is new. */
export interface IncidentTarget {
  ai: AlertIncidentRow;
  /** Every alert of the delivery joins it. */
  group: boolean;
  /** It is new (its card comes with its declaration). */
  created: boolean;
  why?: JoinedWhy | undefined;
}

/** The least severe of open incidents (the first of those alike, in their order), or undefined when there are none. */
const leastSevere = (candidates: readonly StormCandidate[]): StormCandidate | undefined =>
  candidates.reduce<StormCandidate | undefined>((a, c) => (!a || c.severity > a.severity ? c : a), undefined);

/**
 * Chooses the alert incident a group's alerts go to: the group's open one, a new one, or past the storm cap
 * (ALERTS_MAX_INCIDENTS) an open one of the source's, the storm's; AlertPlacement asks it for each side of a group's
 * alerts.
 */
export class IncidentChoice {
  constructor(
    private readonly rules: ReadonlyMap<string, AlertRule>,
    private readonly maxIncidents: number,
    /** A storm back at an incident it moved to or from less than this long ago is not told again (ALERTS_STORM_RETURN_GAP). */
    private readonly stormReturnGapMs: number,
    /** The side of an alert incident (AlertPlacement's sideOf). */
    private readonly sideOf: (ai: AlertIncidentRow, isPrivate: boolean | null) => Side,
  ) {}

  /**
   * The alert incident this delivery's alerts go to: the group's open one; else, when a critical alert fires outside
   * any open incident (and not in a maintenance window its row heeds), a new one, or past the storm cap the source's
   * latest open one, marked a storm (the group's own from then on). `group`: every alert of the delivery joins it;
   * `created`: it is new (its card comes with its declaration).
   */
  async incidentFor(
    tx: Queryable,
    d: { source: string; groupKey: string },
    touched: Touched[],
    plan: AlertStep[],
    batch: Batch,
    side: Side,
  ): Promise<IncidentTarget | null> {
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

  /** The severity a critical alert declares: its row's; with none, the SEV its severity label names (`sev0`), else SEV-1. */
  private severityOf(alert: Pick<AlertRow, 'rule' | 'labels'>): Severity {
    const rule = alert.rule ? this.rules.get(alert.rule) : undefined;
    return rule?.severity ?? labelSeverity(alert.labels?.severity) ?? 1;
  }
}
