import type {
  FeedEntry,
  PublicIncident,
  PublicMaintenance,
  PublicUpdate,
  StatusSnapshot,
} from '../incidents/status-page.js';
import { STATUS_LABELS } from '../incidents/types.js';
import { html } from './markup.js';
import { zonedStamp } from './text.js';

/** Where the page and the feed are, as the reader reached them (absolute URLs). */
export interface FeedOptions {
  title: string;
  /** The feed's own URL (`…/status.atom`). */
  selfUrl: string;
  /** The HTML page (`…/status`). */
  pageUrl: string;
  companyStatusUrl?: string;
  /** The zone the entries' text gives times in, named as the page names it (TIME_ZONE); UTC when unset. */
  timeZone?: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The latest update as data. Its next update as the page shows it (status-page.ts, updateFacts): only while the
 * incident is open and the time is still ahead of `now`, else null (a resolved incident promises none; a time passed is
 * no promise a widget should show).
 */
const updateJson = (u: PublicUpdate | null, open: boolean, now: Date) =>
  u && {
    at: iso(u.at),
    status: u.status,
    affected: u.affected,
    currentImpact: u.currentImpact,
    currentStatus: u.currentStatus,
    nextUpdateAt: open && u.nextUpdateAt && u.nextUpdateAt > now ? iso(u.nextUpdateAt) : null,
  };

const incidentJson = (i: PublicIncident, open: boolean, now: Date) => ({
  id: i.id,
  title: i.title,
  impact: i.impact,
  impactLevel: i.impactLevel,
  status: i.status,
  startedAt: iso(i.startedAt),
  resolvedAt: iso(i.resolvedAt),
  reopenedAt: iso(i.reopenedAt),
  /** The latest update was published before the last reopening: no longer current, its next update dropped. */
  latestUpdatePredatesReopening: i.latestPredatesReopening,
  latestUpdate: updateJson(i.latest, open, now),
});

const maintenanceJson = (m: PublicMaintenance) => ({
  title: m.title,
  startsAt: iso(m.startsAt),
  endsAt: iso(m.endsAt),
  inProgress: m.inProgress,
});

/** `GET /status.json`: what the page shows, as data. Pure. */
export function renderStatusJson(
  s: StatusSnapshot,
  o: { title: string; companyStatusUrl?: string; historyDays: number; timeZone?: string },
) {
  return {
    title: o.title,
    ...(o.companyStatusUrl ? { statusPage: o.companyStatusUrl } : {}),
    generatedAt: iso(s.generatedAt),
    // The times above and below are ISO instants; this is the zone the page (and the Atom feed's text) shows them in,
    // for a widget that shows them as the page does.
    timeZone: o.timeZone ?? 'UTC',
    historyDays: o.historyDays,
    active: s.active.map((i) => incidentJson(i, true, s.generatedAt)),
    resolved: s.resolved.map((i) => incidentJson(i, false, s.generatedAt)),
    maintenance: s.maintenance.map(maintenanceJson),
  };
}

/**
 * A maintenance entry's title: the state, then the window's title; a window with no title of its own ("Maintenance",
 * one opened by hand under a typed title, kept off the page) is the state alone, not "Maintenance in progress:
 * Maintenance".
 */
function maintenanceTitle(state: string, m: PublicMaintenance): string {
  return m.title.trim().toLowerCase() === 'maintenance' ? state : `${state}: ${m.title}`;
}

/** An entry's title: "Investigating: Checkout is slow", "Resolved: Checkout is slow", "Scheduled maintenance: …". */
function entryTitle(e: FeedEntry): string {
  if (e.kind === 'maintenance_scheduled') return maintenanceTitle('Scheduled maintenance', e.maintenance!);
  if (e.kind === 'maintenance_started') return maintenanceTitle('Maintenance in progress', e.maintenance!);
  const status =
    e.kind === 'opened'
      ? 'Investigating'
      : e.kind === 'resolved'
        ? 'Resolved'
        : e.kind === 'reopened'
          ? 'Reopened'
          : STATUS_LABELS[e.update!.status];
  return `${status}: ${e.incident!.title}`;
}

/** A window's times, plain, on the clock of `zone`. */
const windowTimes = (m: PublicMaintenance, zone: string) =>
  m.endsAt
    ? `From ${zonedStamp(m.startsAt, zone)} to ${zonedStamp(m.endsAt, zone)}.`
    : `From ${zonedStamp(m.startsAt, zone)}.`;

/**
 * An entry's text, plain: the impact it had then and, for an update, the template's public fields; its times on the
 * clock of `zone` (TIME_ZONE), naming it, as the page gives them.
 */
function entryText(e: FeedEntry, zone: string): string {
  const stamp = (d: Date) => zonedStamp(d, zone);
  if (e.kind === 'maintenance_scheduled' || e.kind === 'maintenance_started') return windowTimes(e.maintenance!, zone);
  const head = `${e.impact}.`;
  if (e.kind === 'opened')
    return e.at.getTime() === e.incident!.startedAt.getTime()
      ? `${head} We are investigating.`
      : `${head} We are investigating. It started at ${stamp(e.incident!.startedAt)}.`;
  if (e.kind === 'resolved') return `${head} Resolved at ${stamp(e.at)}.`;
  if (e.kind === 'reopened') return `${head} Reopened at ${stamp(e.at)}: we are investigating again.`;
  const u = e.update!;
  return [
    head,
    `Affected: ${u.affected || '-'}`,
    `Current impact: ${u.currentImpact || '-'}`,
    `Current status: ${u.currentStatus || '-'}`,
    ...(u.nextUpdateAt && u.status !== 'resolved' ? [`Next update: ${stamp(u.nextUpdateAt)}`] : []),
  ].join('\n');
}

/**
 * `GET /status.atom`: an Atom 1.0 feed (RFC 4287) with an entry when an incident is made public, one per published
 * update, one when it is resolved and one when it is reopened, newest first; and one when a maintenance window is
 * scheduled within the page's horizon and one when it starts. Entry ids are tag URIs that never change,
 * so feed readers and Slack's RSS app show each once. Every piece of text is escaped. Pure.
 */
export function renderStatusAtom(s: StatusSnapshot, o: FeedOptions): string {
  const updated = s.entries[0]?.at ?? s.generatedAt;
  const zone = o.timeZone ?? 'UTC';
  const entries = s.entries.map(
    (e) => html`  <entry>
    <id>tag:incident-bot,2025:${e.key}</id>
    <title type="text">${entryTitle(e)}</title>
    <updated>${e.at.toISOString()}</updated>
    <published>${e.at.toISOString()}</published>
    <link rel="alternate" type="text/html" href="${`${o.pageUrl}#${e.incident ? `incident-${e.incident.id}` : 'maintenance'}`}"/>
    <category term="${e.impact}"/>
    <summary type="text">${entryText(e, zone)}</summary>
  </entry>
`,
  );
  return html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${o.selfUrl}</id>
  <title type="text">${o.title}</title>
  <subtitle type="text">Open incidents and their public updates</subtitle>
  <updated>${updated.toISOString()}</updated>
  <link rel="self" type="application/atom+xml" href="${o.selfUrl}"/>
  <link rel="alternate" type="text/html" href="${o.pageUrl}"/>
  ${o.companyStatusUrl ? html`<link rel="related" type="text/html" href="${o.companyStatusUrl}"/>` : ''}
  <author><name>${o.title}</name></author>
  <generator>incident-bot</generator>
${entries}</feed>
`.html;
}
