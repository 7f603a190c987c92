import type { PublicIncident, PublicMaintenance, PublicUpdate, StatusSnapshot } from '../incidents/status-page.js';
import { STATUS_LABELS } from '../incidents/types.js';
import { html, Markup } from './markup.js';
import { humanDuration, zonedStamp } from './text.js';

/** What the page says about itself: its title, the company's own status page, where its feeds are. */
export interface StatusPageOptions {
  title: string;
  /** The company's own status page (STATUS_PAGE_URL), linked from the page; none when unset. */
  companyStatusUrl?: string;
  /** How far back the history goes, in days (its heading says so). */
  historyDays: number;
  /**
   * The bot's public URL (PUBLIC_BASE_URL, no trailing slash): the page names itself there (canonical) and links to its
   * feeds there. Unset: the feeds by relative links (next to the page, wherever it was reached).
   */
  publicBaseUrl?: string;
  /** The zone its times are given in, named (TIME_ZONE); UTC when unset. */
  timeZone?: string;
}

/**
 * The page's colours, each a text colour on the background it is shown on. WCAG AA asks 4.5:1 for body text; each pair
 * here is at least 5.8:1 (test/unit/status-page.test.ts computes them).
 */
export const PALETTE = {
  text: { fg: '#1a1a1a', bg: '#ffffff' },
  muted: { fg: '#4a4a4a', bg: '#ffffff' },
  link: { fg: '#0b57d0', bg: '#ffffff' },
  card: { fg: '#1a1a1a', bg: '#f4f5f7' },
  cardMuted: { fg: '#4a4a4a', bg: '#f4f5f7' },
  cardLink: { fg: '#0b57d0', bg: '#f4f5f7' },
  /** Impact badges by level (0 the gravest), and the all-clear. */
  impact0: { fg: '#ffffff', bg: '#a50e0e' },
  impact1: { fg: '#ffffff', bg: '#9a3c00' },
  impact2: { fg: '#ffffff', bg: '#6b5200' },
  impact3: { fg: '#ffffff', bg: '#2f5d8a' },
  operational: { fg: '#ffffff', bg: '#1e6b34' },
} as const;

