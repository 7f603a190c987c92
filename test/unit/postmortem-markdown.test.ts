import { describe, expect, it } from 'vitest';
import type { ActionItem } from '../../src/incidents/action-items.js';
import { evaluateChecklist, type PostmortemAnswers, type PostmortemRecord } from '../../src/incidents/postmortem.js';
import { EVENT_KINDS, type Incident, type IncidentEvent, type IncidentEventKind } from '../../src/incidents/types.js';
import { redactWith } from '../../src/ops/redact.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { postmortemWriter, renderPostmortemMarkdown, utcSeconds } from '../../src/templates/postmortem-markdown.js';
import { describeEvent, runbookNames } from '../../src/templates/timeline.js';
import {
  COMMANDER,
  CREATED_AT,
  makeEvent,
  makeResolvedIncident,
  minutes,
  REPORTER,
} from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

const SECRET = 'sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE';
const KNOWN = 'hunter2-database-password';
const OWNER = 'U0OWNER';
const sec = (s: number) => new Date(CREATED_AT.getTime() + s * 1000);

const runbook = parseRunbook({
  ...testRunbookData(),
  playbooks: {
    'db-connection': {
      title: 'Database Connection Failures',
      kind: 'incident',
      match: ['db'],
      detection: [{ text: 'Check the app status', run: ['atom-cli', 'status'] }],
    },
    'site-recovery': {
      title: 'Disaster Recovery',
      kind: 'procedure',
      sections: { detection: 'Assess impact', mitigation: 'Recover' },
      detection: ['Check Cloud Status page', 'Determine scope'],
      mitigation: [
        'Restore database',
        'Update DATABASE_URL',
        { text: 'Redeploy', run: ['atom-cli', 'deploy'], destructive: true },
      ],
    },
  },
  postmortem: {
    checklist: [
      { text: 'Document incident timeline', done_when: 'timeline' },
      { text: 'Identify root cause', done_when: 'root_cause' },
      { text: 'Create action items', done_when: 'action_items' },
      { text: 'Update runbook if needed', done_when: 'runbook' },
      'Share the post-mortem with support',
    ],
  },
});
const write = postmortemWriter(runbook, redactWith([KNOWN]));

