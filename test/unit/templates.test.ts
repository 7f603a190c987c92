import type { ActionsBlock, HeaderBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/commands/subcommands.js';
import { notDoneOfRecord, notDoneRecord } from '../../src/incidents/checklist.js';
import type { IncidentEvent } from '../../src/incidents/types.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { communicationTemplate, renderStatusUpdate } from '../../src/templates/communication.js';
import { messagePrefill } from '../../src/templates/declare-modal.js';
import { renderHelp } from '../../src/templates/help.js';
import { ACTION, BLOCK, FLAG, INPUT, VIEW } from '../../src/templates/ids.js';
import { type Message, renderIncidentCard } from '../../src/templates/incident-card.js';
import { renderIncidentList } from '../../src/templates/incident-list.js';
import { resolveModal, statusUpdateModal } from '../../src/templates/modals.js';
import {
  postedLate,
  renderAlreadyDeclared,
  renderAnnouncement,
  renderDeclarationReport,
  renderDeclaredReply,
  renderNotice,
  renderResolved,
} from '../../src/templates/notices.js';
import { plainFromMrkdwn } from '../../src/templates/text.js';
import { renderTimeline } from '../../src/templates/timeline.js';
import { limitProblems, mrkdwnTexts } from '../support/block-kit-limits.js';
import {
  CHANNEL,
  COMMANDER,
  CREATED_AT,
  makeEvent,
  makeIncident,
  makeResolvedIncident,
  makeUpdate,
  minutes,
  NOW,
  REPORTER,
} from '../support/incident-fixture.js';
import { CARD_ACTION_IDS, COMMUNICATION_HEADINGS } from '../support/template-parts.js';

/** The bundled runbook's severity levels (SEV-1: High, respond within 15 minutes). */
const SEV = (await loadRunbook()).severities;

const header = (m: Message) => m.blocks.find((b): b is HeaderBlock => b.type === 'header');
const actions = (m: Message) => m.blocks.find((b): b is ActionsBlock => b.type === 'actions');
const allMrkdwn = (m: Message) => mrkdwnTexts(m).map((t) => t.text);

describe('renderIncidentCard', () => {
  const card = renderIncidentCard(makeIncident(), NOW, SEV);
  const fields = (card.blocks.find((b) => b.type === 'section' && 'fields' in b) as SectionBlock).fields!;
  const fieldTexts = fields.map((f) => f.text);

  it('has a header with severity, number and title', () => {
    expect(card.blocks[0]!.type).toBe('header');
    expect(header(card)!.text.text).toBe('SEV-1 · #42 db down');
  });

  it('shows severity with the response time, status, phase, start, commander and reporter', () => {
    expect(fieldTexts).toContain('*Severity*\nSEV-1 · respond within 15 minutes');
    expect(fieldTexts).toContain('*Status*\n:red_circle: Investigating');
    expect(fieldTexts).toContain('*Phase*\nDetection');
    expect(fieldTexts).toContain('*Commander*\n_nobody yet_');
    const resolvedFields = (
      renderIncidentCard(makeIncident({ status: 'resolved', commanderId: null }), NOW, SEV).blocks.find(
        (b) => b.type === 'section' && 'fields' in b,
      ) as SectionBlock
    ).fields!.map((f) => f.text);
    expect(resolvedFields).toContain('*Commander*\n_nobody_');
    expect(fieldTexts).toContain(`*Reported by*\n<@${REPORTER}>`);
    const started = fieldTexts.find((t) => t.startsWith('*Started*'))!;
    // How long ago is Slack's to say, as each reader reads it: the card never goes stale ("0 seconds ago" an hour on).
    expect(started).toBe(
      `*Started*\n<!date^${CREATED_AT.getTime() / 1000}^{date_short_pretty} {time} ({ago})|2026-11-27 23:14 UTC>`,
    );
    expect(started).not.toContain('5 minutes ago');
  });

  it.each([
    [0, 'SEV-0 · respond within 5 minutes'],
    [2, 'SEV-2 · respond within 1 hour'],
    [3, 'SEV-3 · respond within 4 hours'],
  ] as const)('shows SEV-%i with its response time', (severity, expected) => {
    const c = renderIncidentCard(makeIncident({ severity }), NOW, SEV);
    expect(header(c)!.text.text.startsWith(`SEV-${severity} · #42`)).toBe(true);
    expect(allMrkdwn(c)).toContain(`*Severity*\n${expected}`);
  });

  it('offers Acknowledge, Change severity, Post status update, Mark mitigated, Escalate now, Roll back and Resolve', () => {
    const a = actions(card)!;
    expect(a.block_id).toBe(`${BLOCK.cardActions}:7`);
    expect(a.elements.map((e) => e.action_id)).toEqual([...CARD_ACTION_IDS]);
    const labels = a.elements.map((e) => (e.type === 'button' ? e.text.text : e.type));
    expect(labels).toEqual([
      'Acknowledge',
      'static_select',
      'Post status update',
      'Mark mitigated',
      'Escalate now',
      'Roll back',
      'Resolve',
    ]);
    for (const e of a.elements) if (e.type === 'button') expect(e.value).toBe('7');
  });

  it('preselects the current severity in the severity menu, as one of its options', () => {
    for (const severity of [0, 1, 2, 3] as const) {
      const select = actions(renderIncidentCard(makeIncident({ severity }), NOW, SEV))!.elements.find(
        (e) => e.action_id === ACTION.changeSeverity,
      );
      expect(select?.type).toBe('static_select');
      if (select?.type !== 'static_select') return;
      expect(select.options!.map((o) => o.value)).toEqual(['0', '1', '2', '3']);
      expect(select.initial_option?.value).toBe(String(severity));
      expect(select.options).toContainEqual(select.initial_option);
    }
  });

  it('turns Acknowledge into Take command once acknowledged, and shows time to acknowledge', () => {
    const c = renderIncidentCard(
      makeIncident({
        commanderId: COMMANDER,
        acknowledgedAt: minutes(4),
        acknowledgedBy: COMMANDER,
        phase: 'assessment',
      }),
      NOW,
      SEV,
    );
    const ack = actions(c)!.elements.find((e) => e.action_id === ACTION.acknowledge);
    expect(ack?.type === 'button' && ack.text.text).toBe('Take command');
    expect(allMrkdwn(c)).toContain(`*Commander*\n<@${COMMANDER}>`);
    expect(allMrkdwn(c)).toContain('*Phase*\nAssessment');
    expect(allMrkdwn(c).join('\n')).toContain(`Acknowledged after 4 minutes by <@${COMMANDER}>`);
  });

  it('drops Mark mitigated once mitigated', () => {
    const c = renderIncidentCard(makeIncident({ status: 'mitigated', phase: 'resolution' }), NOW, SEV);
    expect(actions(c)!.elements.map((e) => e.action_id)).not.toContain(ACTION.markMitigated);
    expect(allMrkdwn(c)).toContain('*Status*\n:large_yellow_circle: Mitigated');
  });

  it('once resolved, offers only Write post-mortem and Reopen (which asks first), and shows the resolution', () => {
    const c = renderIncidentCard(makeResolvedIncident(), minutes(70), SEV);
    const only = actions(c)!;
    expect(only.block_id).toBe(`${BLOCK.postmortemActions}:7`);
    expect(only.elements.map((e) => (e as { action_id: string }).action_id)).toEqual([
      ACTION.writePostmortem,
      ACTION.reopen,
    ]);
    expect((only.elements[1] as { confirm?: unknown }).confirm).toBeDefined();
    const text = allMrkdwn(c).join('\n');
    expect(text).toContain('*Resolution:* Restarted the primary; pool leak');
    expect(text).toContain(`Resolved after 1 hour 5 minutes by <@${COMMANDER}>`);
    expect(text).toContain('*Phase*\nPost-mortem');
    expect(c.text).toContain('Resolved');
  });

  it('reopened since its last status update, says the status shown is from before the reopening; a newer one, not', () => {
    const status = { currentStatus: 'restarted node, errors falling', lastUpdateAt: minutes(20) };
    const reopened = renderIncidentCard(
      makeIncident({ ...status, status: 'investigating', reopenedAt: minutes(40), reopenedBy: COMMANDER }),
      minutes(41),
      SEV,
    );
    expect(allMrkdwn(reopened).join('\n')).toContain('before the incident was reopened: post a new one.');
    expect(allMrkdwn(reopened).join('\n')).toContain('*Current status:* restarted node, errors falling');
    const updated = renderIncidentCard(
      makeIncident({ ...status, status: 'investigating', lastUpdateAt: minutes(45), reopenedAt: minutes(40) }),
      minutes(46),
      SEV,
    );
    expect(allMrkdwn(updated).join('\n')).not.toContain('before the incident was reopened');
    // Past the next update promised: overdue, not "due" as if still to come.
    const overdue = renderIncidentCard(makeIncident({ nextUpdateAt: minutes(30) }), minutes(31), SEV);
    expect(allMrkdwn(overdue).join('\n')).toContain('Next update was due');
    expect(allMrkdwn(overdue).join('\n')).toContain(': overdue');
  });

  it('shows flags, the next update and the latest status', () => {
    const c = renderIncidentCard(
      makeIncident({
        customerImpact: true,
        dataLossRisk: true,
        nextUpdateAt: minutes(30),
        affected: 'EU checkout',
        currentImpact: '30% errors',
        currentStatus: 'failing over',
      }),
      NOW,
      SEV,
    );
    const text = allMrkdwn(c).join('\n');
    expect(text).toContain(':warning: Customer impact');
    expect(text).toContain(':rotating_light: Data-loss risk');
    expect(text).not.toContain('Customer impact:');
    // What was said with a flag is on the card while it is up, escaped.
    const noted = allMrkdwn(
      renderIncidentCard(
        makeIncident({
          customerImpact: true,
          customerImpactNote: 'enterprise <SSO> logins fail',
          dataLossRisk: true,
          dataLossNote: 'orders since 02:10 may be lost',
        }),
        NOW,
        SEV,
      ),
    ).join('\n');
    expect(noted).toContain(':warning: Customer impact: enterprise &lt;SSO&gt; logins fail');
    expect(noted).toContain(':rotating_light: Data-loss risk: orders since 02:10 may be lost');
    expect(text).toContain(`Next update due <!date^${minutes(30).getTime() / 1000}^`);
    expect(text).toContain('*Affected:* EU checkout');
    expect(text).toContain('*Current impact:* 30% errors');
    expect(text).toContain('*Current status:* failing over');
  });

  it('has a text fallback naming severity, number, title and status', () => {
    expect(card.text).toBe('SEV-1 incident #42: db down — Investigating');
  });
});

describe('communicationTemplate', () => {
  it('lays out exactly the runbook template, in order', () => {
    const text = communicationTemplate(makeIncident(), makeUpdate());
    expect(text.split('\n')).toEqual([
      'SUBJECT: [SEV-1] db down',
      '',
      'SEVERITY: SEV-1',
      'STATUS: Investigating',
      'STARTED: 2026-11-27 23:14 UTC',
      'AFFECTED: EU customers, checkout API',
      'CURRENT IMPACT: Checkout fails for 30% of requests',
      '',
      'CURRENT STATUS:',
      'Primary database is refusing connections',
      '',
      'MITIGATION STEPS:',
      'Failing over to the replica',
      '',
      'NEXT UPDATE: 2026-11-27 23:45 UTC',
    ]);
  });

  it('fills empty parts with "-" and says when the next update comes without a time', () => {
    const text = communicationTemplate(
      makeIncident({ severity: 0 }),
      makeUpdate({ status: 'mitigated', affected: '', currentImpact: '', mitigationSteps: '', nextUpdateAt: null }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('SUBJECT: [SEV-0] db down');
    expect(lines).toContain('STATUS: Mitigated');
    expect(lines).toContain('AFFECTED: -');
    expect(lines).toContain('CURRENT IMPACT: -');
    expect(lines[lines.indexOf('MITIGATION STEPS:') + 1]).toBe('-');
    expect(lines.at(-1)).toBe('NEXT UPDATE: with the next change');
    // Resolved: no next update is promised, whatever the form's date picker sent.
    const resolved = communicationTemplate(makeIncident(), makeUpdate({ status: 'resolved' }));
    expect(resolved.split('\n').at(-1)).toBe('NEXT UPDATE: none: the incident is resolved');
    expect(
      JSON.stringify(renderStatusUpdate(makeIncident(), makeUpdate({ status: 'resolved' }), 'U0A').blocks),
    ).toContain('*NEXT UPDATE:* none: the incident is resolved');
  });

  it('keeps the template order in the Slack post of a status update', () => {
    const msg = renderStatusUpdate(makeIncident(), makeUpdate({ dataLossRisk: true }), COMMANDER);
    const joined = allMrkdwn(msg).join('\n');
    const positions = COMMUNICATION_HEADINGS.map((o) => joined.indexOf(`*${o}`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(joined).toContain(`Posted by <@${COMMANDER}>`);
    expect(joined).toContain(':warning: Customer impact');
    expect(joined).toContain(':rotating_light: Data-loss risk');
    expect(msg.text).toBe(communicationTemplate(makeIncident(), makeUpdate({ dataLossRisk: true })));
  });
});

describe('notices', () => {
  const resolved = makeResolvedIncident();

  it('renderResolved shows time to acknowledge and time to resolve, in blocks and fallback', () => {
    const msg = renderResolved(resolved, COMMANDER, 'Restarted the primary');
    const fields = allMrkdwn(msg);
    expect(fields).toContain('*Time to acknowledge*\n4 minutes');
    expect(fields).toContain('*Time to resolve*\n1 hour 5 minutes');
    expect(msg.text).toBe(
      'Incident #42 resolved: Restarted the primary (time to acknowledge: 4 minutes; time to resolve: 1 hour 5 minutes)',
    );
    expect(fields.join('\n')).toContain('Post-mortem');
  });

  it('renderResolved says "never acknowledged" and counts seconds under a minute', () => {
    const i = makeIncident({ status: 'resolved', resolvedAt: new Date(CREATED_AT.getTime() + 45_000) });
    const msg = renderResolved(i, COMMANDER, 'false alarm');
    expect(allMrkdwn(msg)).toContain('*Time to acknowledge*\nnever acknowledged');
    expect(allMrkdwn(msg)).toContain('*Time to resolve*\n45 seconds');
  });

  it('a notice posted late says so under it and in its text, with when the change was made; it stays within the limits', () => {
    const madeAt = new Date('2026-12-05T03:02:00Z');
    const msg = postedLate(renderResolved(resolved, COMMANDER, 'Restarted the primary'), madeAt);
    expect(msg.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `:hourglass: Posted late: the bot restarted before posting this (the change was made <!date^${madeAt.getTime() / 1000}^{date_short_pretty} {time} ({ago})|2026-12-05 03:02 UTC>).`,
        },
      ],
    });
    expect(msg.text).toMatch(/^Incident #42 resolved: .* \(posted late: the change was made 2026-12-05 03:02 UTC\)$/);
    // A message at Slack's limits already (50 blocks, 40,000 characters of text) stays within them.
    const full = { text: 'x'.repeat(40_000), blocks: Array.from({ length: 50 }, () => msg.blocks[0]!) };
    const late = postedLate(full, madeAt);
    expect(limitProblems(late, 'message')).toEqual([]);
    expect(late.blocks).toHaveLength(50);
    expect(late.text.length).toBeLessThanOrEqual(40_000);
  });

  it('a role paged by hand names its people paged already, and says so when nobody new is left to page', () => {
    const base = { kind: 'paged' as const, roleName: 'On-Call Engineer', reason: 'x', by: 'U0RESP', unreachable: [] };
    expect(renderNotice(resolved, { ...base, userIds: ['U0NEW'], alreadyPaged: ['U0LEAD'] }, SEV).text).toBe(
      ':pager: Paged *On-Call Engineer* (<@U0NEW>) because <@U0RESP> escalated by hand. Already paged for this incident, not paged again: <@U0LEAD>.',
    );
    expect(renderNotice(resolved, { ...base, userIds: [], alreadyPaged: ['U0A', 'U0B'] }, SEV).text).toBe(
      ':pager: Nobody new to page for *On-Call Engineer* (<@U0RESP> escalated by hand): <@U0A>, <@U0B> were paged for this incident already and are not paged again.',
    );
  });

  it('a round that climbs to nobody says why: the roles left and the conditions the runbook pages them on, escaped', () => {
    const roles = [
      { role: 'engineering_manager', roleName: 'Engineering <Manager>', when: ['customer impact'] },
      { role: 'cto', roleName: 'CTO', when: ['SEV-0 or a data-loss risk'] },
    ];
    expect(renderNotice(resolved, { kind: 'climb_held', roleName: 'On-Call Engineer', roles }, SEV).text).toBe(
      ":information_source: Nobody acknowledged: *On-Call Engineer* was paged again, and nobody further up. The runbook's contact order pages *Engineering &lt;Manager&gt;* for customer impact and *CTO* for SEV-0 or a data-loss risk, neither of which applies to this incident. To page one of them now: `/incident escalate engineering_manager`, `/incident escalate cto`.",
    );
    const one = renderNotice(
      resolved,
      { kind: 'climb_held', roleName: 'On-Call Engineer', roles: roles.slice(1) },
      SEV,
    );
    expect(one.text).toContain(
      'pages *CTO* for SEV-0 or a data-loss risk, which does not apply to this incident. To page them now: `/incident escalate cto`.',
    );
  });

  it('severity change says raised or lowered', () => {
    const up = renderNotice(resolved, { kind: 'severity_changed', from: 2, to: 0, actorId: COMMANDER }, SEV);
    expect(up.text).toContain('raised');
    expect(up.text).toContain('*SEV-2*');
    expect(up.text).toContain('SEV-0 · respond within 5 minutes');
    const down = renderNotice(resolved, { kind: 'severity_changed', from: 0, to: 3, actorId: COMMANDER }, SEV);
    expect(down.text).toContain('lowered');
  });

  it("the runbook's action for a trouble without a playbook names its row and threshold, escaped", () => {
    const rule = {
      name: 'HighDiskUsage',
      metric: 'disk_usage',
      threshold: '> 95%',
      duration: '5m',
      action: 'Clean <up> & scale',
    };
    const msg = renderNotice(resolved, { kind: 'runbook_action', rule }, SEV);
    expect(msg.text).toBe(
      ':clipboard: The runbook has no playbook for this. Its Alert Thresholds say, for *HighDiskUsage* (disk_usage &gt; 95% for 5m): *Clean &lt;up&gt; &amp; scale*.',
    );
  });

  it('a resolution with alerts still firing says how many, from where, and what to do; without, nothing of them', () => {
    const text = (stillFiring?: { count: number; sources: string[] }) =>
      JSON.stringify(
        renderNotice(
          resolved,
          { kind: 'resolved', actorId: COMMANDER, summary: 'fixed', ...(stillFiring ? { stillFiring } : {}) },
          SEV,
        ).blocks,
      );
    expect(text({ count: 1, sources: ['alertmanager'] })).toContain(
      '*1 alert of this incident still fires* (from alertmanager)',
    );
    expect(text({ count: 3, sources: ['a', 'b<c>'] })).toContain(
      '*3 alerts of this incident still fire* (from a, b&lt;c&gt;)',
    );
    expect(text({ count: 3, sources: [] })).toContain(
      'reopen the incident (`/incident reopen`); if it is, they should resolve by themselves',
    );
    expect(text()).not.toContain('still fire');
    expect(text({ count: 0, sources: ['a'] })).not.toContain('still fire');
  });

  it('a resolution with alerts still firing says when a source gives no start (its next report opens an incident) and when it was last heard long ago', () => {
    const at = resolved.resolvedAt ?? new Date();
    const text = (stillFiring: { count: number; sources: string[]; lastHeard?: Date; opensAgain?: boolean }) =>
      JSON.stringify(
        renderNotice(resolved, { kind: 'resolved', actorId: COMMANDER, summary: 'fixed', stillFiring }, SEV).blocks,
      );
    const generic = text({ count: 1, sources: ['cron'], lastHeard: at, opensAgain: true });
    expect(generic).toContain('its next report while it fires opens a new incident and pages again');
    expect(generic).toContain('monitoring still sees the trouble');
    const quiet = text({ count: 1, sources: ['nores'], lastHeard: new Date(at.getTime() - 12 * 60_000) });
    expect(quiet).not.toContain('monitoring still sees the trouble');
    expect(quiet).toMatch(
      /last reported firing 12 minutes before: its source may not send resolutions, check it there/,
    );
    expect(quiet).not.toContain('opens a new incident');
  });

  it('acknowledged mentions the new commander, and whom they took over from', () => {
    const first = renderNotice(resolved, { kind: 'acknowledged', actorId: COMMANDER, previousCommanderId: null }, SEV);
    expect(first.text).toContain(`<@${COMMANDER}> acknowledged`);
    expect(first.text).toContain('time to acknowledge: 4 minutes');
    const take = renderNotice(
      resolved,
      { kind: 'acknowledged', actorId: COMMANDER, previousCommanderId: REPORTER },
      SEV,
    );
    expect(take.text).toContain(`<@${COMMANDER}> took command from <@${REPORTER}>`);
  });

  it('announcement links the channel and names severity with response time', () => {
    const msg = renderAnnouncement(makeIncident(), SEV);
    expect(msg.text).toContain(`<#${CHANNEL}>`);
    expect(msg.text).toContain('SEV-1 · respond within 15 minutes');
    expect(msg.text).toContain('incident #42: db down');
    expect(msg.text).toContain(`Declared by <@${REPORTER}>`);
  });

  it('declared reply links the channel and adds warnings', () => {
    expect(renderDeclaredReply(makeIncident(), [])).toContain(`Incident #42 (SEV-1) is open: <#${CHANNEL}>`);
    expect(renderDeclaredReply(makeIncident(), [])).not.toContain('private');
    expect(renderDeclaredReply(makeIncident({ private: true }), [], 'security')).toContain(
      `:lock: It is private because its title reads as a security incident: announced nowhere, listed only to its people. \`/incident public\` in <#${CHANNEL}> makes it public (it asks first).`,
    );
    expect(renderDeclaredReply(makeIncident({ private: true }), [], 'asked')).toContain(
      ':lock: It is private: announced nowhere',
    );
    const secret = renderDeclaredReply(makeIncident({ private: true }), [], 'secret');
    expect(secret).toContain(
      ':lock: It is private because its title held a secret (a key or token, shown as `***` wherever the bot shows the title): announced nowhere',
    );
    expect(secret).toContain(':key: Rotate that secret: it was typed into Slack, so count it as seen.');
    const warned = renderDeclaredReply(makeIncident({ channelId: null }), ['the card could not be posted']);
    expect(warned).toContain('its channel');
    expect(warned).toContain(':warning: But the card could not be posted.');
  });

  it('a declaration taken for the one made a moment ago says so, and how to change the severity when it differs', () => {
    const same = renderAlreadyDeclared(makeIncident(), 1);
    expect(same).toBe(
      `:information_source: You declared this a moment ago: incident #42 in <#${CHANNEL}>. No second incident was opened.`,
    );
    const other = renderAlreadyDeclared(makeIncident(), 2);
    expect(other).toContain(same);
    expect(other).toContain(`It is SEV-1; to make it SEV-2, type \`/incident sev2\` in <#${CHANNEL}>`);
  });

  it('tells the declarer how an interrupted declaration ended', () => {
    const gone = renderDeclarationReport(
      {
        kind: 'abandoned',
        incident: makeIncident({ title: '<!channel> db' }),
        channel: { id: CHANNEL, archived: true },
      },
      SEV,
    );
    expect(gone).toContain('so it was not kept: there is no incident #42.');
    expect(gone).toContain(`Its channel <#${CHANNEL}> is archived.`);
    expect(gone).not.toContain('<!channel>');
    const done = renderDeclarationReport({ kind: 'finished', incident: makeIncident(), problems: [] }, SEV);
    expect(done).toContain('it has finished it now.');
    expect(done).toContain(`Incident #42 (SEV-1) is open: <#${CHANNEL}>. The card there has the buttons`);
  });

  it('declared reply without a card says so and points to the commands, never to the buttons', () => {
    const reply = renderDeclaredReply(makeIncident(), [
      { step: 'card', reason: "Couldn't post the incident card: the channel does not exist or the bot cannot see it." },
      { step: 'pin', reason: 'no' },
    ]);
    expect(reply).not.toContain('has the buttons');
    expect(reply).toContain(`is open: <#${CHANNEL}>, but its card could not be posted there`);
    expect(reply).toContain('`/incident ack`');
    expect(reply).toContain(':warning: But the card could not be pinned (no).');
    // Posted, not linked yet (the database went): said as what happens next, not as "it will not update".
    const unlinked = renderDeclaredReply(makeIncident(), [{ step: 'link', reason: 'database down' }]);
    expect(unlinked).toContain(
      ':warning: But the card was posted without being linked to the incident yet (the database did not answer): it updates once the bot links it, when the database is back.',
    );
    expect(unlinked).not.toMatch(/will not update|But the card was posted but/);
  });
});

describe('renderIncidentList and renderHelp', () => {
  it('says when nothing is open', () => {
    const msg = renderIncidentList([], NOW);
    expect(msg.text).toBe('No open incidents. :tada:');
    expect(msg.blocks).toHaveLength(1);
  });

  it('lists each incident with severity, number, title, channel, status and commander, in the order given', () => {
    const msg = renderIncidentList(
      [makeIncident({ severity: 0, number: 3 }), makeIncident({ id: 9, number: 5, commanderId: COMMANDER })],
      NOW,
    );
    expect(header(msg)!.text.text).toBe('Open incidents (2)');
    const rows = allMrkdwn(msg);
    expect(rows[0]).toContain('*SEV-0* · #3 db down');
    expect(rows[0]).toContain(`<#${CHANNEL}>`);
    expect(rows[0]).toContain('Investigating · Detection · started 5 minutes ago · commander _nobody yet_');
    expect(rows[1]).toContain(`commander <@${COMMANDER}>`);
    expect(msg.text).toBe('Open incidents: SEV-0 #3, SEV-1 #5');
  });

  it("says where an incident with a procedure's RTO stands against it", () => {
    // Declared 5 minutes before NOW.
    const M = 60_000;
    const row = (minMs: number, maxMs: number) =>
      allMrkdwn(
        renderIncidentList(
          [makeIncident({ recovery: { playbook: 'disaster-recovery', minMs, maxMs } }), makeIncident({ id: 9 })],
          NOW,
        ),
      );
    const due = (ms: number) => Math.floor((CREATED_AT.getTime() + ms) / 1000);
    expect(row(10 * M, 20 * M)[0]).toContain(`· RTO 10-20 minutes, due <!date^${due(20 * M)}^`);
    expect(row(10 * M, 20 * M)[0]).not.toContain('past');
    expect(row(2 * M, 20 * M)[0]).toMatch(
      /RTO 2-20 minutes, due <!date\^\d+\^[^>]+> \(:warning: past the lower bound\)$/,
    );
    expect(row(2 * M, 4 * M)[0]).toMatch(/ · :rotating_light: past its RTO 2-4 minutes$/);
    // Without one, nothing of it.
    expect(row(2 * M, 4 * M)[1]).not.toContain('RTO');
  });

  it('stays within 50 blocks for 200 open incidents and says how many more there are', () => {
    const many = Array.from({ length: 200 }, (_, k) => makeIncident({ id: k + 1, number: k + 1 }));
    const msg = renderIncidentList(many, NOW);
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect(allMrkdwn(msg).at(-1)).toBe('…and 152 more.');
    expect(limitProblems(msg, 'message')).toEqual([]);
  });

  it('counts every open incident when it is given only the first of them', () => {
    const first = Array.from({ length: 50 }, (_, k) => makeIncident({ id: k + 1, number: k + 1 }));
    const msg = renderIncidentList(first, NOW, 500);
    expect(header(msg)!.text.text).toBe('Open incidents (500)');
    expect(allMrkdwn(msg).at(-1)).toBe('…and 452 more.');
    expect(msg.text).toMatch(/^Open incidents \(500\): SEV-1 #1, SEV-1 #2, .* SEV-1 #48, and 452 more$/);
    expect(limitProblems(msg, 'message')).toEqual([]);
  });

  it('help lists every subcommand and shows a problem first', () => {
    const help = renderHelp(USAGE);
    for (const cmd of ['sev1 db down', 'list', 'help', 'sev0', 'ack', 'update', 'mitigated', 'resolve', 'status']) {
      expect(help.text).toContain(`/incident ${cmd}`);
    }
    expect(help.text).toContain('/incident timeline');
    const withProblem = renderHelp(USAGE, '`sev9` is not a severity.');
    expect(withProblem.text.startsWith(':warning: `sev9` is not a severity.\n\n')).toBe(true);
  });
});

describe('notDoneOfRecord', () => {
  it('reads the required steps a run ran without in the shape kept now, and in the old one (`step` for the key)', () => {
    const kept = { key: 'detection.2', section: 'Prerequisites checklist', number: 3, text: 'Migrations tested' };
    expect(notDoneRecord([{ ...kept, text: 'x'.repeat(400) }])).toEqual([{ ...kept, text: 'x'.repeat(300) }]);
    expect(notDoneOfRecord(notDoneRecord([kept]))).toEqual([kept]);
    const { key, ...rest } = kept;
    expect(notDoneOfRecord([{ step: key, ...rest }])).toEqual([kept]);
    // What is neither is left out.
    expect(notDoneOfRecord([{ section: 'Prerequisites checklist', number: 1 }, null, 'detection.0', kept])).toEqual([
      kept,
    ]);
    expect(notDoneOfRecord(undefined)).toEqual([]);
  });
});

describe('renderTimeline', () => {
  it('names roles and playbooks as the runbook does, and by their ids where the runbook has them no more', () => {
    const names = {
      roles: new Map([['senior_devops', 'Senior DevOps Engineer']]),
      playbooks: new Map([['connection-pool-exhaustion', 'Connection Pool Exhaustion']]),
    };
    const lines = (kind: IncidentEvent['kind'], details: Record<string, unknown>, actorId: string | null = null) =>
      allMrkdwn(renderTimeline(makeIncident(), [makeEvent({ kind, at: minutes(1), actorId, details })], names))[0]!;
    expect(lines('paged', { role: 'senior_devops', userIds: ['U0SD'], reason: 'no acknowledgement' })).toContain(
      'Paged Senior DevOps Engineer (<@U0SD>): no acknowledgement',
    );
    expect(
      lines('paged', { role: 'senior_devops', userIds: ['U0NEW'], alreadyPaged: ['U0SD'], reason: 'by hand' }),
    ).toContain('Paged Senior DevOps Engineer (<@U0NEW>): by hand; already paged, not paged again: <@U0SD>');
    expect(
      lines('paged', {
        role: 'senior_devops',
        userIds: [],
        unreachable: [],
        alreadyPaged: ['U0SD'],
        reason: 'by hand',
      }),
    ).toContain('Nobody new to page for Senior DevOps Engineer: by hand; already paged, not paged again: <@U0SD>');
    expect(lines('reminder_sent', { rule: 'paging_stopped', rounds: 10, afterMs: 55 * 60_000 })).toContain(
      'Paging stopped after 10 rounds: nobody acknowledged in 55 minutes',
    );
    expect(lines('escalation_requested', { role: 'senior_devops' }, COMMANDER)).toContain(
      'escalated to Senior DevOps Engineer',
    );
    expect(lines('page_skipped', { role: 'cto', reason: 'nobody on call' })).toContain(
      'Could not page cto: nobody on call',
    );
    expect(
      lines('climb_held', {
        rule: 'unacknowledged',
        role: 'senior_devops',
        held: [{ role: 'cto', when: ['SEV-0 or a data-loss risk'] }],
      }),
    ).toContain(
      'Paged Senior DevOps Engineer again, and nobody further up: the runbook pages cto for SEV-0 or a data-loss risk, which does not apply',
    );
    expect(lines('playbook_attached', { playbook: 'connection-pool-exhaustion' })).toContain(
      'Suggested the playbook Connection Pool Exhaustion',
    );
    expect(
      lines('step_done', { playbook: 'connection-pool-exhaustion', step: 'mitigation.1', text: 'Restart' }, COMMANDER),
    ).toContain('marked done: *Connection Pool Exhaustion* · Mitigation 2 “Restart”');
    const run = { playbook: 'connection-pool-exhaustion', step: 'mitigation.1', target: ['atom-cli', 'deploy'] };
    expect(lines('step_run', { ...run, state: 'succeeded', exitCode: 0 }, COMMANDER)).toMatch(/`: succeeded, exit 0$/);
    // Killed by a signal the bot did not send: said killed, and by what; a signal not shaped as one is not shown.
    expect(lines('step_run', { ...run, state: 'failed', exitCode: null, signal: 'SIGSEGV' }, COMMANDER)).toMatch(
      /`: killed \(SIGSEGV\)$/,
    );
    expect(lines('step_run', { ...run, state: 'failed', signal: '<!channel>' }, COMMANDER)).toMatch(/`: failed$/);
    expect(lines('step_run', { ...run, state: 'timed_out', signal: 'SIGTERM' }, COMMANDER)).toMatch(/`: timed_out$/);
    // Run with required steps not done, as the event keeps them (NotDoneStep: key, section, number, text), and as the
    // events recorded before it was one shape kept them (the key as `step`): the same line.
    const notDone = { section: 'Prerequisites checklist', number: 3, text: 'Migrations tested' };
    for (const kept of [
      { key: 'detection.2', ...notDone },
      { step: 'detection.2', ...notDone },
    ]) {
      expect(lines('step_run', { ...run, state: 'succeeded', exitCode: 0, notDone: [kept] }, COMMANDER)).toMatch(
        /`: succeeded, exit 0 — run with 1 required step not done: Prerequisites checklist 3$/,
      );
    }
    // An end that came in after the run was recorded lost (its process cut off from the database, come back).
    expect(lines('step_run', { ...run, state: 'succeeded', exitCode: 0, cameBack: true }, COMMANDER)).toMatch(
      /`: succeeded, exit 0 — reported when the bot came back, after the run was recorded lost$/,
    );
    expect(
      lines('step_run', { ...run, state: 'succeeded', exitCode: 0, cameBack: true, keptLost: true }, COMMANDER),
    ).toMatch(/recorded lost; it stays lost, as its step was acted on since$/);
  });

  it('shows a message put on the timeline as said by its author, with its link, and who added it', () => {
    const note = (details: Record<string, unknown>) =>
      allMrkdwn(
        renderTimeline(makeIncident(), [makeEvent({ kind: 'note', at: minutes(3), actorId: COMMANDER, details })]),
      )[0]!;
    expect(
      note({
        source: 'message',
        text: 'lag <5s & falling',
        author: 'U0SAM',
        link: 'https://t.slack.com/archives/C1/p1',
      }),
    ).toContain(
      `<@U0SAM>: lag &lt;5s &amp; falling (<https://t.slack.com/archives/C1/p1|message>) — added by <@${COMMANDER}>`,
    );
    // A link that is not a plain https URL is left out rather than made a link.
    expect(note({ source: 'message', text: 'x', author: null, link: 'https://e.example/a|b>' })).not.toContain(
      '|message>',
    );
    expect(note({ text: 'described', source: 'declaration' })).toContain(`<@${COMMANDER}>: described`);
  });

  it('lists events oldest first with time, offset and who did what', () => {
    const events = [
      makeEvent({ kind: 'declared', at: CREATED_AT, details: { title: 'db down', severity: 1 } }),
      makeEvent({ kind: 'acknowledged', at: minutes(4), actorId: COMMANDER, details: {} }),
      makeEvent({ kind: 'severity_changed', at: minutes(6), actorId: COMMANDER, details: { from: 1, to: 0 } }),
      makeEvent({
        kind: 'phase_changed',
        at: minutes(6),
        actorId: null,
        details: { from: 'detection', to: 'assessment' },
      }),
    ];
    const msg = renderTimeline(makeIncident(), events);
    expect(header(msg)!.text.text).toBe('Timeline · #42 db down');
    const lines = allMrkdwn(msg)[0]!.split('\n');
    expect(lines).toEqual([
      `\`23:14\` +0 seconds — <@${REPORTER}> declared *SEV-1*: db down`,
      `\`23:18\` +4 minutes — <@${COMMANDER}> acknowledged and became commander`,
      `\`23:20\` +6 minutes — <@${COMMANDER}> changed severity SEV-1 → SEV-0`,
      '`23:20` +6 minutes — Phase Detection → Assessment',
    ]);
    expect(allMrkdwn(msg).at(-1)).toBe('4 events · started 2026-11-27 23:14 UTC');
    expect(msg.text.startsWith('Timeline of incident #42:\n')).toBe(true);
  });

  it('shows each delivery of a page, its failures and what PagerDuty said, as the bot records them', () => {
    const base = { role: 'on_call', roleName: 'On-Call Engineer', userId: 'U0ONCALL' };
    const events = [
      makeEvent({ kind: 'notified', at: minutes(1), details: { ...base, via: 'email', action: 'notify' } }),
      makeEvent({
        kind: 'notify_failed',
        at: minutes(2),
        details: {
          ...base,
          via: 'email',
          action: 'notify',
          detail: 'SMTP 451: try later',
          skipped: false,
          attempts: 4,
        },
      }),
      makeEvent({
        kind: 'notify_failed',
        at: minutes(2),
        details: { ...base, via: 'pagerduty', action: 'notify', detail: 'no routing key', skipped: true, attempts: 1 },
      }),
      makeEvent({ kind: 'notified', at: minutes(3), details: { ...base, via: 'pagerduty', action: 'notify' } }),
      makeEvent({
        kind: 'pagerduty_acknowledged',
        at: minutes(4),
        actorId: 'U0ONCALL',
        details: { role: 'on_call', roleName: 'On-Call Engineer', name: 'Olive O', userId: 'U0ONCALL', eventId: 'E1' },
      }),
      makeEvent({
        kind: 'pagerduty_acknowledged',
        at: minutes(4),
        actorId: null,
        details: { role: 'cto', roleName: 'CTO', name: 'Zed <!channel>', userId: null, eventId: 'E2' },
      }),
      makeEvent({
        kind: 'notified',
        at: minutes(5),
        details: { ...base, userId: null, via: 'pagerduty', action: 'acknowledge' },
      }),
      makeEvent({
        kind: 'pagerduty_resolved',
        at: minutes(6),
        actorId: null,
        details: { role: 'cto', roleName: 'CTO', name: 'Carol C', userId: null, eventId: 'E3' },
      }),
    ];
    const lines = allMrkdwn(renderTimeline(makeIncident(), events))[0]!.split('\n');
    expect(lines).toEqual([
      '`23:15` +1 minute — Notified On-Call Engineer (<@U0ONCALL>) by email ✓',
      '`23:16` +2 minutes — Failed email for On-Call Engineer (<@U0ONCALL>): SMTP 451: try later',
      '`23:16` +2 minutes — Could not use PagerDuty for On-Call Engineer (<@U0ONCALL>): no routing key',
      '`23:17` +3 minutes — Notified On-Call Engineer (<@U0ONCALL>) by PagerDuty ✓',
      '`23:18` +4 minutes — Acknowledged in PagerDuty by Olive O (<@U0ONCALL>) for On-Call Engineer',
      '`23:18` +4 minutes — Acknowledged in PagerDuty by Zed &lt;!channel&gt; for CTO',
      '`23:19` +5 minutes — Sent PagerDuty acknowledge for On-Call Engineer',
      '`23:20` +6 minutes — Resolved in PagerDuty by Carol C for CTO',
    ]);
  });
});

describe('modals', () => {
  const meta = '{"incidentId":7,"channelId":"CINC42"}';
  type InputBlock = Extract<ModalBlock, { type: 'input' }>;
  type ModalBlock = ReturnType<typeof statusUpdateModal>['blocks'][number];
  const inputs = (blocks: ModalBlock[]) => blocks.filter((b): b is InputBlock => b.type === 'input');
  const byBlock = (blocks: ModalBlock[], id: string) => inputs(blocks).find((b) => b.block_id === id)!;
  // biome-ignore lint/suspicious/noExplicitAny: reads element fields that differ per element type
  const el = (b: InputBlock) => b.element as any;

  it('status update modal has its callback_id, metadata and every block/input from ids.ts', () => {
    const view = statusUpdateModal(makeIncident(), meta, NOW);
    expect(view.callback_id).toBe(VIEW.statusUpdate);
    expect(view.private_metadata).toBe(meta);
    expect(view.title.text).toBe('Status update');
    const pairs = inputs(view.blocks).map((b) => [b.block_id, el(b).action_id]);
    expect(pairs).toEqual([
      [BLOCK.updStatus, INPUT.status],
      [BLOCK.updAffected, INPUT.affected],
      [BLOCK.updImpact, INPUT.impact],
      [BLOCK.updCurrentStatus, INPUT.currentStatus],
      [BLOCK.updMitigation, INPUT.mitigation],
      [BLOCK.updNextUpdate, INPUT.nextUpdate],
      [BLOCK.updFlags, INPUT.flags],
      [BLOCK.updPublish, INPUT.publish],
    ]);
    expect(byBlock(view.blocks, BLOCK.updMitigation).optional).toBe(true);
    expect(byBlock(view.blocks, BLOCK.updPublish).optional).toBe(true);
    expect(byBlock(view.blocks, BLOCK.updFlags).optional).toBe(true);
    expect(byBlock(view.blocks, BLOCK.updAffected).optional).toBeFalsy();
    expect(el(byBlock(view.blocks, BLOCK.updFlags)).options.map((o: { value: string }) => o.value)).toEqual([
      FLAG.customerImpact,
      FLAG.dataLossRisk,
    ]);
  });

  it('status update modal is prefilled from the incident', () => {
    const i = makeIncident({
      status: 'mitigated',
      affected: 'EU checkout',
      currentImpact: '30% errors',
      currentStatus: 'failing over',
      mitigationSteps: 'replica promoted',
      nextUpdateAt: minutes(45),
      customerImpact: true,
      dataLossRisk: false,
    });
    const view = statusUpdateModal(i, meta, NOW);
    expect(el(byBlock(view.blocks, BLOCK.updStatus)).initial_option.value).toBe('mitigated');
    expect(el(byBlock(view.blocks, BLOCK.updAffected)).initial_value).toBe('EU checkout');
    expect(el(byBlock(view.blocks, BLOCK.updImpact)).initial_value).toBe('30% errors');
    expect(el(byBlock(view.blocks, BLOCK.updCurrentStatus)).initial_value).toBe('failing over');
    expect(el(byBlock(view.blocks, BLOCK.updMitigation)).initial_value).toBe('replica promoted');
    expect(el(byBlock(view.blocks, BLOCK.updNextUpdate)).initial_date_time).toBe(minutes(45).getTime() / 1000);
    const flags = el(byBlock(view.blocks, BLOCK.updFlags));
    expect(flags.initial_options.map((o: { value: string }) => o.value)).toEqual([FLAG.customerImpact]);
    expect(flags.options).toContainEqual(flags.initial_options[0]);
  });

  it('status update modal proposes a next update 30 minutes out when none is set or it is past', () => {
    for (const nextUpdateAt of [null, minutes(1)]) {
      const view = statusUpdateModal(makeIncident({ nextUpdateAt }), meta, NOW);
      expect(el(byBlock(view.blocks, BLOCK.updNextUpdate)).initial_date_time).toBe(minutes(35).getTime() / 1000);
      expect(el(byBlock(view.blocks, BLOCK.updAffected)).initial_value).toBeUndefined();
      expect(el(byBlock(view.blocks, BLOCK.updFlags)).initial_options).toBeUndefined();
    }
  });

  it('"Publish to status page" is ticked only when the level publishes by default', () => {
    const publish = (view: ReturnType<typeof statusUpdateModal>) => el(byBlock(view.blocks, BLOCK.updPublish));
    const on = publish(statusUpdateModal(makeIncident(), meta, NOW, true));
    expect(on.type).toBe('checkboxes');
    expect(on.options.map((o: { value: string }) => o.value)).toEqual([FLAG.publish]);
    expect(on.options[0].text.text).toBe('Publish to status page');
    expect(on.options[0].description.text.length).toBeLessThanOrEqual(75);
    expect(on.initial_options).toEqual(on.options);
    expect(publish(statusUpdateModal(makeIncident(), meta, NOW, false)).initial_options).toBeUndefined();
    expect(publish(statusUpdateModal(makeIncident(), meta, NOW)).initial_options).toBeUndefined();
  });

  it('a private incident\'s form never ticks "Publish to status page" and says it shows only once made public', () => {
    const box = el(
      byBlock(statusUpdateModal(makeIncident({ private: true }), meta, NOW, true).blocks, BLOCK.updPublish),
    );
    expect(box.initial_options).toBeUndefined();
    expect(box.options[0].description.text).toMatch(/only once it is made public/);
    expect(box.options[0].description.text.length).toBeLessThanOrEqual(75);
  });

  it("an alert-opened incident's form says its Affected is published as its title, never the alert's title", () => {
    const box = (i: ReturnType<typeof makeIncident>) =>
      byBlock(statusUpdateModal(i, meta, NOW, true).blocks, BLOCK.updPublish);
    const fromAlert = box(makeIncident({ source: 'alert', title: 'AppHealthCheckFailing: app-1 5xx > 50%' }));
    const description = el(fromAlert).options[0].description.text as string;
    expect(description).not.toMatch(/the title/);
    expect(description).toMatch(/Affected \(as its title\)/);
    expect(description.length).toBeLessThanOrEqual(75);
    expect(fromAlert.hint?.text).toMatch(/opened by an alert: its title \(the alert's words\) is never published/);
    expect(el(fromAlert).initial_options).toEqual(el(fromAlert).options);
    // A declared incident's title is published: its box says so, with no such hint.
    const declared = box(makeIncident());
    expect(el(declared).options[0].description.text).toMatch(/^Public: the title, /);
    expect(declared.hint).toBeUndefined();
  });

  it("a private incident's update marked for the status page does not say it was published", () => {
    const text = JSON.stringify(
      renderStatusUpdate(makeIncident({ private: true }), makeUpdate({ publish: true }), COMMANDER).blocks,
    );
    expect(text).not.toMatch(/Published on the status page/);
    expect(text).toMatch(/Not on the status page while the incident is private/);
    const pub = JSON.stringify(renderStatusUpdate(makeIncident(), makeUpdate({ publish: true }), COMMANDER).blocks);
    expect(pub).toMatch(/Published on the status page/);
  });

  it('resolve modal has its callback_id, title with the number, and the summary input', () => {
    const view = resolveModal(makeIncident(), meta);
    expect(view.callback_id).toBe(VIEW.resolve);
    expect(view.private_metadata).toBe(meta);
    expect(view.title.text).toBe('Resolve #42');
    const summary = byBlock(view.blocks, BLOCK.resolveSummary);
    expect(el(summary).action_id).toBe(INPUT.summary);
    expect(el(summary).max_length).toBe(300);
  });
});

describe('the declare form from a message', () => {
  it('reads mrkdwn as a person would: links, mentions, channels, groups, dates, entities', () => {
    expect(
      plainFromMrkdwn(
        '<!here> <@U0AB|sam> and <@U0CD> in <#C0EF|ops>, <!subteam^S0GH|@dba>: <https://x.example/a|graph> <https://y.example> &lt;5% &amp; <!date^1700000000^{time}|10:02>',
      ),
    ).toBe('@here @sam and @U0CD in #ops, @dba: graph (https://x.example/a) https://y.example <5% & 10:02');
  });

  it('titles from the first line with words, without its layout, cut at a word; a message without text still links', () => {
    const p = messagePrefill(
      { text: '\n> *db_primary* is _down_ ~again~\nmore' },
      { channelName: 'ops', permalink: null },
      150,
    );
    expect(p.title).toBe('db_primary is down again');
    expect(p.description).toBe('> *db_primary* is _down_ ~again~\nmore\n\nFrom a message in #ops');
    const named = messagePrefill(
      { text: 'db\u0000down for <@U0ALICE> and <@U0BOB>\u0007' },
      { channelName: null, permalink: null },
      150,
      new Map([['U0ALICE', 'Alice Doe']]),
    );
    expect(named.title).toBe('db down for @Alice Doe and @U0BOB');
    const long = messagePrefill({ text: `${'word '.repeat(60)}end` }, { channelName: null, permalink: null }, 150);
    expect([...long.title].length).toBeLessThanOrEqual(150);
    expect(long.title).toMatch(/word…$/);
    const empty = messagePrefill(
      { text: '' },
      { channelName: 'ops', permalink: 'https://t.slack.com/archives/C1/p1' },
      150,
    );
    expect(empty).toMatchObject({
      title: '',
      description: 'From a message in #ops: https://t.slack.com/archives/C1/p1',
    });
  });
});
