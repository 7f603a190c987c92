import { describe, expect, it } from 'vitest';
import type { ActionItem } from '../../src/incidents/action-items.js';
import type { PostmortemAnswers, PostmortemRecord } from '../../src/incidents/postmortem.js';
import { redactWith } from '../../src/ops/redact.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { inertLinks } from '../../src/templates/inert-links.js';
import { postmortemWriter } from '../../src/templates/postmortem-markdown.js';
import {
  makeEvent,
  makePostmortemAnswers,
  makePostmortemRecord,
  makeResolvedIncident,
  minutes,
  REPORTER,
} from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

const runbook = parseRunbook(testRunbookData());
const write = postmortemWriter(runbook, redactWith([]));

/**
 * The links a CommonMark reader (with bare-URL linking, as GitHub's) finds in a document, outside fenced code: the
 * destination after an unescaped `](` (a link or an image) or `]:` (a reference definition), blanks and one line
 * break skipped and backslash escapes undone; and every bare `javascript:`, `vbscript:` or `data:` (a colon not
 * escaped). Entities are left: the document escapes every `&` of people's text.
 */
function liveLinks(md: string): string[] {
  const out: string[] = [];
  let fenced = false;
  const text = md
    .split('\n')
    .filter((line) => {
      if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced;
      return !fenced;
    })
    .join('\n');
  for (const m of text.matchAll(/(\\*)\](\(|:)[ \t]*\n?[ \t]*(\S*)/g)) {
    if (m[1]!.length % 2 === 0) out.push(m[3]!.replace(/\\([!-/:-@[-`{-~])/g, '$1'));
  }
  for (const m of text.matchAll(/(?<![A-Za-z0-9+.-])(?:javascript|vbscript|data):\S*/gi)) out.push(m[0]);
  return out;
}
const unsafe = (md: string) => liveLinks(md).filter((d) => !/^(?:https?:\/\/|mailto:)/i.test(d));

const answers = makePostmortemAnswers;

const record = (a: PostmortemAnswers, over: Partial<PostmortemRecord> = {}) =>
  makePostmortemRecord(runbook.severities, a, over);

const HOSTILE = [
  '[click](javascript:alert(1))',
  '![pic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[vb](VBScript:msgbox(1))',
  '[spaced](   javascript:alert(2))',
  '[escaped](javascript\\:alert(3))',
  '[split](\njavascript:alert(4))',
  '[entity](&#106;avascript:alert(5))',
  '[ref][x]\n\n[x]: javascript:alert(6)',
  '[rel](//evil.example/x)',
  'bare javascript:alert(7) and data:text/html,<b>x</b> and vbscript:msgbox',
];

describe('links in what people wrote in the post-mortem', () => {
  it('a javascript:, data: or vbscript: link in an answer is plain text, not a link', () => {
    for (const typed of HOSTILE) {
      const md = write(record(answers({ rootCause: typed, wentBadly: typed, runbookNote: typed })));
      expect(unsafe(md), typed).toEqual([]);
    }
    // It reads as typed: the escapes are what a reader shows as the characters themselves.
    const md = write(record(answers({ rootCause: '[click](javascript:alert(1))' })));
    expect(md).toContain('[click\\](javascript\\:alert(1))');
  });

  it('the same in the title, the resolution, the timeline and the action items', () => {
    const typed = '[click](javascript:alert(1))';
    const item: ActionItem = {
      id: 1,
      incidentId: 1,
      teamId: 'T0TEAM',
      text: typed,
      ownerId: null,
      dueAt: null,
      source: 'person',
      state: 'open',
      createdBy: REPORTER,
      createdAt: minutes(1),
      closedBy: null,
      closedAt: null,
      remindedAt: null,
    };
    const md = write(
      record(answers({}), {
        incident: makeResolvedIncident({ severity: 1, title: typed, resolutionSummary: typed }),
        events: [
          makeEvent({ kind: 'declared', at: minutes(0), actorId: REPORTER, details: { title: typed, severity: 1 } }),
          makeEvent({ kind: 'note', at: minutes(1), actorId: REPORTER, details: { text: typed } }),
        ],
        items: [item],
      }),
    );
    expect(md).toContain('[click');
    expect(unsafe(md)).toEqual([]);
  });

  it('an http(s) or mailto link stays a link', () => {
    const md = write(
      record(
        answers({
          rootCause: 'See [the graph](https://grafana.example/d/db?from=now-6h) and [mail us](mailto:sre@example.com)',
          factors: '[plain](http://status.example)',
        }),
      ),
    );
    expect(md).toContain('[the graph](https://grafana.example/d/db?from=now-6h)');
    expect(md).toContain('[mail us](mailto:sre@example.com)');
    expect(md).toContain('[plain](http://status.example)');
    // (The destination read up to the blank: the link's closing parenthesis with it.)
    expect(liveLinks(md).map((d) => d.replace(/\)$/, ''))).toEqual([
      'https://grafana.example/d/db?from=now-6h',
      'mailto:sre@example.com',
      'http://status.example',
    ]);
  });

  it('a link inside a code block is left as written (a code block links nothing)', () => {
    const md = write(record(answers({ rootCause: '```\n[click](javascript:alert(1))\n```' })));
    expect(md).toContain('```\n[click](javascript:alert(1))\n```');
  });
});

/** The images a Markdown reader shows (fetching them as the document opens): an unescaped `![`, outside fenced code. */
function liveImages(md: string): string[] {
  let fenced = false;
  return md
    .split('\n')
    .filter((line) => {
      if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced;
      return !fenced;
    })
    .flatMap((line) =>
      [...line.matchAll(/(\\*)!\[[^\]]*\]\S*/g)].filter((m) => m[1]!.length % 2 === 0).map((m) => m[0]),
    );
}

/**
 * Found from outside: `![px](https://evil.example/t.png)` in an alert's summary, a status update's impact or the root
 * cause stayed an image, which a viewer of the post-mortem fetched without a click (a tracking pixel).
 */
describe('images in what people and alerts wrote in the post-mortem', () => {
  const pixel = '![px](https://evil.example/t.png)';
  it('are inert wherever they come from; links stay links', () => {
    const md = write(
      record(answers({ rootCause: `${pixel} see [the graph](https://grafana.example/d/db)`, wentBadly: pixel }), {
        incident: makeResolvedIncident({
          severity: 1,
          currentImpact: pixel,
          affected: pixel,
          resolutionSummary: pixel,
        }),
        events: [
          makeEvent({ kind: 'declared', at: minutes(0), actorId: REPORTER, details: { title: 'db', severity: 1 } }),
          makeEvent({
            kind: 'alert_fired',
            at: minutes(1),
            actorId: null,
            details: { name: 'HighErrorRate', level: 'critical', summary: `5xx ${pixel}` },
          }),
          makeEvent({
            kind: 'status_update',
            at: minutes(2),
            actorId: REPORTER,
            details: { status: 'investigating', currentImpact: pixel, currentStatus: pixel },
          }),
          makeEvent({ kind: 'note', at: minutes(3), actorId: REPORTER, details: { text: pixel } }),
        ],
      }),
    );
    expect(md).toContain('evil.example');
    expect(liveImages(md)).toEqual([]);
    // It reads as typed (a reader shows `\!` as `!`), and the link it holds is a link, as any other.
    expect(md).toContain('\\![px](https://evil.example/t.png)');
    expect(md).toContain('[the graph](https://grafana.example/d/db)');
  });

  it('in inertLinks: an image is escaped, an image already escaped is left, a `!` elsewhere is left', () => {
    expect(inertLinks(pixel)).toBe('\\![px](https://evil.example/t.png)');
    expect(inertLinks('\\![px](https://evil.example/t.png)')).toBe('\\![px](https://evil.example/t.png)');
    expect(inertLinks('\\\\![px](https://evil.example/t.png)')).toBe('\\\\\\![px](https://evil.example/t.png)');
    expect(inertLinks('![ref][x] down! [ok](https://a.example)')).toBe('\\![ref][x] down! [ok](https://a.example)');
  });
});

describe('inertLinks', () => {
  it('leaves a bracket already escaped, and text without links, as it is', () => {
    expect(inertLinks('\\[x\\](javascript:y)')).toBe('\\[x\\](javascript\\:y)');
    expect(inertLinks('the pool [primary] failed (twice)')).toBe('the pool [primary] failed (twice)');
  });

  it('escapes the bracket after an escaped backslash (which leaves it live)', () => {
    expect(inertLinks('[x\\\\](javascript:y)')).toBe('[x\\\\\\](javascript\\:y)');
  });
});
