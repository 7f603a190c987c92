import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeAlertAnswer, keyOf, parseAlertLine } from '../../src/console/alert-line.js';
import { CONSOLE_COMMANDS, commandList, parseConsoleInput } from '../../src/console/commands.js';
import { ControlNumbers } from '../../src/console/control-numbers.js';
import { cannotPost, joinChannel, leaveChannel } from '../../src/console/membership.js';
import {
  defaultShown,
  type FormField,
  fieldGuide,
  formFields,
  formInfo,
  parseTime,
  readAnswer,
  readFormLine,
} from '../../src/console/modal-form.js';
import { cleanName, defaultName, People, userIdFor } from '../../src/console/people.js';
import type { Control } from '../../src/console/render-message.js';
import { withStandIns } from '../../src/console/stand-ins.js';
import { loadWorkspace, saveWorkspace, workspaceFile } from '../../src/console/workspace-file.js';
import { Workspace } from '../../src/local-slack/workspace.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { resolveModal, statusUpdateModal } from '../../src/templates/modals.js';
import { runParamsModal } from '../../src/templates/playbook.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook } from '../support/test-runbook.js';

describe('what can be typed at the console', () => {
  it.each([
    ['', { kind: 'empty' }],
    ['   ', { kind: 'empty' }],
    ['/incident sev1 db down', { kind: 'slash', command: '/incident', text: 'sev1 db down' }],
    ['/INCIDENT   list ', { kind: 'slash', command: '/incident', text: 'list' }],
    ['/incident', { kind: 'slash', command: '/incident', text: '' }],
    ['press 2', { kind: 'press', target: '2' }],
    ['/press Approve and run', { kind: 'press', target: 'Approve and run' }],
    ['press', { kind: 'press', target: '' }],
    ['/as bob', { kind: 'as', name: 'bob' }],
    ['/open #inc-1', { kind: 'open', channel: '#inc-1' }],
    ['/join', { kind: 'join', channel: '' }],
    ['/JOIN #inc-1-db-down', { kind: 'join', channel: '#inc-1-db-down' }],
    ['/leave inc-1', { kind: 'leave', channel: 'inc-1' }],
    ['/alert critical db down', { kind: 'alert', text: 'critical db down' }],
    ['/channels', { kind: 'channels' }],
    ['/help', { kind: 'help' }],
    ['/?', { kind: 'help' }],
    ['/quit', { kind: 'quit' }],
    ['/exit', { kind: 'quit' }],
    ['/setup', { kind: 'setup' }],
    ['/cancel', { kind: 'cancel' }],
    ['/foo bar', { kind: 'unknown', word: '/foo' }],
    // A subcommand of the bot's command typed as a command of its own: pointed to `/incident …`.
    [
      '/maintenance start  Quarterly',
      { kind: 'unknown', word: '/maintenance', meant: '/incident maintenance start  Quarterly' },
    ],
    ['/Oncall', { kind: 'unknown', word: '/oncall', meant: '/incident oncall' }],
    ['/actions', { kind: 'unknown', word: '/actions', meant: '/incident actions' }],
    ['hello there', { kind: 'message', text: 'hello there' }],
    ['@bot help', { kind: 'message', text: '@bot help' }],
  ])('%j', (line, parsed) => {
    expect(parseConsoleInput(line)).toEqual(parsed);
  });

  it('lists every command of the table, with its usage', () => {
    const list = commandList();
    expect(list).toHaveLength(CONSOLE_COMMANDS.length);
    for (const [i, c] of CONSOLE_COMMANDS.entries()) expect(list[i]).toContain(c.usage);
    const helpAt = list.map((l) => l.indexOf(CONSOLE_COMMANDS[list.indexOf(l)]!.help));
    expect(new Set(helpAt).size).toBe(1);
  });

  it("README's table of console commands has a row for every command of the table", async () => {
    const readme = await readFile(join(process.cwd(), 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| At the console |'));
    const firstCells = table
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.split(' | ')[0]!);
    for (const c of CONSOLE_COMMANDS) expect(firstCells.some((cell) => cell.includes(`\`${c.names[0]}`))).toBe(true);
  });
});

describe('/alert: an alert written as one line', () => {
  it('reads the level, the summary and field=value words into the generic alert format', () => {
    expect(
      parseAlertLine('critical checkout error rate above 10% metric=error_rate value=12.5% service=checkout'),
    ).toEqual({
      ok: true,
      alert: {
        source: 'console',
        key: 'checkout-error-rate-above-10',
        status: 'firing',
        level: 'critical',
        summary: 'checkout error rate above 10%',
        metric: 'error_rate',
        value: '12.5%',
        service: 'checkout',
      },
    });
    expect(parseAlertLine('WARNING disk full key=disk-db1 name=HighDiskUsage')).toMatchObject({
      ok: true,
      alert: { key: 'disk-db1', level: 'warning', name: 'HighDiskUsage', summary: 'disk full' },
    });
    // Alertmanager's label for an alert's name is its name here too.
    expect(parseAlertLine('critical checkout slow alertname=HighLatency service=checkout')).toMatchObject({
      ok: true,
      alert: { key: 'checkout-slow', name: 'HighLatency', service: 'checkout', summary: 'checkout slow' },
    });
    // A word with = that is not a field stays in the summary.
    expect(parseAlertLine('info p99=2s on search')).toMatchObject({ ok: true, alert: { summary: 'p99=2s on search' } });
  });

  it('a resolve is known by the summary it fired with (or key=), and keeps the level it fired with', () => {
    const levels = new Map([['checkout-error-rate-above-10', 'warning' as const]]);
    expect(parseAlertLine('resolve checkout error rate above 10%', (k) => levels.get(k))).toMatchObject({
      ok: true,
      alert: { key: 'checkout-error-rate-above-10', status: 'resolved', level: 'warning' },
    });
    expect(parseAlertLine('resolved key=other')).toMatchObject({
      ok: true,
      alert: { key: 'other', status: 'resolved', level: 'critical' },
    });
  });

  it.each([
    ['', /Say what fires/],
    ['loud db down', /"loud" is not a level/],
    ['critical', /Say what the alert is about/],
    ['resolve', /Say which alert resolves/],
    [`critical x key=${'k'.repeat(201)}`, /longer than 200 characters/],
  ])('%j is refused, saying how to write one', (line, problem) => {
    const r = parseAlertLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });

  it('keys are the summary in lower-case words joined by dashes', () => {
    expect(keyOf('  DB: down!! (eu-west-1) ')).toBe('db-down-eu-west-1');
    expect(keyOf('¡¡¡')).toBe('alert');
  });

  it("tells the bot's answer in words: accepted, or refused with its reason", () => {
    const alert = { source: 'console', key: 'k', status: 'firing' as const, level: 'critical' as const };
    expect(describeAlertAnswer(alert, 202, '{"accepted":1}')).toEqual({
      ok: true,
      line: 'Sent critical alert "k" from console, as monitoring would; the bot accepted it (202).',
    });
    expect(describeAlertAnswer(alert, 400, '{"error":"bad_request","message":"summary is too long"}')).toEqual({
      ok: false,
      line: 'The bot refused the critical alert "k" (HTTP 400): summary is too long',
    });
  });
});

describe('a modal asked field by field', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  const incident = makeIncident();
  const update = statusUpdateModal(incident, 'meta', now);
  const fields = formFields(update);
  const field = (label: string) => fields.find((f) => f.label === label)!;

  it('reads the status update form: its fields, kinds, hints and defaults', () => {
    expect(fields.map((f) => [f.label, f.kind, f.optional])).toEqual([
      ['Status', 'select', false],
      ['Affected', 'text', false],
      ['Current impact', 'text', false],
      ['Current status', 'text', false],
      ['Mitigation steps', 'text', true],
      ['Next update', 'datetime', false],
      ['Flags', 'checkboxes', true],
      ['Status page', 'checkboxes', true],
    ]);
    expect(field('Status').initialOption).toEqual({ label: 'Investigating', value: 'investigating' });
    expect(field('Next update').initialDateTime).toBe(Math.floor(now.getTime() / 1000) + 30 * 60);
    expect(formInfo(update)).toHaveLength(1);
    expect(formFields(resolveModal(incident, 'm'))[0]?.hint).toBe('What fixed it. The post-mortem comes next.');
  });

  it('asks again for an empty required field, as Slack does before sending', () => {
    expect(readAnswer(field('Affected'), '', now)).toEqual({ ok: false, problem: 'Affected is required.' });
    expect(readAnswer(field('Affected'), '  api users ', now)).toEqual({
      ok: true,
      value: { type: 'plain_text_input', value: 'api users' },
    });
    expect(readAnswer(field('Mitigation steps'), '', now)).toEqual({
      ok: true,
      value: { type: 'plain_text_input', value: null },
    });
    expect(readAnswer(field('Current status'), 'one\\ntwo', now)).toMatchObject({ value: { value: 'one\ntwo' } });
    const long = readAnswer(field('Affected'), 'x'.repeat(501), now);
    expect(long).toEqual({ ok: false, problem: 'Affected takes at most 500 characters (this is 501).' });
  });

  it('chooses an option by number or name, keeps the default on Enter, refuses what is not one', () => {
    const status = field('Status');
    const chosen = (typed: string) => readAnswer(status, typed, now);
    expect(chosen('')).toMatchObject({ value: { selected_option: { value: 'investigating' } } });
    expect(chosen('2')).toMatchObject({ value: { type: 'static_select', selected_option: { value: 'mitigated' } } });
    expect(chosen('resol')).toMatchObject({ value: { selected_option: { value: 'resolved' } } });
    expect(chosen('9')).toEqual({ ok: false, problem: "Choose 1 to 3, or type an option's name." });
    const flags = field('Flags');
    expect(readAnswer(flags, '1, 2', now)).toMatchObject({
      value: { selected_options: [{ value: 'customer_impact' }, { value: 'data_loss_risk' }] },
    });
    expect(readAnswer(flags, 'none', now)).toMatchObject({ value: { selected_options: [] } });
    expect(readAnswer(flags, '3', now)).toMatchObject({ ok: false });
  });

  it('chooses an option by words of its name, as Slack filters a select as you type; several fits are named', () => {
    const labels = [
      'No update needed',
      'Playbook: Slow Response Times (> 3s p95)',
      'Playbook: Slow Query Performance',
      'Playbook: Redis Connection Errors',
      'Playbook: Database Connection Failures',
    ];
    const section: FormField = {
      blockId: 'b',
      actionId: 'a',
      label: 'Does the runbook need an update?',
      optional: false,
      kind: 'select',
      elementType: 'static_select',
      options: labels.map((label, i) => ({ label, value: `v${i}` })),
    };
    const chosen = (typed: string) => readAnswer(section, typed, now);
    expect(chosen('slow response')).toMatchObject({ ok: true, value: { selected_option: { value: 'v1' } } });
    expect(chosen('  REDIS ')).toMatchObject({ ok: true, value: { selected_option: { value: 'v3' } } });
    expect(chosen('no update')).toMatchObject({ ok: true, value: { selected_option: { value: 'v0' } } });
    expect(chosen('slow')).toEqual({
      ok: false,
      problem:
        '"slow" fits 2 options: 2) Playbook: Slow Response Times (> 3s p95); 3) Playbook: Slow Query Performance. Type its number, or more of its name.',
    });
    expect(chosen('playbook')).toMatchObject({ ok: false, problem: expect.stringContaining('fits 4 options') });
    expect(chosen('kafka')).toEqual({ ok: false, problem: "Choose 1 to 5, or type an option's name." });
  });

  it.each([
    ['rolled back the deploy', { kind: 'answer', typed: 'rolled back the deploy' }],
    ['', { kind: 'answer', typed: '' }],
    ['/incident resolve fixed by rollback', { kind: 'command', line: '/incident resolve fixed by rollback' }],
    ['/quit', { kind: 'quit' }],
    ['  /as bob ', { kind: 'command', line: '/as bob' }],
    ['/', { kind: 'command', line: '/' }],
    ['/cancel', { kind: 'cancel' }],
    ['/CANCEL ', { kind: 'cancel' }],
    ['/api/health answers again', { kind: 'answer', typed: '/api/health answers again' }],
    ['//tmp cleaned', { kind: 'answer', typed: '/tmp cleaned' }],
    ['press 2', { kind: 'press', line: 'press 2' }],
    [' Press approve and run', { kind: 'press', line: 'Press approve and run' }],
    ['/press 2', { kind: 'press', line: '/press 2' }],
    ['pressed the restart button', { kind: 'answer', typed: 'pressed the restart button' }],
    ['\\press 2', { kind: 'answer', typed: 'press 2' }],
    ['\\/incident resolve', { kind: 'answer', typed: '/incident resolve' }],
    ['\\n then a new line', { kind: 'answer', typed: '\\n then a new line' }],
  ])('a line typed at a question of a form: %j', (typed, read) => {
    expect(readFormLine(typed)).toEqual(read);
  });

  it.each([
    ['in 30 minutes', 1800],
    ['30 minutes', 1800],
    ['30 min', 1800],
    ['30mins', 1800],
    ['1 hour', 3600],
    ['an hour', 3600],
    ['in 1h', 3600],
    ['In 2 Hours', 7200],
    ['1 hour 30 minutes', 5400],
    ['1h30m', 5400],
    ['1 hour and 15 min', 4500],
    ['45 minutes from now', 2700],
    ['+45m', 2700],
    ['1 day', 86400],
  ])('reads a time from now as a person types it: %j', (typed, seconds) => {
    expect(parseTime(typed, now)).toBe(now.getTime() / 1000 + seconds);
  });

  it.each(['soonish', 'in', '0m', '30', '30 parsecs', 'in 30 minutes please', 'minutes'])(
    'refuses %j as a time from now',
    (typed) => {
      expect(parseTime(typed, now)).toBeNull();
    },
  );

  it('says what a time it cannot read was, and the ways it takes one', () => {
    expect(readAnswer(field('Next update'), 'soonish', now)).toEqual({
      ok: false,
      problem:
        '"soonish" is not a time. Type a time in UTC: in 30 minutes (or 30m, 1 hour), 14:30 (today), or 2026-12-01 14:30.',
    });
  });

  it('reads times in UTC: from now, today, or a date', () => {
    expect(parseTime('30m', now)).toBe(now.getTime() / 1000 + 1800);
    expect(parseTime('in 1h', now)).toBe(now.getTime() / 1000 + 3600);
    expect(parseTime('14:30', now)).toBe(Date.parse('2026-11-30T14:30:00Z') / 1000);
    expect(parseTime('2026-12-01 09:05', now)).toBe(Date.parse('2026-12-01T09:05:00Z') / 1000);
    expect(parseTime('2026-02-30 09:05', now)).toBeNull();
    expect(parseTime('25:00', now)).toBeNull();
    expect(parseTime('soon', now)).toBeNull();
    expect(readAnswer(field('Next update'), 'soon', now)).toMatchObject({ ok: false });
    expect(readAnswer(field('Next update'), '', now)).toMatchObject({
      value: { type: 'datetimepicker', selected_date_time: now.getTime() / 1000 + 1800 },
    });
  });

  it('reads the Next update on the clock of the person filling the form (their Slack time zone), stored in UTC', () => {
    // Europe/London in summer is UTC+1; America/New_York in November UTC-5.
    const july = new Date('2026-07-01T10:00:00Z');
    expect(parseTime('14:30', july, 'Europe/London')).toBe(Date.parse('2026-07-01T13:30:00Z') / 1000);
    expect(parseTime('2026-07-02 09:05', july, 'Europe/London')).toBe(Date.parse('2026-07-02T08:05:00Z') / 1000);
    expect(parseTime('14:30', now, 'America/New_York')).toBe(Date.parse('2026-11-30T19:30:00Z') / 1000);
    expect(parseTime('2026-12-01 09:05', now, 'America/New_York')).toBe(Date.parse('2026-12-01T14:05:00Z') / 1000);
    // UTC said: UTC, whoever types it; a length from now is the same on every clock.
    expect(parseTime('2026-12-01 09:05 UTC', now, 'America/New_York')).toBe(Date.parse('2026-12-01T09:05:00Z') / 1000);
    expect(parseTime('30m', now, 'America/New_York')).toBe(now.getTime() / 1000 + 1800);
    // Today is the person's today: 23:30 in New York at 02:00 UTC on 1 December is 30 November's 23:30 there.
    expect(parseTime('23:30', new Date('2026-12-01T02:00:00Z'), 'America/New_York')).toBe(
      Date.parse('2026-12-01T04:30:00Z') / 1000,
    );
    expect(readAnswer(field('Next update'), '11:00', now, 'America/New_York')).toMatchObject({
      value: { type: 'datetimepicker', selected_date_time: Date.parse('2026-11-30T16:00:00Z') / 1000 },
    });
    // The zone is said where the time is shown: the guide, the default, a refusal.
    expect(fieldGuide(field('Next update'), 'America/New_York').join(' ')).toMatch(/your clock \(America\/New_York\)/);
    expect(defaultShown(field('Next update'), 'America/New_York')).toBe(
      'Mon 30 Nov 05:30 (America/New_York), 2026-11-30 10:30 UTC',
    );
    expect(defaultShown(field('Next update'), 'Europe/London')).toBe('2026-11-30 10:30 UTC (also Europe/London time)');
    const refused = readAnswer(field('Next update'), 'soon', now, 'Europe/London');
    expect(refused).toMatchObject({ ok: false, problem: expect.stringMatching(/your clock \(Europe\/London\)/) });
  });

  it('reads a step parameter with its hint and default', async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.id === 'database-connection-failures')!;
    const step = pb.detection.find((s) => s.type === 'command')!;
    if (step.type !== 'command') throw new Error('a command step');
    const [lines] = formFields(runParamsModal(step, pb, 'meta'));
    expect(lines).toMatchObject({ label: 'lines', blockId: 'param:lines', initialText: '100', maxLength: 64 });
    expect(lines?.hint).toBeTruthy();
  });
});

