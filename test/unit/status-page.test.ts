import { describe, expect, it } from 'vitest';
import {
  type PublicIncident,
  type PublicUpdate,
  publicUpdateOf,
  type StatusSnapshot,
} from '../../src/incidents/status-page.js';
import { escapeMarkup } from '../../src/templates/markup.js';
import { renderStatusAtom, renderStatusJson } from '../../src/templates/status-feed.js';
import { PALETTE, renderStatusPage } from '../../src/templates/status-page.js';
import { makeUpdate } from '../support/incident-fixture.js';

const T0 = new Date('2026-11-27T23:14:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Text written to break out of markup wherever it lands: element, attribute, CDATA, a control character. */
const HOSTILE = `</title><script>alert(1)</script><img src=x onerror=alert(2)> "quoted" 'single' & ]]> \u0001end`;

const update = (o: Partial<PublicUpdate> = {}): PublicUpdate => ({
  at: at(10),
  status: 'investigating',
  affected: `EU ${HOSTILE}`,
  currentImpact: `Checkout ${HOSTILE}`,
  currentStatus: `line one\nline two ${HOSTILE}`,
  nextUpdateAt: at(40),
  ...o,
});

const incident = (o: Partial<PublicIncident> = {}): PublicIncident => ({
  id: 7,
  title: `Checkout ${HOSTILE}`,
  impact: 'Partial outage',
  impactLevel: 1,
  status: 'investigating',
  startedAt: T0,
  resolvedAt: null,
  latest: update(),
  reopenedAt: null,
  latestPredatesReopening: false,
  ...o,
});

const snapshot = (): StatusSnapshot => {
  const open = incident();
  const done = incident({ id: 3, impactLevel: 0, impact: 'Major outage', status: 'resolved', resolvedAt: at(75) });
  return {
    generatedAt: at(90),
    active: [open],
    resolved: [done],
    entries: [
      { key: 'incident/3/resolved', kind: 'resolved', at: at(75), incident: done, impact: done.impact },
      {
        key: 'incident/7/update/1',
        kind: 'update',
        at: at(10),
        incident: open,
        impact: open.impact,
        update: open.latest!,
      },
      { key: 'incident/7/opened', kind: 'opened', at: T0, incident: open, impact: open.impact },
    ],
    maintenance: [],
    maintenanceDays: 7,
  };
};

const OPTIONS = { title: `Status ${HOSTILE}`, companyStatusUrl: 'https://status.atomagentos.com', historyDays: 7 };

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
    const f = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(bl!);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('what of a status update is public', () => {
  it('nothing, unless it is published', () => {
    expect(publicUpdateOf(makeUpdate({ publish: false }), T0)).toBeNull();
  });

  it('only the status, AFFECTED, CURRENT IMPACT, CURRENT STATUS and the next update', () => {
    const u = makeUpdate({ publish: true, mitigationSteps: 'atom-cli nodes restart 3d8d', customerImpact: true });
    expect(publicUpdateOf(u, T0)).toEqual({
      at: T0,
      status: u.status,
      affected: u.affected,
      currentImpact: u.currentImpact,
      currentStatus: u.currentStatus,
      nextUpdateAt: u.nextUpdateAt,
    });
    expect(publicUpdateOf({ ...u, status: 'resolved' }, T0)?.nextUpdateAt).toBeNull();
  });
});

describe('the status page (HTML)', () => {
  const html = renderStatusPage(snapshot(), OPTIONS);

  it('escapes every piece of text: no element, attribute or entity comes from what people typed', () => {
    expect(html).not.toMatch(/<script|<img|onerror=alert\(2\)>|<\/title><script/);
    expect(html).not.toContain('\u0001');
    expect(html).toContain(escapeMarkup(`Checkout ${HOSTILE}`));
    expect(html).toContain(`<title>${escapeMarkup(OPTIONS.title)}</title>`);
    // The only elements are the page's own.
    const tags = new Set([...html.matchAll(/<([a-z][a-z0-9]*)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(
      [
        'a',
        'article',
        'dd',
        'div',
        'dl',
        'dt',
        'footer',
        'h1',
        'h2',
        'h3',
        'head',
        'header',
        'html',
        'li',
        'link',
        'main',
        'meta',
        'p',
        'section',
        'span',
        'style',
        'time',
        'title',
        'ul',
        'body',
      ].sort(),
    );
  });

  it('is accessible: a language, landmarks, one h1, headings in order, labelled sections, machine-readable times', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const landmark of ['<header>', '<main id="main">', '<footer>']) expect(html.split(landmark)).toHaveLength(2);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    const levels = [...html.matchAll(/<h([1-6])/g)].map((m) => Number(m[1]));
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    for (const id of [...html.matchAll(/aria-labelledby="([^"]+)"/g)].map((m) => m[1]))
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('<a class="skip" href="#main">');
    expect(html).toContain(`<time datetime="${at(10).toISOString()}">2026-11-27 23:24 UTC</time>`);
  });

  it('every colour pair is readable (WCAG AA, 4.5:1 at least)', () => {
    for (const [name, { fg, bg }] of Object.entries(PALETTE)) {
      expect(contrast(fg, bg), name).toBeGreaterThanOrEqual(4.5);
      expect(html, name).toContain(fg);
    }
  });

  it('loads nothing from elsewhere and needs no script', () => {
    const plain = renderStatusPage(
      {
        ...snapshot(),
        active: [
          incident({ title: 'Slow', latest: update({ affected: 'a', currentImpact: 'b', currentStatus: 'c' }) }),
        ],
        resolved: [],
      },
      { ...OPTIONS, title: 'Status' },
    );
    expect(plain).not.toMatch(/<script|@import|url\(|src=|javascript:/i);
  });

  it('says all is well without open incidents, and names the gravest one otherwise', () => {
    expect(html).toContain('<p class="overall impact-1">Partial outage: 1 open incident</p>');
    const calm = renderStatusPage({ ...snapshot(), active: [], resolved: [] }, { title: 'S', historyDays: 7 });
    expect(calm).toContain('All systems operational');
    expect(calm).toContain('No open incidents.');
    expect(calm).toContain('No incidents resolved in the last 7 days.');
    expect(calm).not.toContain('Our status page');
  });

  it('shows a resolved incident with when and how long, and an open one without an update as such', () => {
    expect(html).toContain(`Resolved</span> <time datetime="${at(75).toISOString()}">`);
    expect(html).toContain(', after 1 hour 15 minutes');
    const bare = renderStatusPage({ ...snapshot(), active: [incident({ latest: null })] }, OPTIONS);
    expect(bare).toContain('No public update yet; we are looking into it.');
  });

  it('shows the next update promised while it is ahead, and not once its time has passed (no promise broken in public)', () => {
    // The snapshot is made at +90 min; its open incident's update promised one at +40.
    expect(html).not.toContain('<dt>Next update</dt>');
    const ahead = renderStatusPage(
      { ...snapshot(), active: [incident({ latest: update({ nextUpdateAt: at(120) }) })] },
      OPTIONS,
    );
    expect(ahead).toContain(`<dt>Next update</dt><dd><time datetime="${at(120).toISOString()}">`);
  });

  it("a resolved incident whose last public update was written before it was resolved says so, not 'investigating' as now", () => {
    // The snapshot's resolved incident has only an 'investigating' update: the public did not hear it was resolved.
    expect(html).toContain('<p class="earlier">Resolved. The last update before that:</p>');
    const told = renderStatusPage(
      {
        ...snapshot(),
        active: [],
        resolved: [incident({ status: 'resolved', resolvedAt: at(75), latest: update({ status: 'resolved' }) })],
      },
      OPTIONS,
    );
    expect(told).not.toContain('class="earlier"');
  });
});

describe('the Atom feed', () => {
  const feed = renderStatusAtom(snapshot(), {
    title: OPTIONS.title,
    selfUrl: 'https://bot.example.com/status.atom',
    pageUrl: 'https://bot.example.com/status',
    companyStatusUrl: OPTIONS.companyStatusUrl,
  });
  const entries = [...feed.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => m[1]!);
  const one = (xml: string, tag: string) => {
    const found = [...xml.matchAll(new RegExp(`<${tag}[ >][\\s\\S]*?</${tag}>`, 'g'))];
    expect(found, tag).toHaveLength(1);
    return found[0]![0];
  };
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

  it('is an Atom 1.0 document: the feed has its id, title, updated, author and self link', () => {
    expect(feed.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')).toBe(
      true,
    );
    const head = feed.slice(0, feed.indexOf('<entry>'));
    expect(one(head, 'id')).toBe('<id>https://bot.example.com/status.atom</id>');
    one(head, 'title');
    one(head, 'author');
    expect(one(head, 'updated')).toBe(`<updated>${at(75).toISOString()}</updated>`);
    expect(head).toContain('<link rel="self" type="application/atom+xml" href="https://bot.example.com/status.atom"/>');
    expect(feed.trimEnd().endsWith('</feed>')).toBe(true);
  });

  it('has an entry per event, each with a unique tag id, a title, an RFC 3339 time, a link and its text', () => {
    expect(entries).toHaveLength(3);
    const ids = entries.map((e) => one(e, 'id'));
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^<id>tag:incident-bot,2025:incident\/\d+\/[a-z0-9/]+<\/id>$/);
    for (const e of entries) {
      one(e, 'title');
      one(e, 'summary');
      expect(one(e, 'updated').replace(/<\/?updated>/g, '')).toMatch(rfc3339);
      expect(e).toMatch(
        /<link rel="alternate" type="text\/html" href="https:\/\/bot\.example\.com\/status#incident-\d+"\/>/,
      );
    }
    expect(entries[0]).toContain('Resolved: Checkout');
    expect(entries[1]).toContain(`Current status: line one\nline two ${escapeMarkup(HOSTILE)}`);
  });

  it('escapes every piece of text and drops what XML forbids', () => {
    expect(feed).not.toMatch(/<script|<img|\]\]>/);
    expect(feed).not.toContain('\u0001');
    const withoutMarkup = feed.replace(/<\/?[a-zA-Z?][^<>]*>/g, '');
    expect(withoutMarkup).not.toMatch(/[<>]/);
    expect(withoutMarkup).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
  });
});

describe('the Atom feed with TIME_ZONE', () => {
  it("gives every time of its text on the zone's clock, naming it, as the page does; machine times stay UTC", () => {
    const feed = renderStatusAtom(snapshot(), {
      title: 'Status',
      selfUrl: 'https://bot.example.com/status.atom',
      pageUrl: 'https://bot.example.com/status',
      timeZone: 'Europe/Berlin',
    });
    expect(feed).toContain('Resolved at 2026-11-28 01:29 Europe/Berlin.');
    expect(feed).toContain('Next update: 2026-11-28 00:54 Europe/Berlin');
    expect(feed).toContain(`<updated>${at(75).toISOString()}</updated>`);
    expect(feed).not.toMatch(/\d\d:\d\d UTC/);
  });

  it("a maintenance window's times too", () => {
    const m = { key: 'maintenance/1', title: 'Database upgrade', startsAt: at(60), endsAt: at(120), inProgress: false };
    const s: StatusSnapshot = {
      ...snapshot(),
      entries: [
        {
          key: 'maintenance/1/scheduled',
          kind: 'maintenance_scheduled',
          at: T0,
          incident: null,
          maintenance: m,
          impact: 'Maintenance',
        },
      ],
    };
    const feed = renderStatusAtom(s, {
      title: 'Status',
      selfUrl: 'https://bot.example.com/status.atom',
      pageUrl: 'https://bot.example.com/status',
      timeZone: 'Europe/Berlin',
    });
    expect(feed).toContain('From 2026-11-28 01:14 Europe/Berlin to 2026-11-28 02:14 Europe/Berlin.');
  });
});

describe('the JSON', () => {
  it('holds the public fields only', () => {
    const json = renderStatusJson(snapshot(), OPTIONS);
    expect(Object.keys(json).sort()).toEqual([
      'active',
      'generatedAt',
      'historyDays',
      'maintenance',
      'resolved',
      'statusPage',
      'timeZone',
      'title',
    ]);
    expect(Object.keys(json.active[0]!).sort()).toEqual(
      [
        'id',
        'impact',
        'impactLevel',
        'latestUpdate',
        'latestUpdatePredatesReopening',
        'reopenedAt',
        'resolvedAt',
        'startedAt',
        'status',
        'title',
      ].sort(),
    );
    expect(Object.keys(json.active[0]!.latestUpdate!).sort()).toEqual(
      ['affected', 'at', 'currentImpact', 'currentStatus', 'nextUpdateAt', 'status'].sort(),
    );
  });
});