/** One event of every kind, a few seconds apart, each with the details its writer records. */
const DETAILS: Record<IncidentEventKind, [string | null, Record<string, unknown>]> = {
  declared: [REPORTER, { title: 'db down', severity: 2 }],
  channel_created: [null, { channelId: 'CINC42', channelName: 'inc-42-db-down' }],
  severity_changed: [COMMANDER, { from: 2, to: 1 }],
  raise_offered: [null, { severity: 1, alerts: ['DbDown', `Replica | down; key ${SECRET}`] }],
  renamed: [COMMANDER, { from: 'db down', to: `primary db | out of connections; key ${SECRET}` }],
  acknowledged: [COMMANDER, {}],
  command_taken: [REPORTER, { from: COMMANDER, to: REPORTER }],
  command_handed: [REPORTER, { from: COMMANDER, to: 'U0NEXT' }],
  status_update: [
    COMMANDER,
    {
      status: 'investigating',
      affected: 'EU tenants | API',
      currentImpact: '500s on checkout',
      currentStatus: `Pool exhausted; OPENAI_API_KEY=${SECRET}`,
      customerImpact: true,
      dataLossRisk: false,
    },
  ],
  mitigated: [COMMANDER, { how: `rolled back | v57; key ${SECRET}` }],
  resolved: [COMMANDER, { summary: 'Rolled back to v57', secondsToResolve: 3900 }],
  reopened: [
    COMMANDER,
    {
      why: 'errors back after the rollback',
      resolvedAt: '2026-11-28T00:20:00Z',
      resolvedBy: COMMANDER,
      summary: 'Rolled back to v57',
    },
  ],
  phase_changed: [COMMANDER, { from: 'detection', to: 'assessment' }],
  flag_set: [COMMANDER, { flag: 'data_loss_risk', what: `orders table | replica lag; key ${SECRET}` }],
  paged: [
    null,
    { role: 'on_call', rule: 'declared', reason: 'an incident was declared', userIds: ['U0ONCALL'], unreachable: [] },
  ],
  page_skipped: [null, { role: 'cto', rule: 'critical', reason: 'nobody is configured' }],
  page_failed: [null, { roles: ['senior_devops'], rule: 'declared', error: 'Slack answered 500' }],
  page_held: [null, { roles: ['senior_devops', 'cto'], rule: 'critical', reason: 'the incident is SEV-0' }],
  climb_held: [
    null,
    {
      rule: 'unacknowledged',
      role: 'on_call',
      held: [
        { role: 'engineering_manager', when: ['customer impact'] },
        { role: 'cto', when: ['SEV-0 or a data-loss risk'] },
      ],
    },
  ],
  escalation_requested: [REPORTER, { role: 'senior_devops' }],
  reminder_sent: [null, { to: COMMANDER }],
  playbook_attached: [null, { playbook: 'db-connection', suggested: true }],
  step_run: [
    COMMANDER,
    {
      playbook: 'db-connection',
      step: 'detection.0',
      target: ['atom-cli', 'secrets', 'set', `OPENAI_API_KEY=${SECRET}`],
      state: 'succeeded',
      exitCode: 0,
      durationMs: 1234,
    },
  ],
  rollback_verified: [COMMANDER, { version: 'v57', result: 'passed', running: 'v59', failed: [] }],
  step_refused: [REPORTER, { target: ['atom-cli', 'nodes', 'restart', 'n1'], refusal: 'only responders may run it' }],
  approval_requested: [REPORTER, { target: ['alembic', 'downgrade', '-1'] }],
  approval_decided: [COMMANDER, { approval: 3, state: 'denied', reason: `no backup; pw ${KNOWN}` }],
  approval_closed: [
    COMMANDER,
    {
      approval: 4,
      playbook: 'db-conn',
      title: 'Database Connection Failures',
      step: 'm3',
      text: 'Restart every node',
      why: 'step_skipped',
      reason: `recovered; pw ${KNOWN}`,
    },
  ],
  step_done: [
    COMMANDER,
    { playbook: 'db-conn', title: 'Database Connection Failures', step: 'm1', text: 'Open the Neon console' },
  ],
  step_skipped: [
    COMMANDER,
    {
      playbook: 'db-conn',
      title: 'Database Connection Failures',
      step: 'm2',
      text: 'Create a branch',
      reason: 'not needed',
    },
  ],
  step_undone: [
    COMMANDER,
    {
      playbook: 'db-conn',
      title: 'Database Connection Failures',
      step: 'm1',
      text: 'Open the Neon console',
      undid: 'done',
    },
  ],
  playbook_detached: [COMMANDER, { playbook: 'db-conn' }],
  alert_fired: [null, { name: 'HighErrorRate', level: 'critical', summary: 'Error rate above 10%' }],
  alert_resolved: [null, { name: 'HighErrorRate' }],
  notified: [null, { role: 'on_call', userId: 'U0ONCALL', via: 'email', action: 'notify' }],
  notify_failed: [
    null,
    { role: 'on_call', userId: 'U0ONCALL', via: 'email', action: 'notify', detail: 'SMTP 451', attempts: 4 },
  ],
  pagerduty_acknowledged: [null, { role: 'on_call', name: 'Olive Oncall', userId: 'U0ONCALL' }],
  pagerduty_resolved: [null, { role: 'on_call', name: 'Olive Oncall' }],
  page_acknowledged: ['U0ONCALL', { roles: ['senior_devops'], roleNames: ['Senior DevOps Engineer'], pageIds: [3] }],
  made_public: [COMMANDER, {}],
  joined: [REPORTER, {}],
  member_added: [REPORTER, { userId: 'U0OWNER', why: 'action_item_owner' }],
  channel_archived: [REPORTER, {}],
  channel_unarchived: [REPORTER, { invited: [COMMANDER] }],
  note: [REPORTER, { text: 'Customers report <b>errors</b>', source: 'declaration' }],
  action_item_added: [
    COMMANDER,
    { item: 1, text: 'Add pool monitoring', owner: OWNER, dueAt: '2026-12-01T09:00:00.000Z' },
  ],
  action_item_closed: [OWNER, { item: 1, text: 'Add pool monitoring' }],
  action_items_completed: [OWNER, { count: 1 }],
  action_item_reminded: [null, { item: 1, text: 'Add pool monitoring', owner: OWNER }],
  postmortem_written: [COMMANDER, { version: 1 }],
};

const everyKind: IncidentEvent[] = EVENT_KINDS.map((kind, n) =>
  makeEvent({ kind, at: sec(10 * (n + 1)), actorId: DETAILS[kind][0], details: DETAILS[kind][1] }),
);

const item = (over: Partial<ActionItem> = {}): ActionItem => ({
  id: 1,
  incidentId: 7,
  teamId: 'T0001',
  text: 'Add pool monitoring',
  ownerId: OWNER,
  dueAt: new Date('2026-12-01T09:00:00Z'),
  source: 'person',
  state: 'open',
  createdBy: COMMANDER,
  createdAt: minutes(70),
  closedBy: null,
  closedAt: null,
  remindedAt: null,
  ...over,
});

const answers = (over: Partial<PostmortemAnswers> = {}): PostmortemAnswers => ({
  rootCause: 'A connection leak in the worker pool',
  factors: 'No alert on pool usage',
  wentWell: 'Rollback took two minutes',
  wentBadly: `Someone pasted OPENAI_API_KEY=${SECRET} in the channel`,
  runbookSection: null,
  runbookNote: '',
  checked: [],
  ...over,
});

function record(over: Partial<PostmortemRecord> = {}): PostmortemRecord {
  const events = over.events ?? everyKind;
  const a = over.answers ?? answers();
  const items = over.items ?? [
    item(),
    item({
      id: 2,
      text: 'Rotate the key',
      ownerId: null,
      dueAt: null,
      state: 'done',
      closedBy: OWNER,
      closedAt: minutes(90),
    }),
  ];
  return {
    incident: makeResolvedIncident({
      severity: 1,
      affected: 'EU tenants | API',
      currentImpact: '500s on checkout',
      customerImpact: true,
    }),
    events,
    answers: a,
    items,
    checklist: evaluateChecklist(runbook.postmortem.checklist, { events, answers: a, items }),
    severities: runbook.severities,
    version: 2,
    writtenBy: COMMANDER,
    writtenAt: minutes(120),
    names: new Map([
      [COMMANDER, 'Casey Commander'],
      [REPORTER, 'Riley Reporter'],
    ]),
    ...over,
  };
}