describe('people and the runbook in the console', () => {
  it('makes names and IDs from what is typed', () => {
    expect(cleanName(' @Bob ')).toBe('bob');
    expect(cleanName('Jean Luc!')).toBe('jeanluc');
    expect(cleanName('!!!')).toBeNull();
    expect(userIdFor('on-call')).toBe('U0ONCALL');
    expect(userIdFor('oncall')).toBe('U0ONCALL');
    expect(defaultName({ USER: 'Alice' })).toBe('alice');
    expect(defaultName({ LOGNAME: 'carol' })).toBe('carol');
    expect(defaultName({})).toBe('you');
  });

  it('finds a person by name or by the ID their name stands for, and adds a new one to the common channels', () => {
    const ws = new Workspace();
    const general = ws.addChannel('general');
    const people = new People(ws, () => [general]);
    const { user, created } = people.ensure('bob');
    expect(created).toBe(true);
    expect(user).toMatchObject({ id: 'U0BOB', name: 'bob' });
    expect(ws.channels.get(general)?.members.has('U0BOB')).toBe(true);
    expect(people.ensure('BOB').created).toBe(false);
    people.ensureId('U0ONCALL', 'on-call', 'On-Call Engineer');
    expect(people.find('oncall')?.id).toBe('U0ONCALL');
    expect(people.find('on-call')?.id).toBe('U0ONCALL');
  });

  it('stands in a person for every role without contacts, and fills empty access lists', async () => {
    const rb = await loadRunbook();
    const { runbook, people, notes } = withStandIns(rb, { id: 'U0ALICE', name: 'alice' });
    expect(runbook.escalation.roles.on_call?.contacts).toEqual(['U0ONCALL']);
    expect(runbook.escalation.roles.senior_devops?.contacts).toEqual(['U0SENIORDEVOPS']);
    expect(people.find((p) => p.userId === 'U0ONCALL')).toEqual({
      userId: 'U0ONCALL',
      name: 'on-call',
      roleName: 'On-Call Engineer',
    });
    expect(runbook.access.responders[0]).toBe('U0ALICE');
    expect(runbook.access.approvers).not.toContain('U0ALICE');
    expect(runbook.access.approvers).toContain('U0SENIORDEVOPS');
    expect(notes.join(' ')).toContain('@on-call (On-Call Engineer)');
    expect(rb.escalation.roles.on_call?.contacts).toEqual([]);
  });

  it('keeps the contacts and access a runbook names', () => {
    const rb = testRunbook();
    const { runbook, people, notes } = withStandIns(rb, { id: 'U0ALICE', name: 'alice' });
    expect(runbook.escalation.roles).toEqual(rb.escalation.roles);
    expect(people.map((p) => p.name)).toContain('oncall');
    expect(runbook.access.responders).toEqual(['U0ALICE']);
    expect(runbook.access.approvers).toEqual([]);
    expect(notes.join(' ')).not.toContain('stands in');
  });
});

