import { lastAnswers } from '../runbook/last-answers.js';
import { type AlertChange, type AlertRow, linkAlerts, updateAlerts } from '../store/alert.repo.js';
import { type AlertIncidentRow, type Side, setAlertIncidentTitles } from '../store/alert-incident.repo.js';
import type { StormCandidate } from '../store/alert-storm-control.repo.js';
import type { Queryable } from '../store/db.js';
import type { AlertRule, IncomingAlert, UnsaidField } from './alert-types.js';
import { cleanTitle, cutToChars, isBlank } from './text.js';

/**
 * An alert's row as the recorder sees it (AlertRecorder, alert-recorder.ts): what became of it in a delivery, whether
 * it needs an incident or a notice, its row as a delivery changes it (kept as a batch's pending change), and what its
 * timeline event records. Pure, but for the batch's write (flush).
 */

/** Titles are cut as a typed one is limited. */
const TITLE_MAX = 150;

/** What became of one alert in a delivery. */
export type Transition = 'fired' | 'repeat' | 'resolved' | 'still_resolved';

export interface Touched {
  alert: AlertRow;
  transition: Transition;
  /** The alert incident it was in before this delivery (null: none; an open one, or one over: see needsIncident). */
  was: AlertIncidentRow | null;
  /** The resolved incident its previous row belonged to (it fired again after that incident). */
  previousIncidentId: number | null;
  /** The alert incident of its previous row, closed by this firing again (its card shows it no longer followed). */
  closedIn?: AlertIncidentRow | null;
  /** Its level became critical with this delivery (a warning that grew: `disk 85%` then `disk 99%`, one key). */
  becameCritical?: boolean;
  /** A repeat that says something new: its measured value or its summary changed (a notice shows it again). */
  newsInRepeat?: boolean;
  /**
   * Its level (or the runbook row it matches) changed with this delivery, either way (`error_rate 14%` critical, then
   * `7%` a warning, one key): its notice and its incident's card show it at once.
   */
  levelChanged?: boolean;
}

/**
 * A critical alert firing outside any incident, and not in a maintenance window its row heeds: it needs one. One whose
 * row is in an incident that is over (`was`, not open) is not a new firing: a new firing gets a new row (recordAlert).
 */
export const needsIncident = (t: Touched) =>
  t.alert.level === 'critical' && t.alert.status === 'firing' && !t.alert.maintenance && t.was === null;

/**
 * An alert a person is told of in the incidents channel, with Declare incident: a warning (not during a maintenance
 * window its row heeds), and a critical alert recorded, not declared, because of one (its notice says so).
 */
export const noticed = (t: Touched) =>
  t.alert.level === 'warning' ? !t.alert.maintenance : t.alert.level === 'critical' && t.alert.maintenance && !t.was;

/** Still taking alerts: being declared, or declared and its incident not resolved. */
export function isOpen(ai: AlertIncidentRow | null): ai is AlertIncidentRow {
  if (!ai) return false;
  return (
    ai.state === 'declaring' || (ai.state === 'declared' && ai.incidentId !== null && ai.incidentStatus !== 'resolved')
  );
}

/** Over: its row starts again when the alert fires (a new row, in a new incident if it is critical). */
export function isClosed(alert: AlertRow, ai: AlertIncidentRow | null): boolean {
  if (alert.alertIncidentId !== null && ai) return !isOpen(ai);
  return alert.status === 'resolved';
}

export function alertTitle(summary: string, name: string): string {
  return titleOf(JSON.stringify([name, summary]));
}

/**
 * Titles made lately, by name and summary (the last 1,000 asked): a storm's repeats carry the same few summaries, and
 * each recorded delivery asks its alerts' titles (their side, public or private). Made, a title takes Unicode-class
 * regexes over the text: 30 ms of the bot's thread in the first 1.5 s of bench/alerts' storm.
 */
const titleOf = lastAnswers(1000, (key) => {
  const [name, summary] = JSON.parse(key) as [string, string];
  const t = cleanTitle(summary).replace(/\s+/g, ' ').trim();
  return cutToChars(isBlank(t) ? name : t, TITLE_MAX);
});

/**
 * The title of an incident opened by several alerts at once (one delivery of a group): the first one's, and how many
 * more, when their titles differ, so that a group of 1,500 nodes down is not announced as "node-0 down"; alerts that
 * share a title (the group's common summary) are titled by it alone. Named by their alert when they share it
 * ("node-0 down, and 1,499 more NodeDown alerts"). The count is kept whole when the title is cut.
 */