/** The rows of the table under a `## heading`. */
function tableRows(md: string, heading: string): string[][] {
  const part = md.split(`## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return part
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .slice(2)
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim()),
    );
}

describe('the post-mortem document', () => {
  it('has every section of the runbook phase, in order', () => {
    const md = write(record());
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'Summary',
      'Severity',
      'Impact',
      'Response times',
      'Timeline',
      'Root cause',
      'Contributing factors',
      'What went well',
      'What went badly',
      'Runbook',
      'Action items',
      'Post-mortem checklist',
    ]);
    expect(md).toMatch(
      /^# Post-mortem: incident #42 — db down\n\nVersion 2 · written by Casey Commander \(UCOMMANDER1\)/,
    );
    expect(md).toContain('Description: Customers report &lt;b>errors&lt;/b>');
    expect(md).toContain('Resolution: Restarted the primary; pool leak');
  });

  it('the timeline has one row per recorded event, in order, with the time in UTC to the second and who', () => {
    const r = record();
    const rows = tableRows(write(r), 'Timeline');
    expect(rows).toHaveLength(r.events.length);
    rows.forEach((row, n) => {
      const e = r.events[n]!;
      expect(row[0]).toBe(utcSeconds(e.at));
      expect(row[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const name = e.actorId
        ? r.names.get(e.actorId)
          ? `${r.names.get(e.actorId)} (${e.actorId})`
          : e.actorId
        : 'the bot';
      expect(row[1]).toBe(name);
    });
  });

  it('every kind of event reads as a sentence of its own (none falls back to its raw details)', () => {
    const rows = tableRows(write(record()), 'Timeline');
    const what = Object.fromEntries(EVENT_KINDS.map((k, n) => [k, rows[n]![2]!]));
    for (const k of EVENT_KINDS) expect(what[k], k).not.toMatch(new RegExp(`^${k}: \\{`));
    expect(what.declared).toBe('Declared SEV-2 (Medium): db down');
    expect(what.severity_changed).toBe('Severity SEV-2 (Medium) → SEV-1 (High)');
    expect(what.renamed).toBe('Renamed from db down to primary db \\| out of connections; key sk-***');
    expect(what.mitigated).toBe('Marked mitigated: rolled back \\| v57; key sk-***');
    expect(what.flag_set).toBe('Flagged a data-loss risk: orders table \\| replica lag; key sk-***');
    expect(what.paged).toBe('Paged On-Call Engineer (U0ONCALL) because an incident was declared');
    expect(what.escalation_requested).toBe('Escalated to Senior DevOps Engineer');
    expect(what.climb_held).toBe(
      'Paged On-Call Engineer again, and nobody further up: the runbook pages Engineering Manager for customer impact and CTO for SEV-0 or a data-loss risk, neither of which applies',
    );
    expect(what.playbook_attached).toBe('Suggested the playbook Database Connection Failures');
    expect(what.step_run).toMatch(
      /^Ran `atom-cli secrets set OPENAI_API_KEY=\*\*\*` \(Database Connection Failures, step Detection 1\): succeeded, exit 0, 1\.2 s$/,
    );
    expect(what.status_update).toContain('affected: EU tenants \\| API');
    expect(what.status_update).toContain('customer impact');
    expect(what.approval_decided).toBe('Denied request #3: no backup; pw ***');
    expect(what.approval_closed).toMatch(
      /^Closed approval request #4 for step .*Restart every node.* of Database Connection Failures: .* skipped the step \(recovered; pw \*\*\*\); nothing ran$/,
    );
    expect(what.action_item_added).toBe(
      'Added action item: Add pool monitoring (owner U0OWNER, due 2026-12-01 09:00:00)',
    );
    expect(what.action_items_completed).toBe('Every action item is done (1)');
  });

  it('command handed to oneself reads as taking command, as the timeline says', () => {
    const events = [
      makeEvent({ kind: 'command_handed', actorId: REPORTER, at: sec(5), details: { from: COMMANDER, to: REPORTER } }),
      makeEvent({ kind: 'command_handed', actorId: REPORTER, at: sec(6), details: { from: REPORTER, to: 'U0NEXT' } }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows.map((r) => r[2])).toEqual([
      'Took command from Casey Commander (UCOMMANDER1)',
      'Handed command to U0NEXT (from Riley Reporter (UREPORTER1))',
    ]);
  });

  it('a page by name (`/incident page @dana`) names the person, not its stored role', () => {
    const role = 'person:U0DANA:Dana Scully';
    const events = [
      makeEvent({ kind: 'escalation_requested', actorId: REPORTER, at: sec(5), details: { role } }),
      makeEvent({
        kind: 'paged',
        at: sec(6),
        details: { role, rule: 'manual', reason: 'someone escalated by hand', userIds: ['U0DANA'], unreachable: [] },
      }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows.map((r) => r[2])).toEqual([
      'Asked for a page of U0DANA by name',
      'Paged U0DANA by name because someone escalated by hand',
    ]);
  });

  it("names whom Slack said cannot be messaged at all with its answer and what it means (a role's, a person's by name)", () => {
    const events = [
      makeEvent({
        kind: 'paged',
        at: sec(5),
        details: {
          role: 'senior_devops',
          rule: 'declared',
          reason: 'an incident was declared',
          userIds: ['U0SENIOR'],
          unreachable: ['U0GONE', 'U0BOT'],
          unreachableErrors: ['user_not_found', 'cannot_dm_bot'],
        },
      }),
      makeEvent({
        kind: 'paged',
        at: sec(6),
        details: {
          role: 'person:U0DANA:Dana Scully',
          rule: 'manual',
          reason: 'someone escalated by hand',
          userIds: [],
          unreachable: ['U0DANA'],
          unreachableErrors: ['user_not_found'],
        },
      }),
    ];
    expect(tableRows(write(record({ events })), 'Timeline').map((r) => r[2])).toEqual([
      "Paged Senior DevOps Engineer (U0SENIOR) because an incident was declared; could not reach U0GONE (user_not_found: no such Slack user: fix the ID in the runbook's escalation contacts), U0BOT (cannot_dm_bot: a bot cannot be paged)",
      'Paged U0DANA by name (not reached: U0DANA (user_not_found: no such Slack user)) because someone escalated by hand',
    ]);
  });

  it("a page given up says each role's own answer (an entry from before says its one), on the timeline too", () => {
    const failed = (details: Record<string, unknown>, n: number) =>
      makeEvent({ kind: 'page_failed', at: sec(n), details: { rule: 'declared', ...details } });
    const events = [
      // Written before each page kept its own answer: the one error, for all its roles.
      failed({ roles: ['on_call', 'senior_devops'], error: 'Slack answered 500' }, 5),
      failed(
        {
          roles: ['on_call', 'senior_devops'],
          errors: ['Slack answered 500', 'Slack answered 503'],
          error: 'Slack answered 500',
        },
        6,
      ),
      failed({ roles: ['senior_devops'], errors: ['Slack answered 503'], error: 'Slack answered 503' }, 7),
    ];
    const stopped = 'direct messages failed try after try, so the bot stopped trying';
    const expected = [
      `Could not page On-Call Engineer, Senior DevOps Engineer: its ${stopped} (Slack answered 500)`,
      `Could not page On-Call Engineer (Slack answered 500), Senior DevOps Engineer (Slack answered 503): their ${stopped}`,
      `Could not page Senior DevOps Engineer: its ${stopped} (Slack answered 503)`,
    ];
    expect(tableRows(write(record({ events })), 'Timeline').map((r) => r[2])).toEqual(expected);
    expect(events.map((e) => describeEvent(e, runbookNames(runbook)))).toEqual(expected);
  });

  it('reads rollbacks and the post-deployment checks after them as such', () => {
    const events = [
      makeEvent({
        kind: 'step_run',
        at: sec(5),
        details: {
          playbook: 'rollback',
          step: 'mitigation.0',
          target: ['atom-cli', 'rollback', 'v57'],
          state: 'succeeded',
          exitCode: 0,
          durationMs: 800,
        },
      }),
      makeEvent({
        kind: 'step_run',
        at: sec(6),
        details: {
          playbook: 'rollback',
          step: 'resolution.1',
          target: ['GET', 'https://app/api/health'],
          state: 'succeeded',
          exitCode: null,
          durationMs: 40,
        },
      }),
      makeEvent({
        kind: 'rollback_verified',
        at: sec(7),
        details: {
          version: 'v57',
          result: 'failed',
          running: 'v58',
          failed: [{ name: 'atom-cli status', detail: 'status shows v58' }],
        },
      }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows.map((r) => r[2])).toEqual([
      'Rolled back: `atom-cli rollback v57`, succeeded, exit 0, 800 ms',
      'Post-deployment check `GET https://app/api/health`: succeeded, 40 ms',
      'Rollback to `v57`: verification failed — `atom-cli status`: status shows v58',
    ]);
  });

  it('a step run that looked for lines says how many had them, in the post-mortem and on the timeline', () => {
    const details = {
      playbook: 'high-error-rates',
      step: 'detection.0',
      target: ['atom-cli', 'logs', '--lines', '200'],
      state: 'succeeded',
      exitCode: 0,
      durationMs: 100,
      found: { words: '"ERROR"', matched: 34, total: 200 },
    };
    const events = [makeEvent({ kind: 'step_run', at: sec(5), details })];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows[0]![2]).toContain('; 34 of 200 lines have "ERROR"');
    expect(describeEvent(events[0]!)).toContain('exit 0 — 34 of 200 lines have "ERROR"');
    const none = makeEvent({
      kind: 'step_run',
      at: sec(5),
      details: { ...details, found: { words: '"ERROR"', matched: 0, total: 200 } },
    });
    expect(describeEvent(none)).toContain('exit 0 — no line has "ERROR"');
  });

  it("a step run names its step by its section (the playbook's own name), and the required steps it ran without", () => {
    const events = [
      makeEvent({
        kind: 'step_run',
        at: sec(5),
        details: {
          playbook: 'site-recovery',
          step: 'mitigation.2',
          target: ['atom-cli', 'deploy'],
          state: 'succeeded',
          exitCode: 0,
          durationMs: 800,
          notDone: [
            { step: 'detection.0', section: 'Assess impact', number: 1, text: 'Check Cloud Status page' },
            { step: 'detection.1', section: 'Assess impact', number: 2, text: 'Determine scope' },
          ],
        },
      }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows[0]![2]).toMatch(
      /^Ran `atom-cli deploy` \(Disaster Recovery, step Recover 3\): succeeded, exit 0, 800 ms; run with 2 required steps not done: Assess impact 1, Assess impact 2$/,
    );
  });

  it("an alert's firing and resolution say its source's own times (Alertmanager's startsAt, endsAt) when it gave them", () => {
    const alert = { name: 'HighErrorRate', level: 'critical', summary: 'Error rate above 10%' };
    const events = [
      makeEvent({ kind: 'alert_fired', at: sec(5), details: { ...alert, startsAt: '2026-11-30T08:02:05.288Z' } }),
      makeEvent({ kind: 'alert_resolved', at: sec(9), details: { ...alert, endsAt: '2026-11-30T08:40:00.000Z' } }),
      makeEvent({ kind: 'alert_fired', at: sec(12), details: alert }),
      // Where it fired, when its labels said (two nodes of one alert are told apart).
      makeEvent({ kind: 'alert_fired', at: sec(13), details: { ...alert, where: 'instance=web-2' } }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows.map((r) => r[2])).toEqual([
      "Alert HighErrorRate (critical) fired at 2026-11-30 08:02:05 UTC (its source's time): Error rate above 10%",
      // Its summary too: two alerts of one name (web-1, web-2 down) are told apart by it, as when they fired.
      "Alert HighErrorRate resolved at 2026-11-30 08:40:00 UTC (its source's time): Error rate above 10%",
      'Alert HighErrorRate (critical) fired: Error rate above 10%',
      'Alert HighErrorRate on instance=web-2 (critical) fired: Error rate above 10%',
    ]);
  });

  it("a reminder says what it was about: a status update due, or an RTO bound of the incident's procedure passed", () => {
    // By its title in the runbook (this one's only playbook); by its id when the runbook no longer has it.
    const rto = { playbook: 'db-connection', minMs: 2 * 3_600_000, maxMs: 4 * 3_600_000 };
    const events = [
      makeEvent({ kind: 'reminder_sent', at: sec(5), details: { to: COMMANDER } }),
      makeEvent({ kind: 'reminder_sent', at: sec(6), details: { rule: 'rto_lower_bound', ...rto } }),
      makeEvent({ kind: 'reminder_sent', at: sec(7), details: { rule: 'rto_passed', ...rto } }),
      makeEvent({ kind: 'reminder_sent', at: sec(8), details: { rule: 'rto_passed', ...rto, playbook: 'gone' } }),
      makeEvent({
        kind: 'reminder_sent',
        at: sec(9),
        details: { rule: 'paging_stopped', rounds: 10, afterMs: 55 * 60_000 },
      }),
    ];
    expect(tableRows(write(record({ events })), 'Timeline').map((r) => r[2])).toEqual([
      'Reminded the commander that a status update was due',
      'Reminded the commander that Database Connection Failures is past the lower bound of its RTO (2-4 hours)',
      'Reminded the commander that Database Connection Failures is past its RTO (2-4 hours)',
      'Reminded the commander that gone is past its RTO (2-4 hours)',
      'Paging stopped after 10 rounds: nobody acknowledged in 55 minutes',
    ]);
  });

  it('an event of a kind it does not know (from a newer version) still has its row', () => {
    const events = [
      makeEvent({ kind: 'alert_received' as IncidentEventKind, details: { source: 'grafana', title: 'p95 > 3s' } }),
    ];
    const rows = tableRows(write(record({ events })), 'Timeline');
    expect(rows).toHaveLength(1);
    expect(rows[0]![2]).toContain('alert_received');
    expect(rows[0]![2]).toContain('grafana');
  });

  it('masks secrets in commands and in what people wrote, by pattern and by value', () => {
    const md = write(record());
    expect(md).not.toContain(SECRET);
    expect(md).not.toContain(KNOWN);
    expect(md).toContain('OPENAI_API_KEY=***');
  });

  it('keeps user text from breaking the tables or carrying HTML', () => {
    const r = record({
      incident: makeResolvedIncident({ title: 'db | down <script>alert(1)</script>', affected: 'a|b' }),
    });
    const md = write(r);
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script>');
    for (const row of tableRows(md, 'Timeline')) expect(row).toHaveLength(3);
    for (const row of tableRows(md, 'Action items')) expect(row).toHaveLength(5);
  });

  it('says in its summary when the incident was reopened, by whom and why, and the resolution it undid', () => {
    const md = write(record());
    const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Severity'));
    expect(summary).toMatch(
      /\nReopened 2026-11-2\d \d\d:\d\d:\d\d UTC by Casey Commander \(UCOMMANDER1\): errors back after the rollback; it had been resolved 2026-11-28 00:20:00 UTC by Casey Commander \(UCOMMANDER1\) \(Rolled back to v57\)\.\n/,
    );
  });

  it('says in its summary that an incident opened from alerts was declared by the bot from which monitoring', () => {
    const fired = (source: string, n: number) =>
      makeEvent({
        kind: 'alert_fired',
        at: sec(n),
        details: { name: `A${n}`, level: 'critical', summary: 's', source },
      });
    const r = record({
      incident: makeResolvedIncident({ reporterId: 'UBOT', source: 'alert' }),
      events: [fired('alertmanager', 1), fired('alertmanager', 2), fired('grafana', 3)],
      names: new Map([['UBOT', 'Incident Bot']]),
    });
    const summary = (md: string) => md.slice(md.indexOf('## Summary'), md.indexOf('## Severity'));
    expect(summary(write(r))).toMatch(/ UTC by Incident Bot \(UBOT\) from alertmanager and grafana alerts, resolved /);
    // Declared by a person: as before.
    expect(summary(write(record()))).not.toContain(' alerts, resolved');
  });

  it('leaves > and & as typed where they start no HTML, and an entity typed as text', () => {
    const r = record({
      incident: makeResolvedIncident({ title: 'p99 > 2s & R&D <b> &lt; &#60;', affected: 'a|b' }),
    });
    const md = write(r);
    expect(md).toMatch(/^# Post-mortem: incident #42 — p99 > 2s & R&D &lt;b> &amp;lt; &amp;#60;\n/);
    expect(md).not.toContain('&gt;');
  });

  it('shows the severity at declaration and every change, with the highest reached', () => {
    const events = [
      makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { title: 'db down', severity: 2 } }),
      makeEvent({ kind: 'severity_changed', at: sec(60), actorId: COMMANDER, details: { from: 2, to: 0 } }),
      makeEvent({ kind: 'severity_changed', at: sec(120), actorId: COMMANDER, details: { from: 0, to: 1 } }),
    ];
    const md = write(record({ events }));
    expect(tableRows(md, 'Severity')).toEqual([
      [utcSeconds(sec(0)), 'Riley Reporter (UREPORTER1)', 'SEV-2 (Medium) at declaration'],
      [utcSeconds(sec(60)), 'Casey Commander (UCOMMANDER1)', 'SEV-2 (Medium) → SEV-0 (Critical)'],
      [utcSeconds(sec(120)), 'Casey Commander (UCOMMANDER1)', 'SEV-0 (Critical) → SEV-1 (High)'],
    ]);
    expect(md).toContain('Final: SEV-1 (High). Highest: SEV-0 (Critical). 2 changes.');
  });

  it('gives impact from the record and the times to acknowledge, mitigate and resolve', () => {
    // The record's own times, on its timeline as its writers record them.
    const events = [
      makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { title: 'db down', severity: 1 } }),
      // (Not the data-loss flag: this incident never had it.)
      ...everyKind.filter((e) => !['declared', 'mitigated', 'resolved', 'reopened', 'flag_set'].includes(e.kind)),
      makeEvent({ kind: 'mitigated', at: minutes(60), actorId: COMMANDER, details: { how: 'rolled back' } }),
      makeEvent({ kind: 'resolved', at: minutes(65), actorId: COMMANDER, details: { summary: 'Rolled back' } }),
    ];
    const md = write(record({ events }));
    expect(md).toContain('- Affected: EU tenants \\| API');
    expect(md).toMatch(
      /- Customer impact: yes \(flagged \d{4}-\d\d-\d\d [\d:]+ UTC by Casey Commander \(UCOMMANDER1\)\)/,
    );
    expect(md).toContain('- Data-loss risk: no');
    expect(md).toContain('- Impact at the last status update: 500s on checkout');
    expect(tableRows(md, 'Response times')).toEqual([
      ['Time to acknowledge', '4 minutes', `${utcSeconds(minutes(4))} by Casey Commander (UCOMMANDER1)`],
      ['Time to mitigate', '1 hour', `${utcSeconds(minutes(60))} by Casey Commander (UCOMMANDER1)`],
      ['Time to resolve', '1 hour 5 minutes', `${utcSeconds(minutes(65))} by Casey Commander (UCOMMANDER1)`],
    ]);
  });

  it('an incident resolved with nobody acknowledging it was never acknowledged (not "not yet": it is over)', () => {
    const events = [
      makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { severity: 2 } }),
      makeEvent({ kind: 'resolved', at: minutes(30), actorId: REPORTER, details: { summary: 'x' } }),
    ];
    const incident = makeResolvedIncident({ acknowledgedAt: null, acknowledgedBy: null, commanderId: null });
    expect(
      tableRows(write(record({ events, incident })), 'Response times').find((r) => r[0] === 'Time to acknowledge'),
    ).toEqual(['Time to acknowledge', '—', 'never acknowledged']);
    // A draft written before the resolution: not yet.
    const open = makeResolvedIncident({
      status: 'investigating',
      phase: 'assessment',
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
    });
    expect(
      tableRows(write(record({ events: events.slice(0, 1), incident: open })), 'Response times').find(
        (r) => r[0] === 'Time to acknowledge',
      ),
    ).toEqual(['Time to acknowledge', '—', 'not yet']);
  });

  it('a status update posted as Mitigated is when it was mitigated, as the metrics count it', () => {
    const events = [
      makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { severity: 2 } }),
      makeEvent({ kind: 'status_update', at: minutes(7), actorId: COMMANDER, details: { status: 'mitigated' } }),
      makeEvent({ kind: 'resolved', at: minutes(30), actorId: REPORTER, details: { summary: 'x' } }),
    ];
    expect(tableRows(write(record({ events })), 'Response times').find((r) => r[0] === 'Time to mitigate')).toEqual([
      'Time to mitigate',
      '7 minutes',
      `${utcSeconds(minutes(7))} by Casey Commander (UCOMMANDER1)`,
    ]);
  });

  it('customer impact flagged in a status update, then left unticked in a later one: yes, cleared since, by whom', () => {
    const update = (at: Date, customerImpact: boolean, by: string) =>
      makeEvent({ kind: 'status_update', at, actorId: by, details: { status: 'investigating', customerImpact } });
    const events = [
      makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { severity: 1 } }),
      update(minutes(5), true, COMMANDER),
      update(minutes(30), false, REPORTER),
    ];
    const r = record({ events });
    const md = write({ ...r, incident: { ...r.incident, customerImpact: false } });
    expect(md).toContain(
      `- Customer impact: yes, cleared since (flagged ${utcSeconds(minutes(5))} UTC by Casey Commander (UCOMMANDER1); cleared ${utcSeconds(minutes(30))} UTC by Riley Reporter (UREPORTER1))`,
    );
    // Never flagged: no.
    const never = record({ events: [events[0]!] });
    expect(write({ ...never, incident: { ...never.incident, customerImpact: false } })).toContain(
      '- Customer impact: no',
    );
  });

  it('reopened and resolved again: mitigated is the first mitigation (not the second resolution); declared one time throughout', () => {
    // Declared a second after its row was made (the channel, the card): the timeline's time is the one shown.
    const events = [
      makeEvent({ kind: 'declared', at: sec(1), actorId: REPORTER, details: { title: 'db down', severity: 1 } }),
      makeEvent({ kind: 'mitigated', at: minutes(20), actorId: COMMANDER, details: { how: 'retries off' } }),
      makeEvent({ kind: 'resolved', at: minutes(30), actorId: COMMANDER, details: { summary: 'x' } }),
      makeEvent({ kind: 'reopened', at: minutes(40), actorId: COMMANDER, details: { why: 'not over' } }),
      makeEvent({ kind: 'resolved', at: minutes(65), actorId: COMMANDER, details: { summary: 'really over' } }),
    ];
    // The incident as a reopening left it: its own mitigation time cleared, then set by the second resolution.
    const r = record({ events });
    const md = write({ ...r, incident: { ...r.incident, mitigatedAt: minutes(65) } });
    expect(tableRows(md, 'Response times').find((row) => row[0] === 'Time to mitigate')).toEqual([
      'Time to mitigate',
      '19 minutes',
      `${utcSeconds(minutes(20))} by Casey Commander (UCOMMANDER1)`,
    ]);
    expect(md).toContain(`declared ${utcSeconds(sec(1))} UTC by`);
    expect(tableRows(md, 'Severity')[0]![0]).toBe(utcSeconds(sec(1)));
    expect(md).not.toContain(utcSeconds(CREATED_AT));
  });

  it('the time to detect is from the first alert that is not an info alert (recorded only), unless only info fired', () => {
    const fired = (name: string, level: string, before: number) =>
      makeEvent({
        kind: 'alert_fired',
        at: sec(0),
        details: {
          name,
          level,
          summary: name,
          startsAt: new Date(CREATED_AT.getTime() - before * 60_000).toISOString(),
        },
      });
    const declared = makeEvent({ kind: 'declared', at: sec(0), actorId: REPORTER, details: { severity: 1 } });
    const both = write(
      record({ events: [declared, fired('PodRestarts', 'info', 20), fired('ApiDown', 'critical', 3)] }),
    );
    expect(both).toMatch(/\| Time to detect \| 3 minutes \| .*the first alert, ApiDown, fired/);
    const info = write(record({ events: [declared, fired('PodRestarts', 'info', 20)] }));
    expect(info).toMatch(/\| Time to detect \| 20 minutes \| .*the first alert, PodRestarts, fired/);
  });

  it("an incident its alerts opened says the time to detect: from the first alert firing (its source's time) to the declaration", () => {
    const alert = { name: 'HighErrorRate', level: 'critical', summary: 'Error rate above 10%' };
    const fired = new Date(CREATED_AT.getTime() - 44 * 60_000);
    const events = [
      makeEvent({
        kind: 'alert_fired',
        at: sec(0),
        details: { ...alert, startsAt: new Date(fired.getTime() + 60_000).toISOString() },
      }),
      makeEvent({
        kind: 'alert_fired',
        at: sec(0),
        details: { ...alert, name: 'HighLatency', startsAt: fired.toISOString() },
      }),
      makeEvent({ kind: 'alert_fired', at: sec(30), details: alert }),
    ];
    expect(tableRows(write(record({ events })), 'Response times')[0]).toEqual([
      'Time to detect',
      '44 minutes',
      `${utcSeconds(CREATED_AT)} (declared; the first alert, HighLatency, fired ${utcSeconds(fired)})`,
    ]);
    // No alert, or none firing before the declaration (one that joined later, one with no time of its own): no row.
    const measures = (evs: ReturnType<typeof makeEvent>[]) =>
      tableRows(write(record({ events: evs })), 'Response times').map((r) => r[0]);
    expect(measures([])).not.toContain('Time to detect');
    expect(measures([makeEvent({ kind: 'alert_fired', at: sec(30), details: alert })])).not.toContain('Time to detect');
    const later = { ...alert, startsAt: sec(20).toISOString() };
    expect(measures([makeEvent({ kind: 'alert_fired', at: sec(30), details: later })])).not.toContain('Time to detect');
    // An alert added by mistake and taken out again is not the incident's detection; added again, it is.
    const mistaken = makeEvent({
      kind: 'alert_fired',
      at: sec(40),
      details: { ...alert, alert: 7, name: 'DiskWarn', startsAt: new Date(fired.getTime() - 3_600_000).toISOString() },
    });
    const takenOut = makeEvent({ kind: 'note', at: sec(50), details: { text: 'Took …', alertsTakenOut: [7] } });
    const detectedBy = (evs: ReturnType<typeof makeEvent>[]) =>
      tableRows(write(record({ events: evs })), 'Response times')[0]!.slice(0, 2);
    expect(detectedBy([...events, mistaken, takenOut])).toEqual(['Time to detect', '44 minutes']);
    expect(detectedBy([...events, mistaken])).toEqual(['Time to detect', '1 hour 44 minutes']);
    expect(detectedBy([...events, mistaken, takenOut, mistaken])).toEqual(['Time to detect', '1 hour 44 minutes']);
  });

  it("says the time to recover (mitigated, else resolved) against the RTO of the incident's procedure, as the card does", () => {
    const H = 3_600_000;
    // Mitigated 1 hour, resolved 1 hour 5 minutes after it was declared (makeResolvedIncident).
    const withRto = (minMs: number, maxMs: number, over: Partial<Incident> = {}) =>
      write(
        record({
          incident: makeResolvedIncident({ recovery: { playbook: 'db-connection', minMs, maxMs }, ...over }),
        }),
      );
    const head = 'Recovery time objective of Database Connection Failures: RTO';
    expect(withRto(2 * H, 4 * H)).toContain(`${head} 2-4 hours; recovered (mitigated) after 1 hour: within the RTO.`);
    expect(withRto(H / 2, 2 * H)).toContain(
      `${head} 30 minutes to 2 hours; recovered (mitigated) after 1 hour: past its lower bound, within the RTO.`,
    );
    expect(withRto(H / 4, H / 2)).toContain(
      `${head} 15-30 minutes; recovered (mitigated) after 1 hour: past the RTO by 30 minutes.`,
    );
    // Resolved without being mitigated first (resolving stamps the mitigation at the same time): recovered when resolved.
    const resolvedAt = makeResolvedIncident().resolvedAt!;
    expect(withRto(H / 2, H, { mitigatedAt: resolvedAt })).toContain(
      `${head} 30 minutes to 1 hour; recovered (resolved) after 1 hour 5 minutes: past the RTO by 5 minutes.`,
    );
    expect(withRto(H / 2, H, { mitigatedAt: null })).toContain(
      `${head} 30 minutes to 1 hour; recovered (resolved) after 1 hour 5 minutes: past the RTO by 5 minutes.`,
    );
    expect(
      withRto(2 * H, 4 * H, { status: 'investigating', mitigatedAt: null, resolvedAt: null, resolvedBy: null }),
    ).toMatch(/RTO 2-4 hours; not recovered yet, due \d{4}-\d\d-\d\d [\d:]+ UTC\./);
    // No procedure with an RTO: no such line.
    expect(write(record())).not.toContain('Recovery time objective');
  });

  it('lists the action items with owners, due dates and state', () => {
    expect(tableRows(write(record()), 'Action items')).toEqual([
      ['1', 'Add pool monitoring', 'U0OWNER', '2026-12-01 09:00:00', 'open'],
      ['2', 'Rotate the key', '_nobody_', '', `done ${utcSeconds(minutes(90))} by U0OWNER`],
    ]);
    expect(write(record({ items: [] }))).toContain('_No action items._');
  });

  it("ticks the runbook's checklist from the record and from the form", () => {
    const md = write(record({ answers: answers({ checked: ['Share the post-mortem with support'] }) }));
    const list = md.split('## Post-mortem checklist\n')[1]!;
    expect(list).toContain(`- [x] Document incident timeline (${EVENT_KINDS.length} events on the timeline)`);
    expect(list).toContain('- [x] Identify root cause (root cause written)');
    expect(list).toContain('- [x] Create action items (2 action items)');
    expect(list).toContain('- [x] Update runbook if needed (no update needed)');
    expect(list).toContain('- [x] Share the post-mortem with support (ticked by hand)');

    const open = answers({ rootCause: '', runbookSection: 'Escalation procedures' });
    const runbookItem = item({ id: 3, source: 'runbook', text: 'Update the runbook: Escalation procedures' });
    const md2 = write(record({ answers: open, items: [runbookItem] }));
    const list2 = md2.split('## Post-mortem checklist\n')[1]!;
    expect(list2).toContain('- [ ] Identify root cause (no root cause yet)');
    expect(list2).toContain('- [ ] Update runbook if needed (Escalation procedures needs an update)');
    expect(list2).toContain('- [ ] Share the post-mortem with support (not ticked)');
    expect(md2).toContain('Needs an update: Escalation procedures.');
    expect(md2).toContain('## Root cause\n\n_Not identified yet._');

    const done = write(record({ answers: open, items: [{ ...runbookItem, state: 'done' }] }));
    expect(done).toContain('- [x] Update runbook if needed (Escalation procedures: updated)');
  });

  it('says so when the runbook file has no checklist', () => {
    const md = renderPostmortemMarkdown(record({ checklist: [] }), {
      roles: new Map(),
      playbooks: new Map(),
      mask: (t) => t,
    });
    expect(md).toContain('_The runbook file has no post-mortem checklist (`postmortem.checklist`)._');
  });
});