describe('joining and leaving a channel', () => {
  it('follows Slack: public channels are joined, private ones by invitation, archived ones not; #general is never left', () => {
    const ws = new Workspace();
    const general = ws.addChannel('general', { members: ['U0BOB'] });
    const open = ws.addChannel('inc-1-db-down');
    const secret = ws.addChannel('inc-2-leak', { isPrivate: true });
    const old = ws.addChannel('inc-0-old');
    ws.channels.get(old)!.isArchived = true;

    expect(joinChannel(ws, open, 'U0BOB')).toEqual({ ok: true, text: 'You joined #inc-1-db-down.' });
    expect(ws.channels.get(open)!.members.has('U0BOB')).toBe(true);
    expect(joinChannel(ws, open, 'U0BOB')).toEqual({ ok: true, text: 'You are already in #inc-1-db-down.' });
    expect(leaveChannel(ws, open, 'U0BOB')).toEqual({ ok: true, text: 'You left #inc-1-db-down.' });
    expect(ws.channels.get(open)!.members.has('U0BOB')).toBe(false);
    expect(leaveChannel(ws, open, 'U0BOB')).toEqual({ ok: true, text: 'You are not in #inc-1-db-down.' });

    expect(joinChannel(ws, secret, 'U0BOB')).toMatchObject({ ok: false, problem: expect.stringContaining('private') });
    expect(joinChannel(ws, old, 'U0BOB')).toMatchObject({ ok: false, problem: expect.stringContaining('archived') });
    expect(leaveChannel(ws, general, 'U0BOB')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('#general'),
    });
    expect(ws.channels.get(general)!.members.has('U0BOB')).toBe(true);
    expect(joinChannel(ws, ws.dmFor('U0BOB'), 'U0BOB')).toMatchObject({ ok: false });
    expect([secret, old].map((c) => ws.channels.get(c)!.members.has('U0BOB'))).toEqual([false, false]);
  });

  it('lets only a member post in a channel, as Slack does: a public one is joined first, a private one needs an invitation', () => {
    const ws = new Workspace();
    const open = ws.addChannel('inc-1-db-down', { members: ['U0ALICE'] });
    const secret = ws.addChannel('inc-2-leak', { isPrivate: true, members: ['U0ALICE'] });
    const old = ws.addChannel('inc-0-old', { members: ['U0ALICE'] });
    ws.channels.get(old)!.isArchived = true;

    expect(cannotPost(ws, open, 'U0ALICE')).toBeUndefined();
    expect(cannotPost(ws, open, 'U0BOB')).toBe(
      'You are not in #inc-1-db-down: /join it first to post there, as in Slack.',
    );
    expect(cannotPost(ws, secret, 'U0ALICE')).toBeUndefined();
    expect(cannotPost(ws, secret, 'U0BOB')).toMatch(/^You are not in #inc-2-leak, and it is private: .*\/invite/);
    expect(cannotPost(ws, old, 'U0ALICE')).toBe('#inc-0-old is archived: nobody can post in it.');
    // A direct message with the bot is theirs.
    expect(cannotPost(ws, ws.dmFor('U0BOB'), 'U0BOB')).toBeUndefined();
    joinChannel(ws, open, 'U0BOB');
    expect(cannotPost(ws, open, 'U0BOB')).toBeUndefined();
  });

  it("posts Slack's line in the channel when someone joins or leaves (subtype channel_join, channel_leave), kept in the saved workspace", () => {
    const ws = new Workspace();
    const open = ws.addChannel('inc-1-db-down');
    joinChannel(ws, open, 'U0BOB');
    joinChannel(ws, open, 'U0BOB'); // already in: no second line
    leaveChannel(ws, open, 'U0BOB');
    leaveChannel(ws, open, 'U0BOB');
    const lines = ws.messagesIn(open);
    expect(lines.map((m) => [m.user, m.subtype, m.text])).toEqual([
      ['U0BOB', 'channel_join', '<@U0BOB> has joined the channel'],
      ['U0BOB', 'channel_leave', '<@U0BOB> has left the channel'],
    ]);
    expect(ws.messageJson(lines[0]!)).toMatchObject({ type: 'message', subtype: 'channel_join', user: 'U0BOB' });
    // A message someone wrote has none.
    expect(ws.messageJson(ws.addMessage(open, 'U0BOB', 'hello'))).not.toHaveProperty('subtype');

    const again = new Workspace();
    again.restore(JSON.parse(JSON.stringify(ws.snapshot())));
    expect(again.messagesIn(open).map((m) => m.subtype)).toEqual(['channel_join', 'channel_leave', undefined]);
  });
});