const P = PALETTE;
/** The page's whole style, inline (the route allows exactly this style by its hash, and no script). */
export const STATUS_PAGE_STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;line-height:1.5;color:${P.text.fg};background:${P.text.bg}}
.wrap{max-width:46rem;margin:0 auto;padding:1rem}
a{color:${P.link.fg};text-underline-offset:2px}
a:focus-visible{outline:3px solid ${P.link.fg};outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:${P.text.bg};padding:.5rem}
.skip:focus{left:.5rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.1rem;margin:0 0 .5rem;overflow-wrap:anywhere}
.overall{margin:0;padding:.75rem 1rem;border-radius:.5rem;font-weight:600}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.25rem;font-size:.9rem;font-weight:600}
.impact-0{color:${P.impact0.fg};background:${P.impact0.bg}}
.impact-1{color:${P.impact1.fg};background:${P.impact1.bg}}
.impact-2{color:${P.impact2.fg};background:${P.impact2.bg}}
.impact-3{color:${P.impact3.fg};background:${P.impact3.bg}}
.operational{color:${P.operational.fg};background:${P.operational.bg}}
.incidents{list-style:none;margin:0;padding:0}
.incident{margin:0 0 1rem;padding:1rem;border-radius:.5rem;color:${P.card.fg};background:${P.card.bg}}
.incident a{color:${P.cardLink.fg}}
.meta{margin:0 0 .75rem;color:${P.cardMuted.fg}}
.meta .status{font-weight:600;color:${P.card.fg}}
.maintenance .meta{margin:0}
.earlier{margin:0 0 .25rem;color:${P.cardMuted.fg}}
dl{margin:0;display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.text{white-space:pre-line}
.none{color:${P.muted.fg}}
footer{margin-top:2.5rem;padding-top:1rem;border-top:1px solid #c4c7cc;color:${P.muted.fg};font-size:.95rem}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}h1{font-size:1.4rem}}
`;

/** A moment on the clock of `zone` (TIME_ZONE), naming it; the machine-readable instant in `datetime`. */
const time = (d: Date, zone: string) => html`<time datetime="${d.toISOString()}">${zonedStamp(d, zone)}</time>`;

const anchor = (i: PublicIncident) => `incident-${i.id}`;

/**
 * The latest published update's text, in the template's order; "No public update yet" before one. What people wrote
 * (here and the titles) is laid out in its own direction (`dir="auto"`): an update written in Arabic or Hebrew reads
 * right to left, its punctuation where its readers expect it.
 */
function updateFacts(u: PublicUpdate | null, open: boolean, zone: string, now?: Date): Markup {
  if (!u) return html`<p class="none">No public update yet${open ? '; we are looking into it' : ''}.</p>`;
  return html`<dl>
<dt>Affected</dt><dd dir="auto">${u.affected || '-'}</dd>
<dt>Current impact</dt><dd dir="auto">${u.currentImpact || '-'}</dd>
<dt>Current status</dt><dd class="text" dir="auto">${u.currentStatus || '-'}</dd>
<dt>Updated</dt><dd>${time(u.at, zone)}</dd>
${open && u.nextUpdateAt && (!now || u.nextUpdateAt > now) ? html`<dt>Next update</dt><dd>${time(u.nextUpdateAt, zone)}</dd>` : ''}
</dl>`;
}

/** An open incident; the next update it promised is shown only while it is still ahead (`now`: the page's time). */
function activeIncident(i: PublicIncident, now: Date, zone: string): Markup {
  return html`<li class="incident"><article id="${anchor(i)}" aria-labelledby="${anchor(i)}-title">
<h3 id="${anchor(i)}-title" dir="auto">${i.title}</h3>
<p class="meta"><span class="badge impact-${i.impactLevel}">${i.impact}</span> · <span class="status">${STATUS_LABELS[i.status]}</span> · started ${time(i.startedAt, zone)}</p>
${i.latestPredatesReopening && i.reopenedAt ? html`<p class="earlier">Reopened ${time(i.reopenedAt, zone)}; we are investigating again. The last update, from before the reopening:</p>` : ''}
${updateFacts(i.latest, true, zone, now)}
</article></li>`;
}

function resolvedIncident(i: PublicIncident, zone: string): Markup {
  const resolved = i.resolvedAt ?? i.startedAt;
  return html`<li class="incident"><article id="${anchor(i)}" aria-labelledby="${anchor(i)}-title">
<h3 id="${anchor(i)}-title" dir="auto">${i.title}</h3>
<p class="meta"><span class="badge impact-${i.impactLevel}">${i.impact}</span> · <span class="status">Resolved</span> ${time(resolved, zone)}, after ${humanDuration(i.startedAt, resolved)}</p>
${i.latest && i.latest.status !== 'resolved' ? html`<p class="earlier">Resolved. The last update before that:</p>` : ''}
${i.latest ? updateFacts(i.latest, false, zone) : ''}
</article></li>`;
}

/** A maintenance window: its title and times, in progress or ahead. */
function maintenanceWindow(m: PublicMaintenance, zone: string): Markup {
  const until = m.endsAt ? html` until ${time(m.endsAt, zone)}` : '';
  return html`<li class="incident maintenance"><h3 dir="auto">${m.title}</h3>
<p class="meta">${m.inProgress ? html`<span class="status">In progress</span> since ${time(m.startsAt, zone)}${until}` : html`<span class="status">Scheduled</span> ${time(m.startsAt, zone)}${until}`}</p>
</li>`;
}

/** The banner under the title: all clear, or the gravest open incident's impact and how many are open. */
function overall(active: PublicIncident[]): Markup {
  const gravest = active.reduce<PublicIncident | null>(
    (g, i) => (g === null || i.impactLevel < g.impactLevel ? i : g),
    null,
  );
  if (!gravest) return html`<p class="overall operational">All systems operational</p>`;
  const count = active.length === 1 ? '1 open incident' : `${active.length} open incidents`;
  return html`<p class="overall impact-${gravest.impactLevel}">${gravest.impact}: ${count}</p>`;
}

/**
 * The public status page: plain HTML with its style inline, no script. Landmarks (banner, main, contentinfo), one
 * h1, a heading per section and per incident; readable on a phone (viewport, fluid width, the facts stacked on narrow
 * screens). Every piece of text is escaped. Pure.
 */
export function renderStatusPage(s: StatusSnapshot, o: StatusPageOptions): string {
  const zone = o.timeZone ?? 'UTC';
  const company = o.companyStatusUrl ? new URL(o.companyStatusUrl) : null;
  const at = (file: string) => (o.publicBaseUrl ? `${o.publicBaseUrl}/${file}` : file);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title}</title>
<meta name="description" content="${`Current incidents and the last ${o.historyDays} days of ${o.title}`}">
${
  o.publicBaseUrl
    ? html`<link rel="canonical" href="${at('status')}">
`
    : ''
}<link rel="alternate" type="application/atom+xml" title="${`${o.title} (Atom)`}" href="${at('status.atom')}">
<link rel="alternate" type="application/json" title="${`${o.title} (JSON)`}" href="${at('status.json')}">
<style>${new Markup(STATUS_PAGE_STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the incidents</a>
<div class="wrap">
<header>
<h1>${o.title}</h1>
${overall(s.active)}
</header>
<main id="main">
<section aria-labelledby="active">
<h2 id="active">Open incidents</h2>
${s.active.length ? html`<ul class="incidents">${s.active.map((i) => activeIncident(i, s.generatedAt, zone))}</ul>` : html`<p class="none">No open incidents.</p>`}
</section>
<section aria-labelledby="maintenance">
<h2 id="maintenance">Scheduled maintenance</h2>
${s.maintenance.length ? html`<ul class="incidents">${s.maintenance.map((m) => maintenanceWindow(m, zone))}</ul>` : html`<p class="none">No maintenance scheduled in the next ${s.maintenanceDays} days.</p>`}
</section>
<section aria-labelledby="history">
<h2 id="history">Resolved in the last ${o.historyDays} days</h2>
${
  s.resolved.length
    ? html`<ul class="incidents">${s.resolved.map((i) => resolvedIncident(i, zone))}</ul>`
    : html`<p class="none">No incidents resolved in the last ${o.historyDays} days.</p>`
}
</section>
</main>
<footer>
${company ? html`<p>Our status page: <a href="${company.href}">${company.host}</a></p>` : ''}
<p>Follow updates: <a href="${at('status.atom')}">Atom feed</a> · <a href="${at('status.json')}">JSON</a></p>
<p>As of ${time(s.generatedAt, zone)}. Times are in ${zone}.</p>
</footer>
</div>
</body>
</html>
`;
  return page.html;
}