export function groupTitle(lead: readonly Pick<AlertRow, 'summary' | 'name'>[]): string {
  const first = lead[0]!;
  const title = alertTitle(first.summary, first.name);
  const more = lead.length - 1;
  if (more === 0 || lead.every((a) => alertTitle(a.summary, a.name) === title)) return title;
  const name = lead.every((a) => a.name === first.name) ? `${alertTitle(first.name, first.name)} ` : '';
  const suffix = `, and ${more.toLocaleString('en-US')} more ${name}alert${more === 1 ? '' : 's'}`;
  return cutToChars(`${cutToChars(title, Math.max(20, TITLE_MAX - [...suffix].length))}${suffix}`, TITLE_MAX);
}

/**
 * What the batch's recording knows (one transaction), read for all its groups and alerts at once, then kept as its
 * deliveries change it; and the changes of alert rows not written yet (written together, see Batch.flush).
 */
export interface Batch {
  /** Each alert's latest row and the alert incident it is in, by alertKey (source, format, fingerprint); absent: none. */
  latest: Map<string, { alert: AlertRow; alertIncident: AlertIncidentRow | null }>;
  /** Each group's open alert incident on each side (public, private), by ownKey(source, group key, side); absent: none. */
  own: Map<string, AlertIncidentRow>;
  /** Alert rows changed by the batch's deliveries and not written yet, by alert id. */
  pending: Map<number, AlertChange>;
  /** Alerts the batch put in an alert incident, not written yet: the alert incident's id by alert id. */
  links: Map<number, number>;
  /**
   * Sources whose storm-control lock the transaction holds: their alert incidents counted for storm control (on each
   * side: a private one does not use up the public cap, nor the reverse), and, once past the cap, the open ones a
   * storm may join, in the order it joins them. Read once, after the lock, then kept as the batch opens more or
   * sends alerts to them: nobody else opens one while the lock is held.
   */
  sources: Map<
    string,
    // Each side apart: a security alert joins only a private incident, any other a public one.
    {
      opened: Record<Side, number>;
      candidates?: { public?: StormCandidate[]; private?: StormCandidate[] };
    }
  >;
  /**
   * Alert incidents this recording opened, by id: the alerts that opened them and those a storm sent to them in the
   * same recording (what their title counts: see retitle); written with the batch's other changes (flush).
   */
  opened: Map<number, { lead: Pick<AlertRow, 'summary' | 'name'>[]; retitled: boolean }>;
}

/** A batch with nothing read yet but what is given. */
export function newBatch(read: Pick<Batch, 'latest' | 'own'>): Batch {
  return { ...read, pending: new Map(), links: new Map(), sources: new Map(), opened: new Map() };
}

/** Writes the batch's pending alert changes and links (before anything reads those rows, and at the end). */
export async function flush(tx: Queryable, batch: Batch): Promise<void> {
  if (batch.pending.size > 0) {
    await updateAlerts(tx, [...batch.pending.values()]);
    batch.pending.clear();
  }
  if (batch.links.size > 0) {
    await linkAlerts(tx, batch.links);
    batch.links.clear();
  }
  const retitled = [...batch.opened].filter(([, o]) => o.retitled);
  if (retitled.length > 0) {
    await setAlertIncidentTitles(
      tx,
      retitled.map(([id, o]) => ({ id, title: groupTitle(o.lead) })),
    );
    for (const [, o] of retitled) o.retitled = false;
  }
}

/**
 * Alerts a storm sends to an alert incident opened in the same recording (not declared yet): its title counts them
 * as a group's does ("svc-6 is down, and 3 more alerts"), so the incident is not announced as one alert. Alerts that
 * join it later change nothing of its title (its card says it is a storm, and counts them).
 */
export function retitle(batch: Batch, alertIncidentId: number, joining: readonly Pick<AlertRow, 'summary' | 'name'>[]) {
  const opened = batch.opened.get(alertIncidentId);
  if (!opened || joining.length === 0) return;
  opened.lead.push(...joining);
  opened.retitled = true;
}