describe('numbers of controls', () => {
  const control = (actionId: string, label: string, value?: string): Control => ({
    kind: 'button',
    actionId,
    blockId: 'b',
    label,
    ...(value ? { value } : {}),
  });

  it('keeps a control its number while it is the same, and gives a changed one a new number', () => {
    const numbers = new ControlNumbers();
    const at = { channel: 'C1', ts: '1.1', ephemeral: false };
    expect(numbers.numberFor(at, control('ack', 'Acknowledge', '7'))).toBe(1);
    expect(numbers.numberFor(at, control('resolve', 'Resolve', '7'))).toBe(2);
    expect(numbers.numberFor(at, control('ack', 'Acknowledge', '7'))).toBe(1);
    expect(numbers.numberFor(at, control('ack', 'Take command', '{"take":"U1"}'))).toBe(3);
    expect(numbers.get(2)).toEqual({ ...at, actionId: 'resolve', value: '7' });
    expect(numbers.get(9)).toBeUndefined();
  });

  it('finds a label shown last, in the current channel first', () => {
    const numbers = new ControlNumbers();
    numbers.numberFor({ channel: 'C1', ts: '1', ephemeral: false }, control('ack', 'Acknowledge', '1'));
    numbers.numberFor({ channel: 'D1', ts: '2', ephemeral: false }, control('ack', 'Acknowledge', '1'));
    expect(numbers.byLabel('acknowledge', 'C1')).toBe(1);
    expect(numbers.byLabel('ACK', 'D1')).toBe(2);
    expect(numbers.byLabel('acknowledge', 'C9')).toBe(2);
    expect(numbers.byLabel('resolve', 'C1')).toBeUndefined();
  });
});

