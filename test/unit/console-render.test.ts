import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestMessages, membershipLine } from '../../src/console/channel-history.js';
import {
  type Control,
  controlsOf,
  EMOJI,
  inlineMrkdwn,
  type RenderOptions,
  renderMessage,
} from '../../src/console/render-message.js';
import { ANSI, chooseStyle, PLAIN, stripAnsi, visibleWidth } from '../../src/console/style.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { renderAnsweredPage, renderPage } from '../../src/templates/notices.js';
import { renderDeployments, renderRun } from '../../src/templates/playbook.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';

const names = {
  user: (id: string) => id.replace(/^U0/, '').toLowerCase(),
  channel: (id: string) => (id === 'C0000001' ? 'inc-1-db-down' : id),
};

/** Numbers from 1, in the order controls are shown. */
function options(style = PLAIN, width = 100): RenderOptions & { numbered: Control[] } {
  const numbered: Control[] = [];
  return {
    style,
    width,
    names,
    numbered,
    numberOf: (c) => {
      numbered.push(c);
      return numbered.length;
    },
  };
}

const severities = testRunbook().severities;

describe('the console renders a message from its blocks', () => {
  const incident = makeIncident({
    number: 1,
    title: 'db <down> & out',
    severity: 1,
    reporterId: 'U0ALICE',
    channelId: 'C0000001',
    createdAt: new Date('2026-11-30T10:00:00Z'),
  });
  const card = renderIncidentCard(incident, new Date('2026-11-30T10:02:00Z'), severities);

  it('lays out the card: header, fields in two aligned columns, buttons and the select numbered', () => {
    const o = options();
    const lines = renderMessage(card, o);
    expect(lines[0]).toBe('SEV-1 · #1 db <down> & out');
    // Each row of two fields: the right column starts at the same place.
    const labelRow = lines.find((l) => l.startsWith('Severity'))!;
    const valueRow = lines[lines.indexOf(labelRow) + 1]!;
    expect(labelRow).toMatch(/^Severity\s+Status$/);
    expect(labelRow.indexOf('Status')).toBe(valueRow.indexOf('🔴'));
    expect(lines).toContain(lines.find((l) => /^Commander\s+Reported by$/.test(l)));
    expect(lines.find((l) => l.startsWith('nobody yet'))).toMatch(/^nobody yet\s+@alice$/);
    const buttons = lines.filter((l) => l.includes('['));
    expect(buttons.join(' ')).toMatch(
      /\[1\] Acknowledge\s+\[2\] Change severity: SEV-1 \(High\) ▾\s+\[3\] Post status update/,
    );
    expect(buttons.join(' ')).toContain('[7] Resolve');
    for (const l of lines) expect(visibleWidth(l)).toBeLessThanOrEqual(100);
    expect(o.numbered.map((c) => c.label)).toEqual([
      'Acknowledge',
      'Change severity',
      'Post status update',
      'Mark mitigated',
      'Escalate now',
      'Roll back',
      'Resolve',
    ]);
  });

  it('wraps the buttons to the width it is given', () => {
    const lines = renderMessage(card, options(PLAIN, 50));
    const buttons = lines.filter((l) => l.includes('['));
    expect(buttons.length).toBeGreaterThan(2);
    for (const l of buttons) expect(visibleWidth(l)).toBeLessThanOrEqual(50);
  });

  it('puts two fields that do not fit side by side under each other', () => {
    const lines = renderMessage(
      {
        blocks: [
          {
            type: 'section',
            fields: [
              { type: 'mrkdwn', text: `*Left*\n${'x'.repeat(30)}` },
              { type: 'mrkdwn', text: `*Right*\n${'y'.repeat(30)}` },
            ],
          },
        ],
      },
      options(PLAIN, 50),
    );
    expect(lines).toEqual(['Left', 'x'.repeat(30), 'Right', 'y'.repeat(30)]);
  });

  it('styles with colour: header bold, context dimmed, danger and primary buttons in red and green', () => {
    const lines = renderMessage(card, options(ANSI));
    expect(lines[0]).toBe('\x1b[1mSEV-1 · #1 db <down> & out\x1b[22m');
    const context = renderMessage(
      { blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Posted by <@U0ALICE>' }] }] },
      options(ANSI),
    );
    expect(context[0]?.startsWith('\x1b[2m')).toBe(true);
    expect(stripAnsi(context[0]!)).toBe('Posted by @alice');
    const all = lines.join('\n');
    expect(all).toContain('\x1b[31mResolve\x1b[39m');
    expect(all).toContain('\x1b[32mAcknowledge\x1b[39m');
  });

  it("shows a page once answered: for which incident, who answered and when, the channel's link and no Acknowledge", () => {
    const at = new Date('2026-11-28T00:05:00Z');
    const answered = (state: 'acknowledged' | 'resolved', by: string | null) =>
      renderMessage(
        renderAnsweredPage(
          incident,
          { roleName: 'On-Call Engineer', userId: 'U0ONCALL', state, by, at },
          severities,
          'https://slack.com/app_redirect?channel=C0000001',
        ),
        options(),
      );
    const own = answered('acknowledged', 'U0ONCALL');
    expect(own[0]).toBe('📟 You were paged as On-Call Engineer for incident #1 (#inc-1-db-down): db <down> & out');
    expect(own).toContain('👀 This page was acknowledged by you 2026-11-28 00:05 UTC.');
    expect(own.at(-1)).toBe('[1] Open the incident channel ↗');
    expect(answered('acknowledged', 'U0ALICE')).toContain(
      '👀 This page was acknowledged by @alice 2026-11-28 00:05 UTC.',
    );
    expect(answered('resolved', 'U0ALICE')).toContain(
      '✅ The incident was resolved by @alice 2026-11-28 00:05 UTC: nothing to acknowledge.',
    );
    // Resolved with nobody named (the row holds none): said without a name.
    expect(answered('resolved', null)).toContain(
      '✅ The incident was resolved 2026-11-28 00:05 UTC: nothing to acknowledge.',
    );
    expect(answered('resolved', null).join('\n')).not.toContain('Acknowledge ');
    // Acknowledged before it was resolved: who acknowledged it and when, not "nothing to acknowledge".
    const ackedAt = new Date('2026-11-28T00:02:00Z');
    const resolvedAfterAck = (acknowledgedBy: string) =>
      renderMessage(
        renderAnsweredPage(
          { ...incident, acknowledgedAt: ackedAt, acknowledgedBy },
          { roleName: 'On-Call Engineer', userId: 'U0ONCALL', state: 'resolved', by: 'U0ONCALL', at },
          severities,
        ),
        options(),
      );
    expect(resolvedAfterAck('U0ONCALL')).toContain(
      '✅ The incident was acknowledged by you 2026-11-28 00:02 UTC, then resolved by you 2026-11-28 00:05 UTC.',
    );
    expect(resolvedAfterAck('U0ALICE')).toContain(
      '✅ The incident was acknowledged by @alice 2026-11-28 00:02 UTC, then resolved by you 2026-11-28 00:05 UTC.',
    );
  });

  it('keeps code blocks as they are, behind a bar, with entities decoded and no mrkdwn read inside', () => {
    const page = renderPage(
      incident,
      { roleName: 'On-Call Engineer', reason: 'a new incident was declared' },
      severities,
      'https://slack.com/app_redirect?channel=C0000001',
    );
    const lines = renderMessage(page, options());
    expect(lines[0]).toBe(
      '📟 You are paged as On-Call Engineer because a new incident was declared. Join #inc-1-db-down.',
    );
    expect(lines).toContain('│ SUBJECT: [SEV-1] db <down> & out');
    expect(lines).toContain('│ ');
    expect(lines.at(-1)).toBe('[1] Acknowledge   [2] Open the incident channel ↗');
    const code = renderMessage(
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Before\n```*not bold* <@U0X> _a_b_\n  two```' } }] },
      options(ANSI),
    );
    expect(code.map(stripAnsi)).toEqual(['Before', '│ *not bold* <@U0X> _a_b_', '│   two']);
  });

  it('lists a deployment that failed without a button to roll back to it', () => {
    const o = options();
    const lines = renderMessage(
      renderDeployments(
        [
          { version: 'v58', current: true, status: 'complete' },
          { version: 'v56', current: false, status: 'failed', unhealthy: true },
          { version: 'v55', current: false, status: 'complete' },
        ],
        'v55',
      ),
      o,
    );
    expect(lines.find((l) => l.includes('v56'))).toBe('`v56` · failed · not offered: this deployment did not succeed');
    expect(o.numbered.map((n) => n.value)).toEqual(['v55']);
  });

  it('numbers the accessory button of a section on its first line, and a button with a confirmation', () => {
    const o = options();
    const lines = renderMessage(
      renderDeployments(
        [
          { version: 'v58', current: true, status: 'complete' },
          { version: 'v57', current: false, status: 'complete' },
        ],
        'v57',
      ),
      o,
    );
    expect(lines).toContain('🟢 current `v58` · complete');
    expect(lines.find((l) => l.includes('v57'))).toMatch(
      /^`v57` · complete · last good before current\s+\[1\] Roll back to v57$/,
    );
    expect(o.numbered[0]).toMatchObject({
      actionId: 'incident_rollback_to',
      value: 'v57',
      style: 'primary',
      confirm: { title: 'Roll back production?', confirm: 'Roll back', deny: 'Cancel' },
    });
  });

  it('shows a run with its output kept as code', () => {
    const lines = renderMessage(
      renderRun({
        runId: 1,
        playbookTitle: 'P',
        stepText: 's',
        target: ['atom-cli', 'status'],
        kind: 'command',
        requestedBy: 'U0ALICE',
        state: 'succeeded',
        tail: 'line one\n  indented <tag>',
        exitCode: 0,
        durationMs: 1200,
        bytes: 20,
        truncated: false,
      }),
      options(),
    );
    expect(lines[0]).toBe('✅ Succeeded `atom-cli status` · requested by @alice · exit 0 · 1.2 s');
    expect(lines.slice(1)).toEqual(['│ line one', '│   indented <tag>']);
  });

  it('falls back to the text when there are no blocks', () => {
    expect(renderMessage({ text: 'Hello *there*\nsecond line' }, options())).toEqual(['Hello there', 'second line']);
  });
});

describe('mrkdwn as terminal text', () => {
  const o = options();
  it.each([
    ['<@U0BOB> and <@U0CAROL|carol>', '@bob and @carol'],
    ['in <#C0000001> and <#C0000001|inc-1-db-down>', 'in #inc-1-db-down and #inc-1-db-down'],
    ['due <!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>', 'due 2023-11-14 22:13 UTC'],
    [
      '<https://status.neon.tech|Neon status> or <https://x.example>',
      'Neon status (https://status.neon.tech) or https://x.example',
    ],
    ['<!here> <!subteam^S0ONCALL|oncall>', '@here @oncall'],
    ['a &lt;b&gt; &amp; c', 'a <b> & c'],
    [':warning: :pager: :not_an_emoji:', '⚠️ 📟 :not_an_emoji:'],
    ['*bold* _italic_ ~gone~ snake_case_name 2*3*4', 'bold italic gone snake_case_name 2*3*4'],
    ['`code *kept*` and *bold*', '`code *kept*` and bold'],
    // A link's label is mrkdwn too (an alert's name, bold, linking to its source).
    [
      '<http://prom/g|*HighErrorRate*> (<https://am/s|silence>)',
      'HighErrorRate (http://prom/g) (silence (https://am/s))',
    ],
  ])('%s', (input, expected) => {
    expect(inlineMrkdwn(input, o)).toBe(expected);
  });

  it('marks bold, italic and code with colour codes on a terminal', () => {
    expect(inlineMrkdwn('*b* _i_ `c`', options(ANSI))).toBe('\x1b[1mb\x1b[22m \x1b[3mi\x1b[23m \x1b[36mc\x1b[39m');
  });
});

describe('controls of a message', () => {
  it('lists buttons and selects in order, with a block id Slack would give a block without one', () => {
    const controls = controlsOf([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'x' },
        accessory: { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Run' }, value: 'v1' },
      },
      {
        type: 'actions',
        block_id: 'acts',
        elements: [
          {
            type: 'static_select',
            action_id: 's',
            placeholder: { type: 'plain_text', text: 'Pick' },
            options: [
              { text: { type: 'plain_text', text: 'One' }, value: '1' },
              { text: { type: 'plain_text', text: 'Two' }, value: '2' },
            ],
            initial_option: { text: { type: 'plain_text', text: 'Two' }, value: '2' },
          },
          { type: 'datepicker', action_id: 'd' },
        ],
      },
    ]);
    expect(controls).toEqual([
      { kind: 'button', actionId: 'a', blockId: 'b0', label: 'Run', value: 'v1' },
      {
        kind: 'select',
        actionId: 's',
        blockId: 'acts',
        label: 'Pick',
        options: [
          { label: 'One', value: '1' },
          { label: 'Two', value: '2' },
        ],
        initial: { label: 'Two', value: '2' },
      },
    ]);
  });
});