/**
 * An alert's row as a delivery changes it (the fields updateAlerts writes), kept as a pending change of the batch:
 * several deliveries of one alert fold into one change, its count moved by all their firings. `seenAt` is when the
 * delivery was received (its inbox row's time), which it is seen at however late it is recorded.
 */
export function changeAlert(
  batch: Batch,
  row: AlertRow,
  a: IncomingAlert,
  deliveryId: number,
  maintenance: boolean,
  seenAt: Date,
): AlertRow {
  a = withUnsaidKept(row, a);
  // A resolution does not reclassify: its value is what the alert recovered to, not how bad it was, and would match
  // another runbook row (matchRule: `disk_usage 70%` sent as critical is the critical row's, 91% was the warning's).
  // It keeps the name, row, level and threshold its firing had.
  if (a.status === 'resolved' && row.rule !== a.rule)
    a = { ...a, name: row.name, rule: row.rule, level: row.level, threshold: row.threshold };
  const firing = a.status === 'firing' ? 1 : 0;
  const starts = a.startsAt ? new Date(a.startsAt) : null;
  const pending = batch.pending.get(row.id);
  batch.pending.set(row.id, {
    id: row.id,
    alert: a,
    deliveryId,
    firings: (pending?.firings ?? 0) + firing,
    stillResolved: (pending ? pending.stillResolved : row.status === 'resolved') && a.status === 'resolved',
    // Whether a maintenance window holds it back is the latest firing's say: an alert still firing once the window is
    // over is handled as a new one would be. A resolution leaves it as it was.
    maintenance: a.status === 'firing' ? maintenance : (pending?.maintenance ?? row.maintenance),
    seenAt,
  });
  const now = seenAt;
  return {
    ...row,
    name: a.name,
    level: a.level,
    rule: a.rule,
    status: a.status,
    summary: a.summary,
    service: a.service,
    metric: a.metric,
    value: a.value,
    threshold: a.threshold,
    url: a.url,
    runbookUrl: a.runbookUrl ?? null,
    // A delivery that leaves it out (a resolution's) keeps what an earlier one said.
    description: a.description ?? row.description ?? null,
    silenceUrl: a.silenceUrl ?? null,
    dashboardUrl: a.dashboardUrl ?? null,
    labels: a.labels,
    lastDeliveryId: deliveryId,
    lastSeen: row.lastSeen > now ? row.lastSeen : now,
    count: row.count + firing,
    resolvedAt:
      a.status === 'resolved' ? (row.status === 'resolved' && row.resolvedAt ? row.resolvedAt : endOf(a, now)) : null,
    maintenance: a.status === 'firing' ? maintenance : row.maintenance,
    startsAt: starts ?? row.startsAt,
    endsAt: a.endsAt ? new Date(a.endsAt) : null,
    firstSeen: starts && starts < row.firstSeen ? starts : row.firstSeen,
  };
}

/** The alert as a delivery says it, with what a resolution left unsaid (IncomingAlert.unsaid) as its row has it. */
function withUnsaidKept(row: AlertRow, a: IncomingAlert): IncomingAlert {
  if (!a.unsaid || a.unsaid.length === 0) return a;
  const kept: Record<UnsaidField, unknown> = {
    name: row.name,
    rule: row.rule,
    level: row.level,
    summary: row.summary,
    service: row.service,
    metric: row.metric,
    value: row.value,
    threshold: row.threshold,
    labels: row.labels,
    url: row.url,
    runbookUrl: row.runbookUrl,
  };
  const out: IncomingAlert = { ...a };
  for (const field of a.unsaid) (out as unknown as Record<string, unknown>)[field] = kept[field];
  delete out.unsaid;
  return out;
}

/**
 * When a resolution happened: the source's end when it gave one (not later than `now`, its delivery's receipt: clocks
 * differ), else `now`.
 */
function endOf(a: IncomingAlert, now: Date): Date {
  const end = a.endsAt ? new Date(a.endsAt) : null;
  return end && end < now ? end : now;
}

/**
 * Whether a firing delivery of an alert whose incident is over is a resend of the firing its row records, not a new
 * one: the row still fires (its resolution never came) and the source gives the same start (to the millisecond, as
 * times are kept; a new firing starts anew). So a person who resolves an incident while Alertmanager still reports its
 * alert is not paged again at each repeat_interval. A source that gives no start (the generic format) cannot tell:
 * every firing after the incident is over is a new one.
 */