describe("the console's local Slack on disk", () => {
  it('saves and restores channels, people, messages and id counters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'console-ws-'));
    try {
      const file = workspaceFile(dir, 'postgresql://x/y');
      expect(file).toMatch(/console\/slack-[0-9a-f]{10}\.json$/);
      expect(workspaceFile(dir, undefined)).not.toBe(file);
      const ws = new Workspace();
      const c = ws.addChannel('inc-1-db-down', { members: ['U0ALICE'] });
      ws.addUser('U0ALICE', { name: 'alice' });
      ws.addMessage(c, 'U0ALICE', 'hello');
      ws.dmFor('U0ONCALL');
      saveWorkspace(file, ws);

      const back = new Workspace();
      expect(loadWorkspace(file, back)).toEqual({ restored: true });
      expect(back.channelByName('inc-1-db-down')?.members.has('U0ALICE')).toBe(true);
      expect(back.messagesIn(c).map((m) => m.text)).toEqual(['hello']);
      expect(back.users.get('U0ALICE')?.name).toBe('alice');
      expect(back.dmUser('D0ONCALL')).toBe('U0ONCALL');
      expect(back.nextChannelId()).not.toBe(c);
      expect(loadWorkspace(join(dir, 'none.json'), new Workspace())).toEqual({ restored: false });
      // Saved with its database's identity, read back with it.
      saveWorkspace(file, ws, '2026-12-02T05:00:00.000Z');
      expect(loadWorkspace(file, new Workspace())).toEqual({ restored: true, database: '2026-12-02T05:00:00.000Z' });

      // A workspace made later (the saved one lost) gives out ids the first did not.
      const later = new Workspace();
      later.startIdsAt(Date.now());
      const fresh = later.nextChannelId();
      expect(fresh).toMatch(/^C\d{8}$/);
      expect(fresh).not.toBe(c);
      expect(Number(later.nextTs().split('.')[0])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 1);

      await writeFile(file, '{"version": 1, "channels": ');
      const broken = loadWorkspace(file, new Workspace());
      expect(broken.restored).toBe(false);
      expect(broken.problem).toContain('could not be read');
      expect(await readFile(`${file}.unreadable`, 'utf8')).toContain('"version"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