describe('the console style', () => {
  const tty = { isTTY: true, hasColors: () => true };
  it('colours a terminal that shows colours, and nothing else', () => {
    expect(chooseStyle(tty, {})).toBe(ANSI);
    expect(chooseStyle({ isTTY: false }, {})).toBe(PLAIN);
    expect(chooseStyle({ isTTY: true, hasColors: () => false }, {})).toBe(PLAIN);
    expect(chooseStyle(tty, { TERM: 'dumb' })).toBe(PLAIN);
  });
  it('respects NO_COLOR, and FORCE_COLOR over it', () => {
    expect(chooseStyle(tty, { NO_COLOR: '1' })).toBe(PLAIN);
    expect(chooseStyle(tty, { NO_COLOR: '' })).toBe(ANSI);
    expect(chooseStyle({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(ANSI);
    expect(chooseStyle(tty, { FORCE_COLOR: '0' })).toBe(PLAIN);
  });
  it('measures what a terminal shows: colour codes none, emoji two columns', () => {
    expect(visibleWidth('\x1b[1mab\x1b[22m')).toBe(2);
    expect(visibleWidth('🔴 x')).toBe(4);
    expect(visibleWidth('⚠️')).toBe(2);
    expect(visibleWidth('·')).toBe(1);
  });
});

describe('emoji codes', () => {
  it('every emoji code the bot writes in its messages has its emoji in the console', () => {
    const dirs = ['templates', 'incidents', 'slack', 'commands', 'actions', 'views', 'runbook'];
    const codes = new Set<string>();
    for (const d of dirs) {
      for (const f of readdirSync(join('src', d))) {
        if (!f.endsWith('.ts')) continue;
        const text = readFileSync(join('src', d, f), 'utf8');
        for (const m of text.matchAll(/['`\s(]:([a-z][a-z0-9_+-]*):/g)) codes.add(m[1]!);
      }
    }
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((c) => !(c in EMOJI))).toEqual([]);
  });
});

describe("a channel's latest messages, with who joined and left", () => {
  it('reads a join or leave line as one line about the person, and a message someone wrote as none', () => {
    expect(membershipLine({ user: 'U0CTO', subtype: 'channel_join' }, names)).toBe('@cto joined the channel');
    expect(membershipLine({ user: 'U0CTO', subtype: 'channel_leave' }, names)).toBe('@cto left the channel');
    expect(membershipLine({ user: 'U0CTO', subtype: 'channel_join', inviter: 'UBOT' }, names)).toBe(
      '@cto joined the channel, added by @ubot',
    );
    expect(membershipLine({ user: 'U0CTO' }, names)).toBeUndefined();
  });

  it('keeps the last messages written, join and leave lines among them not counted', () => {
    const written = (n: number) => ({ user: 'U0ALICE', n });
    const joined = { user: 'U0CTO', subtype: 'channel_join' as const };
    const left = { user: 'U0CTO', subtype: 'channel_leave' as const };
    const all = [written(1), joined, written(2), written(3), left, joined, written(4), left];
    // The card (1) is still among the last 4 written, however many came and went.
    expect(latestMessages(all, 4)).toEqual(all);
    expect(latestMessages(all, 3)).toEqual(all.slice(2));
    expect(latestMessages(all, 1)).toEqual(all.slice(6));
    expect(latestMessages([], 10)).toEqual([]);
  });
});