export function sameFiring(row: AlertRow, a: IncomingAlert): boolean {
  if (row.status !== 'firing' || !row.startsAt || !a.startsAt) return false;
  return Math.abs(row.startsAt.getTime() - Date.parse(a.startsAt)) <= 1;
}

/**
 * Whether an alert (or an alert incident) is a security matter, kept private: its runbook row points at a security
 * playbook, or its title reads as one (`sensitive`, IncidentService's policy). The one check the recorder (which side
 * it joins), the declare form (Private ticked) and a refused declaration (its title unsaid) make.
 */
export function securityAlert(
  rules: ReadonlyMap<string, AlertRule>,
  sensitive: ((title: string) => boolean) | undefined,
  alert: { rule: string | null; title: string },
): boolean {
  return (alert.rule !== null && rules.get(alert.rule)?.security === true) || sensitive?.(alert.title) === true;
}

/** Labels that say where an alert fired, in this order: what tells a group's nodes apart on the timeline. */
const WHERE_LABELS = ['instance', 'pod', 'node', 'host', 'hostname', 'container', 'device', 'mountpoint'];

/** `instance=db-1` (two at most, each cut to 80 characters), or null when the alert has none of WHERE_LABELS. */
function whereLabels(labels: Readonly<Record<string, string>> | null | undefined): string | null {
  const found = WHERE_LABELS.filter((k) => labels?.[k]).slice(0, 2);
  return found.length ? found.map((k) => `${k}=${cutToChars(labels![k]!.replace(/\s+/g, ' '), 80)}`).join(', ') : null;
}

/** How long after a resolution was heard a firing with that resolution's start is taken for a late copy of it. */
export const LATE_COPY_MS = 5 * 60_000;

/**
 * Whether a delivery of an alert is a late copy of an earlier state of it (a retried delivery, an Alertmanager peer
 * behind the other), not news, when its source gives starts (Alertmanager, Grafana): a resolution of an earlier
 * firing than the one its row follows (an older start: it says nothing of this firing), or a firing with the start of
 * the firing whose resolution was heard less than LATE_COPY_MS before `at` (that firing is over: the same condition
 * firing anew gets a new start). Such a delivery changes nothing. A source that gives no start cannot tell.
 */
export function lateCopy(row: AlertRow, a: IncomingAlert, at: Date): boolean {
  if (!row.startsAt || !a.startsAt) return false;
  const starts = Date.parse(a.startsAt);
  if (Number.isNaN(starts)) return false;
  if (a.status === 'resolved') return row.status === 'firing' && starts < row.startsAt.getTime() - 1;
  return (
    row.status === 'resolved' &&
    !row.firedAgainAt &&
    Math.abs(row.startsAt.getTime() - starts) <= 1 &&
    at.getTime() - row.lastSeen.getTime() < LATE_COPY_MS
  );
}

/**
 * What an alert's timeline event records. `startsAt` (its firing's start) and, resolved, `endsAt` are the source's own
 * times, when it gives them: the timeline says them, as the event's time is when the bot recorded it.
 */
export function alertEventDetails(a: AlertRow): Record<string, unknown> {
  const where = whereLabels(a.labels);
  return {
    alert: a.id,
    name: a.name,
    ...(where ? { where } : {}),
    level: a.level,
    summary: a.summary,
    source: a.source,
    ...(a.status === 'resolved' && a.resolvedAt ? { resolvedAt: a.resolvedAt.toISOString() } : {}),
    firstSeen: a.firstSeen.toISOString(),
    // A start after the bot heard of it (a sender's clock ahead) is not when it fired: the event's own time says that.
    ...(a.startsAt && a.startsAt.getTime() <= a.firstSeen.getTime() ? { startsAt: a.startsAt.toISOString() } : {}),
    ...(a.status === 'resolved' && a.endsAt ? { endsAt: a.endsAt.toISOString() } : {}),
  };
}

/** Each alert's firing on an incident's timeline (and its resolution, for one resolved already). */
export const alertEvents = (alerts: readonly AlertRow[]) =>
  alerts.flatMap((a) => [
    { kind: 'alert_fired' as const, actorId: null, details: alertEventDetails({ ...a, status: 'firing' }) },
    ...(a.status === 'resolved'
      ? [{ kind: 'alert_resolved' as const, actorId: null, details: alertEventDetails(a) }]
      : []),
  ]);
