import { describe, expect, it } from 'vitest';
import { TITLE_MAX } from '../../src/commands/subcommands.js';
import type { AlertCardView, AlertNoticeView, AlertView } from '../../src/incidents/alert-types.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { RUNBOOK_TEXT_MAX } from '../../src/runbook/text-limits.js';
import { renderHeartbeat, renderWaitingForChannel } from '../../src/templates/alert-intake.js';
import { alertLine } from '../../src/templates/alert-lines.js';
import { renderAlertList, renderFiringAlerts } from '../../src/templates/alert-lists.js';
import { renderMovedOut, renderOutranked } from '../../src/templates/alert-moves.js';
import { alreadyInIncident, renderAlertNotice } from '../../src/templates/alert-notice.js';
import { pageAlerts, pageAlertsText } from '../../src/templates/alert-page.js';
import { renderAllResolved, renderResolveOfferClosed } from '../../src/templates/alert-resolved.js';
import { renderAlertSection } from '../../src/templates/alert-section.js';
import { declareModal } from '../../src/templates/declare-modal.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { escapingProblems, limitProblems, mrkdwnTexts } from '../support/block-kit-limits.js';
import { makeIncident, minutes, NOW, REPORTER } from '../support/incident-fixture.js';

const SEV = (await loadRunbook()).severities;
const json = (v: unknown) => JSON.stringify(v);
const HOSTILE = '<!channel> & <@U0EVIL> <https://evil.example|click> *bold* ' + 'ñ日本語🚨'.repeat(40);
/** A source link and a runbook link as long as the generic format takes (2,000 characters). */
const LONG_LINKS = {
  url: `https://graph.example/${'g'.repeat(1978)}`,
  runbookUrl: `https://runbooks.example/${'r'.repeat(1975)}`,
};

/** Four links each short enough to be linked (under 1,000 characters), as a long Alertmanager alert has them. */
const LINKABLE_LINKS = {
  url: `https://prometheus.example/graph?g0.expr=${'e'.repeat(940)}`,
  runbookUrl: `https://runbooks.example/${'r'.repeat(960)}`,
  dashboardUrl: `https://grafana.example/d/${'d'.repeat(960)}`,
  silenceUrl: `https://alertmanager.example/#/silences/new?filter=${'s'.repeat(930)}`,
};

function makeAlert(over: Partial<AlertView> = {}): AlertView {
  return {
    id: 1,
    source: 'alertmanager',
    name: 'HighErrorRate',
    level: 'critical',
    status: 'firing',
    summary: 'Error rate above 10% on api-service',
    service: 'api-service',
    metric: 'error_rate',
    value: '12.5%',
    threshold: '> 10%',
    url: null,
    firstSeen: minutes(0),
    lastSeen: minutes(4),
    resolvedAt: null,
    count: 3,
    maintenance: false,
    ...over,
  };
}

function makeView(n: number, over: Partial<AlertView> = {}, shown = 8): AlertCardView {
  const alerts = Array.from({ length: Math.min(n, shown) }, (_, i) =>
    makeAlert({ id: i + 1, status: i % 3 === 0 ? 'resolved' : 'firing', ...over }),
  );
  return {
    sources: ['alertmanager'],
    firing: n - Math.ceil(n / 3),
    resolved: Math.ceil(n / 3),
    total: n,
    alerts,
    rules: [
      {
        name: 'HighErrorRate',
        metric: 'error_rate',
        threshold: '> 10%',
        duration: '2m',
        action: 'Check logs, identify root cause',
      },
    ],
    storm: null,
    truncated: [],
    follows: null,
  };
}

const allText = (m: { text: string; blocks: unknown[] }) => [m.text, ...mrkdwnTexts(m).map((t) => t.text)].join('\n');

describe('the alert section of the card', () => {
  it('shows each alert with its state, first and last seen and count, and the runbook action', () => {
    const card = renderIncidentCard(makeIncident(), NOW, SEV, undefined, makeView(2));
    const text = allText(card);
    expect(text).toContain('*Alerts* · 1 firing · 1 resolved · from alertmanager');
    expect(text).toContain('*Runbook:* HighErrorRate &gt; 10% for 2m — Check logs, identify root cause');
    expect(text).toMatch(/:red_circle: \*HighErrorRate\* · api-service · error_rate 12.5% \(&gt; 10%\)/);
    expect(text).toContain('first <!date^');
    expect(text).toContain('×3');
    expect(text).toContain(`*Reported by*\n<@${REPORTER}> from alertmanager alerts`);
    const typed = allText(renderIncidentCard(makeIncident(), NOW, SEV));
    expect(typed).toContain(`*Reported by*\n<@${REPORTER}>`);
    expect(typed).not.toMatch(/\*Reported by\*\n<@[A-Z0-9]+> from/);
    expect(limitProblems(card, 'message')).toEqual([]);
  });

  it('stays within Block Kit limits with many alerts and long hostile text: capped, then "and N more"', () => {
    for (const n of [8, 9, 50, 5000]) {
      const view = makeView(n, {
        name: HOSTILE,
        summary: HOSTILE,
        service: HOSTILE,
        metric: HOSTILE,
        value: HOSTILE,
        ...LONG_LINKS,
      });
      view.storm = { source: HOSTILE, maxIncidents: 3 };
      view.follows = { number: 7, channelId: 'C0OLD' };
      view.rules = Array.from({ length: 20 }, () => ({ ...view.rules[0]!, action: HOSTILE, name: HOSTILE }));
      const card = renderIncidentCard(makeIncident({ title: HOSTILE }), NOW, SEV, undefined, view);
      expect(limitProblems(card, 'message'), `${n} alerts`).toEqual([]);
      for (const t of mrkdwnTexts(card)) expect(escapingProblems(t.text, [REPORTER]), t.path).toEqual([]);
      const shown = (allText(card).match(/×3/g) ?? []).length;
      const more = n - shown;
      if (more > 0) expect(allText(card)).toContain(`…and ${more} more: \`/incident alerts\` lists every one.`);
      else expect(allText(card)).not.toContain('more:');
    }
  });

  it("a runbook row's action as long as the runbook file allows is shown whole: the card, the page, the notice", () => {
    const action = `${'Check the error logs, then the last deploys. '.repeat(10).slice(0, RUNBOOK_TEXT_MAX.alertAction - 4)} END`;
    expect(action).toHaveLength(RUNBOOK_TEXT_MAX.alertAction);
    const base = makeView(9, { name: HOSTILE, service: HOSTILE, ...LINKABLE_LINKS });
    const view = { ...base, rules: [{ ...base.rules[0]!, action }] };
    const card = renderIncidentCard(makeIncident(), NOW, SEV, undefined, view);
    const notice = renderAlertNotice({
      alert: makeAlert({ level: 'warning' }),
      rule: { ...view.rules[0]!, severity: 2 },
      declared: null,
    });
    expect(allText(card)).toContain(`— ${action}`);
    expect(pageAlerts(view)!.mrkdwn).toContain(`— ${action}`);
    expect(allText(notice)).toContain(action);
    for (const m of [card, notice]) expect(limitProblems(m as never, 'message')).toEqual([]);
  });

  it('four long links on each alert: the card, the notice and the page stay under 3,000 characters a section, no link cut', () => {
    const over = { name: HOSTILE, service: HOSTILE, metric: 'error_rate', value: '14%', ...LINKABLE_LINKS };
    const view = makeView(9, over);
    const card = renderIncidentCard(makeIncident(), NOW, SEV, undefined, view);
    const notice = renderAlertNotice({
      alert: makeAlert({ level: 'warning', ...over }),
      rule: view.rules[0]!,
    } as never);
    const page = pageAlerts(view)!;
    for (const m of [
      card,
      notice,
      { text: '', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: page.mrkdwn } }] },
    ]) {
      expect(limitProblems(m as never, 'message')).toEqual([]);
      for (const t of mrkdwnTexts(m as never)) {
        // Every link whole: as many < as > (escapingProblems takes no links).
        expect((t.text.match(/</g) ?? []).length, t.path).toBe((t.text.match(/>/g) ?? []).length);
      }
    }
    // The name's own link is kept first; the page keeps the runbook's action and the notice its times.
    expect(allText(card)).toContain(`<${LINKABLE_LINKS.url}|`);
    expect(page.mrkdwn).toContain('*Runbook:*');
    expect(allText(notice)).toMatch(/Firing · first .* · last .* · ×3/);
  });

  it('says when a storm sent alerts here, and which incident the same alert was in before', () => {
    const view = makeView(3);
    view.storm = { source: 'alertmanager', maxIncidents: 3 };
    view.follows = { number: 41, channelId: 'C0OLD' };
    const text = allText({ text: '', blocks: renderAlertSection(view) });
    expect(text).toContain(':cyclone: *Alert storm:* alertmanager reached its cap of 3 incidents opened in 10 minutes');
    view.storm = { source: 'alertmanager', maxIncidents: 1 };
    expect(allText({ text: '', blocks: renderAlertSection(view) })).toContain(
      'alertmanager reached its cap of one incident opened in 10',
    );
    expect(text).toContain('The same alert was in incident #41 (<#C0OLD>) before');
    // A private one is not named: its number and channel are its people's.
    view.follows = { private: true };
    const hidden = allText({ text: '', blocks: renderAlertSection(view) });
    expect(hidden).toContain('The same alert was in a private incident before');
    expect(hidden).not.toContain('#41');
  });

  it('names the alerts a source left out of its latest delivery, escaped, with what to do', () => {
    const view = makeView(3);
    expect(allText({ text: '', blocks: renderAlertSection(view) })).not.toContain('not sent');
    view.truncated = [
      { source: 'alertmanager', count: 1500, groups: 'one' },
      { source: '<!here>', count: 1, groups: 'one' },
      { source: 'storming', count: 7, groups: 'storm' },
    ];
    const text = allText({ text: '', blocks: renderAlertSection(view) });
    expect(text).toContain(
      ":warning: *1,500 more alerts not sent:* alertmanager left them out of its latest delivery of this group (its webhook's `max_alerts`), so they are not listed here: see them in Alertmanager, or raise `max_alerts`.",
    );
    expect(text).toContain('*1 more alert not sent:* &lt;!here&gt; left it out');
    expect(text).toContain(
      "*7 more alerts not sent:* storming left them out of its latest deliveries of this storm's groups (its webhook's `max_alerts`)",
    );
  });

  it("says a warning's or an info alert's level on its line (a critical one's is the incident's own)", () => {
    expect(alertLine(makeAlert({ level: 'warning' }))).toMatch(/\*>? · warning · /);
    // A label that tells it apart is shown without bidi controls (the rest of the line would read backwards).
    const told = alertLine(makeAlert({ labels: { instance: 'pod-b\u202Eevil\u061C' } }), ['instance']);
    expect(told).toContain('instance=pod-bevil');
    expect(told).not.toMatch(/[\u202E\u061C]/);
    expect(alertLine(makeAlert({ level: 'info' }))).toMatch(/\*>? · info · /);
    expect(alertLine(makeAlert({ level: 'critical' }))).not.toMatch(/· critical ·/);
  });

  it('links an alert to its source only with a safe URL', () => {
    expect(alertLine(makeAlert({ url: 'https://grafana.example/d/1?x=1' }))).toContain(
      '<https://grafana.example/d/1?x=1|*HighErrorRate*>',
    );
    expect(alertLine(makeAlert({ url: 'https://evil.example/|<!channel>' }))).not.toContain('<https');
  });

  it('links its runbook beside its name when the source gave one apart from the source link, only with a safe URL', () => {
    const both = {
      url: 'https://prometheus.example/graph?g0.expr=x',
      runbookUrl: 'https://runbooks.example/high-error-rate',
    };
    expect(alertLine(makeAlert(both))).toContain(
      '<https://prometheus.example/graph?g0.expr=x|*HighErrorRate*> (<https://runbooks.example/high-error-rate|runbook>)',
    );
    // The runbook as the only link (a sender with no source link) is the name's link, not said twice.
    const only = 'https://runbooks.example/high-error-rate';
    expect(alertLine(makeAlert({ url: only, runbookUrl: only }))).not.toContain('|runbook>');
    expect(alertLine(makeAlert({ runbookUrl: 'javascript:alert(1)' }))).not.toContain('runbook');
    expect(alertLine(makeAlert({ runbookUrl: 'https://evil.example/|<!channel>' }))).not.toContain('runbook');
    expect(alertLine(makeAlert({ runbookUrl: null }))).not.toContain('runbook');
    // A link longer than a line can hold is left out rather than cut in half.
    const long = `https://graph.example/${'g'.repeat(1000)}`;
    expect(alertLine(makeAlert({ url: long, runbookUrl: long.replace('graph', 'runbooks') }))).not.toContain('<https');
  });

  it('links where the alert is silenced, beside its runbook or alone, only with a safe URL', () => {
    const silence = 'https://am.example/#/silences/new?filter=%7Balertname%3D%22X%22%7D';
    expect(alertLine(makeAlert({ url: null, silenceUrl: silence }))).toContain(
      `*HighErrorRate* (<${silence}|silence>)`,
    );
    expect(
      alertLine(makeAlert({ url: null, runbookUrl: 'https://runbooks.example/x', silenceUrl: silence })),
    ).toContain(`(<https://runbooks.example/x|runbook> · <${silence}|silence>)`);
    expect(alertLine(makeAlert({ silenceUrl: 'https://evil.example/|<!channel>' }))).not.toContain('silence');
    expect(alertLine(makeAlert({ silenceUrl: `https://am.example/${'s'.repeat(1000)}` }))).not.toContain('silence');
  });

  it('offers silence only while the alert fires: a resolved one on the card has none', () => {
    const silence = (id: number) => `https://am.example/#/silences/new?filter=${id}`;
    expect(alertLine(makeAlert({ status: 'firing', silenceUrl: silence(1) }))).toContain(`<${silence(1)}|silence>`);
    const resolved = alertLine(
      makeAlert({
        status: 'resolved',
        resolvedAt: minutes(5),
        runbookUrl: 'https://runbooks.example/x',
        silenceUrl: silence(1),
      }),
    );
    expect(resolved).not.toContain('silence');
    expect(resolved).toContain('(<https://runbooks.example/x|runbook>)');
    // The card's section: each alert's line links its silence when it fires, none when it resolved.
    const card = makeView(2);
    card.alerts = [
      makeAlert({ id: 1, status: 'firing', silenceUrl: silence(1) }),
      makeAlert({ id: 2, status: 'resolved', resolvedAt: minutes(5), silenceUrl: silence(2) }),
    ];
    const text = allText({ text: '', blocks: renderAlertSection(card) });
    expect(text).toContain(`<${silence(1)}|silence>`);
    expect(text).not.toContain(silence(2));
  });
});

describe('the warning notice, the all-resolved offer, the alert list and the declare form', () => {
  const notice = (over: Partial<AlertNoticeView> = {}): AlertNoticeView => ({
    alert: makeAlert({ level: 'warning', name: 'ElevatedErrorRate', value: '7%', threshold: '> 5%' }),
    rule: {
      name: 'ElevatedErrorRate',
      action: 'Check logs for patterns',
      threshold: '> 5%',
      duration: '5m',
      severity: 2,
    },
    declared: null,
    ...over,
  });

  it("an alert's own threshold is named as one when it carries no comparison; with one it reads as it is", () => {
    // `87% (85%)` read as two measurements; the alert's threshold beside the runbook's row must say which it is.
    const bare = renderAlertNotice(
      notice({ alert: makeAlert({ level: 'warning', metric: 'disk_usage', value: '87%', threshold: '85%' }) }),
    );
    expect(allText(bare)).toContain('*Measured* disk_usage 87% (threshold 85%)');
    const compared = renderAlertNotice(
      notice({ alert: makeAlert({ level: 'warning', metric: 'error_rate', value: '7%', threshold: '> 5%' }) }),
    );
    expect(allText(compared)).toContain('*Measured* error_rate 7% (&gt; 5%)');
  });

  it('a notice shows the alert and the runbook action, with Declare incident and Add until someone does', () => {
    const m = renderAlertNotice(notice());
    expect(allText(m)).toContain('*Runbook action:* Check logs for patterns');
    expect(allText(m)).toContain('*Threshold* &gt; 5% for 5m');
    const actions = m.blocks.find((b) => b.type === 'actions');
    expect(actions).toMatchObject({
      block_id: `${BLOCK.alertNoticeActions}:1`,
      elements: [
        { action_id: ACTION.declareFromAlert, value: '1', text: { text: 'Declare incident' } },
        { action_id: ACTION.attachAlert, value: '1', text: { text: 'Add to an open incident' } },
      ],
    });
    const declared = renderAlertNotice(notice({ declared: { number: 12, channelId: 'C0INC12', by: 'U0ALICE' } }));
    expect(allText(declared)).toContain('Declared as incident #12 in <#C0INC12> by <@U0ALICE>.');
    expect(declared.blocks.some((b) => b.type === 'actions')).toBe(false);
    const added = renderAlertNotice(
      notice({ declared: { number: 12, channelId: 'C0INC12', by: 'U0ALICE', attached: true } }),
    );
    expect(allText(added)).toContain('Added to incident #12 in <#C0INC12> by <@U0ALICE>.');
    expect(added.blocks.some((b) => b.type === 'actions')).toBe(false);
    // A private incident: said, never named (no number, channel or declarer), and no second Declare.
    const secret = renderAlertNotice(notice({ declared: { private: true } }));
    expect(allText(secret)).toContain('A private incident was declared from this alert.');
    expect(allText(secret)).not.toMatch(/#\d|<#|<@/);
    expect(secret.blocks.some((b) => b.type === 'actions')).toBe(false);
    // Added to a private incident (by one of its people): said so, as little named.
    const addedSecretly = renderAlertNotice(notice({ declared: { private: true, attached: true } }));
    expect(allText(addedSecretly)).toContain('This alert was added to a private incident.');
    expect(allText(addedSecretly)).not.toMatch(/#\d|<#|<@/);
    expect(alreadyInIncident(makeIncident({ number: 9, channelId: 'C0SECRET', private: true }))).not.toMatch(
      /#9|C0SECRET/,
    );
    expect(alreadyInIncident(makeIncident({ number: 9, channelId: 'C0OPEN' }))).toContain('incident #9 in <#C0OPEN>');
    // A warning's runbook link is on its notice too, beside the name.
    const linked = renderAlertNotice({
      ...notice(),
      alert: { ...notice().alert, runbookUrl: 'https://runbooks.example/elevated-error-rate' },
    });
    expect(allText(linked)).toContain('*ElevatedErrorRate* (<https://runbooks.example/elevated-error-rate|runbook>) —');
    const hostile = renderAlertNotice({
      ...notice(),
      alert: makeAlert({
        name: HOSTILE,
        summary: HOSTILE,
        source: HOSTILE,
        service: HOSTILE,
        ...LONG_LINKS,
      }),
    });
    expect(limitProblems(hostile, 'message')).toEqual([]);
    for (const t of mrkdwnTexts(hostile)) expect(escapingProblems(t.text, ['U0ALICE'])).toEqual([]);
    expect(escapingProblems(hostile.text, [])).toEqual([]);
  });

  it('a notice offers silence for its firing alerts only', () => {
    const silence = (id: number) => `https://am.example/#/silences/new?filter=${id}`;
    const firing = notice().alert;
    const one = (status: 'firing' | 'resolved') =>
      allText(
        renderAlertNotice(
          notice({
            alert: { ...firing, status, resolvedAt: status === 'resolved' ? minutes(5) : null, silenceUrl: silence(1) },
          }),
        ),
      );
    expect(one('firing')).toContain(`*ElevatedErrorRate* (<${silence(1)}|silence>) —`);
    expect(one('resolved')).not.toContain('silence');
    // A group's notice with both: the firing alert's line links its silence, the resolved one's does not.
    const group = renderAlertNotice(
      notice({
        alert: { ...firing, silenceUrl: silence(1) },
        group: {
          alerts: [
            { ...firing, id: 1, silenceUrl: silence(1) },
            {
              ...firing,
              id: 2,
              name: 'DiskFilling',
              status: 'resolved',
              resolvedAt: minutes(5),
              silenceUrl: silence(2),
            },
          ],
          total: 2,
          firing: 1,
        },
      }),
    );
    expect(allText(group)).toContain(`<${silence(1)}|silence>`);
    expect(allText(group)).not.toContain(silence(2));
  });

  it("a group's notice lists its first alerts, counts the rest, offers one Declare incident, within Slack's limits", () => {
    const others = Array.from({ length: 9 }, (_, i) =>
      makeAlert({ id: i + 2, level: 'warning', name: HOSTILE, summary: `${HOSTILE} ${i}`, ...LONG_LINKS }),
    );
    const m = renderAlertNotice(notice({ group: { alerts: [notice().alert, ...others], total: 120, firing: 100 } }));
    expect(limitProblems(m, 'message')).toEqual([]);
    for (const t of mrkdwnTexts(m)) expect(escapingProblems(t.text, ['U0ALICE'])).toEqual([]);
    expect(escapingProblems(m.text, [])).toEqual([]);
    expect(allText(m)).toContain('Warnings of one group: 120* (100 firing, 20 resolved)');
    expect(allText(m)).toContain('*Runbook action:* Check logs for patterns');
    expect(allText(m)).toMatch(/…and 1\d\d more of this group/);
    expect(m.blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
    const cut = renderAlertNotice(
      notice({ group: { alerts: others.slice(0, 2), total: 2, firing: 2, leftOut: 1500 } }),
    );
    expect(allText(cut)).toMatch(/1,500 more not sent by .* \(its `max_alerts`\): see them there\./);
    expect(limitProblems(cut, 'message')).toEqual([]);
    // Every alert of it resolved: the notice says so; declared: whose incident, no button.
    const over = renderAlertNotice(notice({ group: { alerts: others.slice(0, 2), total: 5, firing: 0 } }));
    expect(allText(over)).toContain(':white_check_mark: *Warnings of one group: 5* (0 firing, 5 resolved)');
    expect(allText(over)).toContain('…and 3 more of this group.');
    expect(allText(over)).not.toContain('lists what fires');
    // Declare incident is still there (the incident may not be over), not as the first thing to press.
    const button = over.blocks.find((b) => b.type === 'actions') as { elements: { style?: string }[] };
    expect(button.elements[0]!.style).toBeUndefined();
    expect(allText(over)).toContain('Every alert of it has resolved');
    const declared = renderAlertNotice(
      notice({
        group: { alerts: others, total: 10, firing: 10 },
        declared: { number: 4, channelId: 'C0INC4', by: 'U0BOB' },
      }),
    );
    expect(allText(declared)).toContain('Declared as incident #4 in <#C0INC4> by <@U0BOB>.');
    expect(declared.blocks.some((b) => b.type === 'actions')).toBe(false);
    const secret = renderAlertNotice(
      notice({ group: { alerts: others, total: 10, firing: 10 }, declared: { private: true } }),
    );
    expect(allText(secret)).toContain('A private incident was declared from these alerts.');
  });

  it('the offer to resolve carries the Resolve incident button of the incident', () => {
    const m = renderAllResolved(makeIncident(), makeView(2, { status: 'resolved', resolvedAt: minutes(9) }));
    expect(m.blocks[1]).toMatchObject({
      elements: [{ action_id: ACTION.resolve, value: '7', text: { text: 'Resolve incident' } }],
    });
    expect(allText(m)).toContain('Every alert of this incident has resolved (all 2, the last <!date^');
    // One alert: named, with when it resolved.
    const one = renderAllResolved(makeIncident(), makeView(1, { status: 'resolved', resolvedAt: minutes(9) }));
    expect(allText(one)).toMatch(/Every alert of this incident has resolved \(its one alert, \*[^*]+\*, <!date\^/);
    // One of them fired again after the incident was resolved (followed in a later incident): not said to have resolved,
    // and its time is not the last resolution's.
    const view = makeView(2, { status: 'resolved', resolvedAt: minutes(9) });
    view.alerts[1] = { ...view.alerts[1]!, resolvedAt: minutes(20), firedAgainAt: minutes(20) };
    const moved = allText(renderAllResolved(makeIncident(), view));
    expect(moved).toContain(
      'or, for one, fired again after the incident was resolved and is followed in a later incident',
    );
    expect(moved).toContain(`(the last <!date^${Math.floor(minutes(9).getTime() / 1000)}^`);
    // An info alert still firing beside it is still said.
    const withInfo = allText(renderAllResolved(makeIncident(), { ...view, firingInfo: 1 }));
    expect(withInfo).toContain('Every critical and warning alert of this incident has resolved');
    expect(withInfo).toContain('1 info alert still fires, recorded only');
    // Closed, the offer of an incident with an info alert does not say every alert had resolved (one may still fire).
    const why = { kind: 'resolved', by: REPORTER, at: NOW } as const;
    const closed = allText(renderResolveOfferClosed(makeIncident(), why, true));
    expect(closed).toContain(
      'Every alert of this incident had resolved (info alerts aside: they keep no incident open).',
    );
    // Without an info alert, nothing is said of info alerts.
    const plain = allText(renderResolveOfferClosed(makeIncident(), why));
    expect(plain).toContain('Every alert of this incident had resolved.');
    expect(plain).not.toContain('info alert');
  });

  it('`/incident alerts` lists every alert it can within Slack limits and counts the rest', () => {
    for (const n of [0, 1, 300]) {
      const alerts = Array.from({ length: n }, (_, i) => makeAlert({ id: i, summary: `${HOSTILE} ${i}` }));
      const m = renderAlertList(makeIncident(), { alerts, firing: n, total: n + 7 * Math.sign(n), truncated: [] });
      expect(limitProblems(m, 'message'), `${n} alerts`).toEqual([]);
      expect(m.text.length).toBeLessThanOrEqual(40_000);
      if (n === 0) expect(allText(m)).toContain('not opened from alerts');
      if (n === 300)
        expect(allText(m)).toMatch(/307 alerts · 300 firing · 7 resolved · showing 1–\d+ · \d+ more not shown/);
    }
  });

  it('`/incident alerts WORDS from N` says what it holds, which it shows, and the command for the next', () => {
    const alerts = Array.from({ length: 5 }, (_, i) => makeAlert({ id: i, summary: `disk full ${i}` }));
    const query = { words: ['node-12', 'firing'], from: 1 };
    const narrowed = renderAlertList(makeIncident(), {
      alerts,
      firing: 300,
      total: 307,
      query,
      matches: { total: 5, firing: 5 },
      truncated: [],
    });
    // Every match fits: nothing more to show, and no command for a next part.
    expect(allText(narrowed)).toContain('307 alerts · 300 firing · 7 resolved · 5 hold “node-12 firing” (5 firing)');
    expect(allText(narrowed)).not.toContain('from ');
    // From the 201st of 300: which it shows (its lines), and none more after them.
    const later = renderAlertList(makeIncident(), {
      alerts: alerts.slice(0, 3),
      firing: 203,
      total: 203,
      query: { words: [], from: 201 },
      truncated: [],
    });
    expect(allText(later)).toContain('203 alerts · 203 firing · 0 resolved · showing 201–203');
    expect(allText(later)).not.toContain('more not shown');
    // No match: said, with the whole list's counts and the command for all of them.
    const none = renderAlertList(makeIncident(), {
      alerts: [],
      firing: 2,
      total: 2,
      query: { words: ['<!channel>'], from: 1 },
      matches: { total: 0, firing: 0 },
      truncated: [],
    });
    expect(allText(none)).toContain(
      'No alert of this incident holds “&lt;!channel&gt;” (2 alerts · 2 firing · 0 resolved)',
    );
    expect(allText(none)).toContain('`/incident alerts` lists them all');
    // Past the end: how many there are, and the command from the first, with the same words.
    const past = renderAlertList(makeIncident(), {
      alerts: [],
      firing: 300,
      total: 300,
      query: { words: ['disk'], from: 500 },
      matches: { total: 40, firing: 40 },
      truncated: [],
    });
    expect(allText(past)).toContain(
      'Alerts of this incident holding “disk”: 40, none from number 500 on. `/incident alerts disk` lists them from the first.',
    );
    for (const m of [narrowed, later, none, past]) expect(limitProblems(m, 'message')).toEqual([]);
  });

  it('alerts firing now, narrowed by words: what matched, or that nothing did', () => {
    const firing = renderFiringAlerts(
      { alerts: [], total: 0, query: { words: ['eu-west'], from: 1 } },
      new Date('2026-11-27T23:19:00Z'),
    );
    expect(allText(firing)).toContain('No alert firing now holds “eu-west”');
    const past = renderFiringAlerts(
      { alerts: [], total: 12, query: { words: [], from: 101 } },
      new Date('2026-11-27T23:19:00Z'),
    );
    expect(allText(past)).toContain(
      'Alerts firing now: 12, none from number 101 on. `/incident alerts` lists them from the first.',
    );
  });

  it('alerts that share a summary are told apart by the labels whose values differ, on the card and in the list', () => {
    const crash = (id: number, instance: string) =>
      makeAlert({
        id,
        name: 'PodCrash',
        summary: 'Pod crash looping',
        labels: { alertname: 'PodCrash', severity: 'critical', namespace: 'prod', instance },
      });
    const alerts = [crash(1, 'pod-a'), crash(2, 'pod-b')];
    const view = { ...makeView(2), firing: 2, resolved: 0, alerts };
    const card = allText({ text: '', blocks: renderAlertSection(view) });
    const list = allText(renderAlertList(makeIncident(), { alerts, firing: 2, total: 2, truncated: [] }));
    // What fires now, outside an incident channel, too.
    const place = { kind: 'incident' as const, number: 4, channelId: 'C0INC4', resolved: false };
    const now = allText(
      renderFiringAlerts({ alerts: alerts.map((a) => ({ ...a, place })), total: 2 }, new Date('2026-12-05T03:00:00Z')),
    );
    for (const text of [card, list, now]) {
      // Each line its own instance; what they share (namespace, severity, the name) is not repeated.
      expect(text).toContain('*PodCrash* · instance=pod-a ·');
      expect(text).toContain('*PodCrash* · instance=pod-b ·');
      expect(text).not.toContain('namespace=');
    }
    // The list's fallback text (notifications, screen readers) tells them apart too, with the same labels.
    const { text } = renderAlertList(makeIncident(), { alerts, firing: 2, total: 2, truncated: [] });
    expect(text).toContain('firing PodCrash (instance=pod-a): Pod crash looping (×3)');
    expect(text).toContain('firing PodCrash (instance=pod-b): Pod crash looping (×3)');
    expect(text).not.toContain('namespace=');
    // A single alert has nothing to be told apart from.
    expect(alertLine(alerts[0]!)).not.toContain('instance=');
  });

  it("a service that is the alert's name too (a generic alert keyed by its service) is said once", () => {
    const a = makeAlert({
      name: 'svc-6',
      service: 'svc-6',
      summary: 'svc-6 is down',
      metric: null,
      value: null,
      threshold: null,
    });
    expect(alertLine(a)).toMatch(/^:red_circle: \*svc-6\* · svc-6 is down · firing/);
    const page = pageAlerts({ ...makeView(1), firing: 1, resolved: 0, alerts: [a] })!;
    // Nothing else said of it on the page: its summary is.
    expect(page.mrkdwn).toContain(':red_circle: *svc-6* · svc-6 is down\n');
  });

  it('a page names the critical and warning alerts that fired, not the info ones beside them (unless only they fire)', () => {
    const down = makeAlert({ id: 1, name: 'PaymentsDown', level: 'critical' });
    const pods = [2, 3, 4].map((id) => makeAlert({ id, name: `PodRestart${id}`, level: 'info' }));
    const view = { ...makeView(4), firing: 4, firingInfo: 3, resolved: 0, total: 4, alerts: [...pods, down] };
    const page = pageAlerts(view)!.mrkdwn;
    expect(page).toContain('PaymentsDown');
    expect(page).not.toContain('PodRestart');
    expect(page).not.toContain('more firing');
    const onlyInfo = pageAlerts({ ...view, firing: 3, total: 3, alerts: pods })!.mrkdwn;
    expect(onlyInfo).toContain('PodRestart2');
  });

  it('the description of an alert is shown under it in /incident alerts and on a page, not on the card', () => {
    const a = makeAlert({ id: 1, status: 'firing', description: 'p99 latency of <checkout> above 2s for 5 minutes' });
    const list = allText(renderAlertList(makeIncident(), { alerts: [a], firing: 1, total: 1, truncated: [] }));
    expect(list).toContain('\n> p99 latency of &lt;checkout&gt; above 2s for 5 minutes');
    const page = pageAlerts({ ...makeView(1), firing: 1, resolved: 0, total: 1, alerts: [a] })!;
    expect(page.mrkdwn).toContain('\n> p99 latency of &lt;checkout&gt; above 2s for 5 minutes');
    const card = allText({ text: '', blocks: renderAlertSection({ ...makeView(1), alerts: [a] }) });
    expect(card).not.toContain('p99 latency');
  });

  it('a page sent once every alert has resolved (nobody acknowledged) says so, with when the last did', () => {
    const resolvedAt = new Date('2026-12-05T03:10:00Z');
    const alerts = [1, 2].map((id) =>
      makeAlert({ id, name: `ApiErrors${id}`, status: 'resolved', resolvedAt, level: 'critical' }),
    );
    const view = { ...makeView(2), firing: 0, resolved: 2, total: 2, alerts };
    const page = pageAlerts(view)!;
    expect(page.mrkdwn).toMatch(/^\*What fired\* \(from alertmanager\) \*has resolved\*, the last <!date\^/);
    expect(page.mrkdwn).toContain(
      'monitoring no longer sees the trouble. The incident stays open until someone resolves it',
    );
    expect(page.mrkdwn).toContain(':white_check_mark: *ApiErrors1*');
    expect(page.short).toBe('ApiErrors1 resolved');
    expect(pageAlertsText(view)[0]).toBe(
      'What fired (from alertmanager) has resolved, the last at 2026-12-05T03:10:00.000Z: monitoring no longer sees the trouble. The incident stays open until someone resolves it.',
    );
    // An incident a person declared, whose alerts people added have resolved: its page says nothing of them, as its
    // trouble was seen by a person, not by monitoring.
    expect(pageAlerts({ ...view, openedFrom: [] })).toBeNull();
    expect(pageAlertsText({ ...view, openedFrom: [] })).toEqual([]);
    expect(pageAlerts({ ...view, openedFrom: ['alertmanager'] })!.mrkdwn).toContain('has resolved');
    // A warning firing says it is one, and shows a warning's icon, not a critical's red dot (on the card too).
    const warn = makeAlert({ id: 3, name: 'SlowApi', level: 'warning', status: 'firing' });
    expect(pageAlerts({ ...makeView(1), firing: 1, resolved: 0, total: 1, alerts: [warn] })!.mrkdwn).toContain(
      ':warning: *SlowApi* · warning',
    );
    expect(alertLine(warn)).toMatch(/^:warning: \*SlowApi\* · warning/);
    expect(alertLine({ ...warn, level: 'info' })).toMatch(/^:information_source: \*SlowApi\* · info/);
    expect(alertLine({ ...warn, level: 'critical' })).toMatch(/^:red_circle: \*SlowApi\*/);
    expect(alertLine({ ...warn, status: 'resolved' })).toMatch(/^:white_check_mark: \*SlowApi\*/);
    const card = allText({ text: '', blocks: renderAlertSection({ ...makeView(1), alerts: [warn] }) });
    expect(card).toContain(':warning: *SlowApi*');
    expect(card).not.toContain(':red_circle:');
  });

  it('a page names what an alert keyed alone (no labels, service or measure) says happened: its summary', () => {
    const a = makeAlert({
      name: 'disk-usage-85-on-db-2',
      service: null,
      summary: 'disk usage 85% on db-2',
      metric: null,
      value: null,
      threshold: null,
      labels: {},
    });
    const view = { ...makeView(1), firing: 1, resolved: 0, alerts: [a] };
    expect(pageAlerts(view)!.mrkdwn).toContain(':red_circle: *disk-usage-85-on-db-2* · disk usage 85% on db-2');
    expect(pageAlertsText(view)).toContain('- disk-usage-85-on-db-2 · disk usage 85% on db-2');
    // With a measure it says enough; the summary stays on the card.
    const measured = { ...a, metric: 'disk_usage', value: '85%', threshold: '> 80%' };
    expect(pageAlerts({ ...view, alerts: [measured] })!.mrkdwn).not.toContain('disk usage 85% on db-2');
    // A summary that only repeats the name adds nothing.
    expect(pageAlerts({ ...view, alerts: [{ ...a, summary: a.name }] })!.mrkdwn).toContain(
      ':red_circle: *disk-usage-85-on-db-2*\n',
    );
  });

  it('a page tells apart alerts of one name by their labels, since it leaves out their summaries', () => {
    // One Alertmanager group: InstanceDown on two hosts, each with its own summary.
    const down = (id: number, host: string) =>
      makeAlert({
        id,
        name: 'InstanceDown',
        summary: `${host} is down`,
        service: 'node',
        metric: null,
        value: null,
        threshold: null,
        labels: { alertname: 'InstanceDown', job: 'node', severity: 'critical', instance: `${host}:9100` },
      });
    const page = pageAlerts({ ...makeView(2), firing: 2, resolved: 0, alerts: [down(1, 'web-1'), down(2, 'web-2')] })!;
    const lines = page.mrkdwn.split('\n').filter((l) => l.includes('InstanceDown'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('instance=web-1:9100');
    expect(lines[1]).toContain('instance=web-2:9100');
    expect(page.mrkdwn).not.toContain('job=');
    // Alerts of different names need nothing more.
    const other = makeAlert({ id: 3, name: 'DiskFull', summary: 'disk', labels: { instance: 'web-1:9100' } });
    expect(
      pageAlerts({ ...makeView(2), firing: 2, resolved: 0, alerts: [down(1, 'web-1'), other] })!.mrkdwn,
    ).not.toContain('instance=');
  });

  it('each set of alerts sharing a name and summary is told apart by its own labels, whatever else the list holds', () => {
    const crash = (id: number, instance: string) =>
      makeAlert({ id, name: 'PodCrash', summary: 'Pod3 crashlooping', labels: { instance, namespace: 'prod' } });
    const other = (id: number, v: string) =>
      makeAlert({ id, name: 'Other', summary: 'Other thing', labels: { aaa: v, bbb: v, ccc: v, instance: 'x' } });
    const alerts = [crash(1, 'pod-a'), crash(2, 'pod-b'), other(3, '1'), other(4, '2')];
    const text = allText({ text: '', blocks: renderAlertSection({ ...makeView(4), alerts }) });
    expect(text).toContain('*PodCrash* · instance=pod-a ·');
    expect(text).toContain('*PodCrash* · instance=pod-b ·');
    expect(text).toContain('*Other* · aaa=1, bbb=1, ccc=1 ·');
    // Long values that share their start keep their ends, where they differ.
    const probe = (id: number, region: string) =>
      makeAlert({
        id,
        name: 'ProbeFailed',
        summary: 'probe failed',
        labels: { instance: `https://checkout-gateway.payments-production.svc.cluster.local:8443/healthz/${region}` },
      });
    const probes = allText({
      text: '',
      blocks: renderAlertSection({ ...makeView(2), alerts: [probe(1, 'eu'), probe(2, 'us')] }),
    });
    expect(probes).toMatch(/instance=https:\/\/checko[^ ]*…[^ ]*\/healthz\/eu/);
    expect(probes).toMatch(/instance=https:\/\/checko[^ ]*…[^ ]*\/healthz\/us/);
    // A line break in a label makes no line of its own (no fake alert line, no quote).
    const broken = (id: number, v: string) =>
      makeAlert({
        id,
        name: 'Disk',
        summary: 'disk',
        labels: { instance: `*b${v}*\n> quoted\n:red_circle: fake line` },
      });
    const lines = renderAlertSection({ ...makeView(2), alerts: [broken(1, '0'), broken(2, '1')] }).flatMap((b) =>
      'text' in b && b.text && typeof b.text === 'object' ? b.text.text.split('\n') : [],
    );
    expect(lines.filter((l) => l.startsWith(':red_circle: fake') || l.startsWith('&gt;'))).toEqual([]);
  });

  it('the labels that tell alerts apart are escaped, cut and few, so lines stay within Slack limits', () => {
    const labels = (i: number) =>
      Object.fromEntries(
        Array.from({ length: 10 }, (_, k) => [`${HOSTILE}-${k}`.slice(0, 300), `${HOSTILE} ${i}`]),
      ) as Record<string, string>;
    const alerts = Array.from({ length: 8 }, (_, i) =>
      makeAlert({ id: i + 1, labels: { ...labels(i), host: `<!channel>${i}` } }),
    );
    const view = { ...makeView(8), alerts };
    const blocks = renderAlertSection(view);
    expect(limitProblems({ blocks }, 'message')).toEqual([]);
    const text = allText({ text: '', blocks });
    expect(escapingProblems(text, [])).toEqual([]);
    const line = alertLine(alerts[0]!, ['host', ...Object.keys(labels(0))]);
    // At most three labels, each name and value cut.
    expect(line.split('=').length - 1).toBeLessThanOrEqual(3);
    expect([...line].length).toBeLessThan(1200);
    const list = renderAlertList(makeIncident(), { alerts, firing: 8, total: 8, truncated: [] });
    expect(limitProblems(list, 'message')).toEqual([]);
  });

  it('`/incident alerts` says how many alerts a source left out of its deliveries (its max_alerts)', () => {
    const m = renderAlertList(makeIncident(), {
      alerts: [makeAlert()],
      firing: 1,
      total: 1,
      truncated: [{ source: '<!here>', count: 2500, groups: 'one' }],
    });
    expect(allText(m)).toContain(
      '1 alert · 1 firing · 0 resolved · 2,500 more not sent by &lt;!here&gt; (its `max_alerts`): see them there',
    );
  });

  it('the declare form is prefilled and within limits, its title cut to what a declaration takes', () => {
    const v = declareModal(SEV, '{"from":"alert","alertId":1,"channelId":"C1"}', TITLE_MAX, {
      title: `${HOSTILE}\n${HOSTILE}`,
      severity: 2,
      about: HOSTILE,
    });
    expect(v.callback_id).toBe(VIEW.declare);
    expect(limitProblems(v, 'modal')).toEqual([]);
    const input = JSON.stringify(v.blocks);
    expect(input).toContain(`"action_id":"${INPUT.text}"`);
    expect(input).toContain('"initial_option":{"text":{"type":"plain_text","text":"SEV-2 (Medium)"}');
    const title = (v.blocks[2] as { element: { initial_value: string } }).element.initial_value;
    expect([...title].length).toBeLessThanOrEqual(TITLE_MAX);
    expect(title).not.toContain('\n');
    // From an alert too, the form has the Private box.
    expect(input).toContain(BLOCK.declarePrivate);
  });
});

describe('heartbeat notices', () => {
  const rule = { name: 'Watchdog', action: 'Check <!here> Prometheus & Alertmanager', heartbeatMs: 600_000 };
  it('say monitoring may be down, for how long, the heartbeat and the action; then that it is back; escaped', () => {
    // Sources and row names are checked words (no markup); the row's action is the runbook's text, escaped.
    const quiet = renderHeartbeat({ rule, source: 'alertmanager', quiet: true, since: minutes(-7), now: NOW });
    expect(quiet.text).toBe('Monitoring may be down: no Watchdog from alertmanager for 12 minutes.');
    const text = allText(quiet);
    expect(text).toContain(':warning: *Monitoring may be down:* no *Watchdog* from *alertmanager* for 12 minutes');
    expect(text).toContain('its heartbeat is 10 minutes');
    expect(text).toContain('*Runbook action:* Check &lt;!here&gt; Prometheus &amp; Alertmanager');
    const back = renderHeartbeat({ rule, source: 'alertmanager', quiet: false, since: minutes(-20), now: NOW });
    expect(back.text).toBe('Watchdog from alertmanager is back.');
    expect(allText(back)).toContain('*Watchdog* from *alertmanager* is back, after 25 minutes without it');
    const resolved = renderHeartbeat({
      rule,
      source: 'alertmanager',
      quiet: true,
      since: minutes(4),
      now: NOW,
      resolved: true,
    });
    expect(resolved.text).toBe('Monitoring may be down: Watchdog from alertmanager resolved.');
    expect(allText(resolved)).toContain('*Watchdog* from *alertmanager* resolved');
    for (const m of [quiet, back, resolved]) {
      for (const t of mrkdwnTexts(m)) expect(escapingProblems(t.text, [])).toEqual([]);
      expect(limitProblems(m, 'message')).toEqual([]);
    }
  });
});

describe('what is firing now (`/incident alerts` outside an incident channel)', () => {
  const sections = (m: { blocks: unknown[] }) =>
    (m.blocks as { type: string; text?: { text: string } }[])
      .filter((b) => b.type === 'section')
      .map((b) => b.text!.text)
      .join('\n');

  it('says nothing is firing, with the time', () => {
    const m = renderFiringAlerts({ alerts: [], total: 0 }, NOW);
    expect(m.text).toBe('No alert is firing now.');
    expect(sections(m)).toContain('No alert from monitoring is firing now');
  });

  it('names each place, and a private incident without its number or channel', () => {
    const m = renderFiringAlerts(
      {
        total: 4,
        alerts: [
          { ...makeAlert({ id: 1 }), place: { kind: 'incident', number: 7, channelId: 'C0INC7', resolved: true } },
          { ...makeAlert({ id: 2, summary: 'secret' }), place: { kind: 'private' } },
          { ...makeAlert({ id: 3, level: 'warning' }), place: { kind: 'notice', channelId: 'C0NOTICES' } },
          { ...makeAlert({ id: 4, level: 'info' }), place: { kind: 'recorded' } },
        ],
      },
      NOW,
    );
    const text = sections(m);
    expect(text).toContain('→ incident #7 <#C0INC7> (resolved, still firing)');
    expect(text).toContain('→ a private incident');
    expect(text).toContain('→ its notice in <#C0NOTICES>');
    expect(text).toContain('→ recorded only');
    expect(text).toMatch(/\*Critical\* \(2\)[\s\S]*\*Warning\* \(1\)[\s\S]*\*Info\* \(1\)/);
    expect(limitProblems(m, 'message')).toEqual([]);
  });

  it('a long list stays within Block Kit limits and counts what it leaves out', () => {
    const alerts = Array.from({ length: 100 }, (_, n) => ({
      ...makeAlert({ id: n, name: HOSTILE, summary: HOSTILE, ...LONG_LINKS }),
      place: { kind: 'recorded' as const },
    }));
    const m = renderFiringAlerts({ alerts, total: 250 }, NOW);
    expect(limitProblems(m, 'message')).toEqual([]);
    for (const t of mrkdwnTexts(m)) expect(escapingProblems(t.text, []), t.path).toEqual([]);
    const footer = JSON.stringify(m.blocks.at(-1));
    const shown = sections(m)
      .split('\n')
      .filter((l) => l.includes('→ recorded only')).length;
    expect(footer).toContain(
      `250 firing · showing 1–${shown} · ${250 - shown} more not shown: \`/incident alerts from ${shown + 1}\` shows the next`,
    );
    expect(sections(m)).toContain('*Critical* (100+)');
  });
});

describe('a critical alert joining a less severe incident', () => {
  it('names the severities, the row and how to raise it; hostile text is escaped and within limits', () => {
    const m = renderOutranked(makeIncident({ severity: 3 }), {
      alert: makeAlert({ name: HOSTILE, summary: HOSTILE }),
      others: [],
      severity: 1,
      rule: { name: 'HighDiskUsage', threshold: '> 95%', duration: '5m' },
    });
    expect(m.text).toBe(
      ":rotating_light: A critical alert joined this SEV-3 incident, and the runbook's row *HighDiskUsage* (&gt; 95% for 5m) declares SEV-1. The severity was not changed: *Raise to SEV-1* below (or `/incident sev1`) raises it.",
    );
    expect(m.blocks.at(-1)).toMatchObject({
      type: 'actions',
      block_id: `${BLOCK.raiseSeverity}:${makeIncident().id}`,
      elements: [{ action_id: ACTION.raiseSeverity, value: 'sev1', text: { text: 'Raise to SEV-1' } }],
    });
    expect(limitProblems(m, 'message')).toEqual([]);
    for (const t of mrkdwnTexts(m)) expect(escapingProblems(t.text, []), t.path).toEqual([]);
    const bare = renderOutranked(makeIncident({ severity: 2 }), {
      alert: makeAlert(),
      others: [],
      severity: 1,
      rule: null,
    });
    expect(bare.text).toContain('a critical alert without a runbook row is declared SEV-1');
  });

  it('several with long links: whole lines as many as fit, then how many more; no link cut', () => {
    const others = Array.from({ length: 6 }, (_, n) =>
      makeAlert({ id: 100 + n, name: `Replica${n}Down`, summary: 'x'.repeat(400), ...LINKABLE_LINKS }),
    );
    const m = renderOutranked(makeIncident({ severity: 3 }), {
      alert: makeAlert({ name: 'PrimaryDown', summary: 'y'.repeat(400), ...LINKABLE_LINKS }),
      others,
      severity: 1,
      rule: null,
    });
    expect(limitProblems(m, 'message')).toEqual([]);
    const listed = (m.blocks[1] as { text: { text: string } }).text.text;
    expect((listed.match(/</g) ?? []).length).toBe((listed.match(/>/g) ?? []).length);
    const lines = listed.split('\n');
    expect(lines.at(-1)).toBe(`…and ${7 - (lines.length - 1)} more (the card lists them).`);
    expect(lines[0]).toContain('PrimaryDown');
  });

  it('names several that joined at once in one message: the first five, and how many more', () => {
    const others = Array.from({ length: 6 }, (_, n) => makeAlert({ id: 100 + n, name: `Replica${n}Down` }));
    const m = renderOutranked(makeIncident({ severity: 3 }), {
      alert: makeAlert({ name: 'PrimaryDown', summary: HOSTILE, threshold: '> 90%' }),
      others,
      severity: 1,
      rule: null,
    });
    expect(m.text).toMatch(/^:rotating_light: 7 critical alerts joined this SEV-3 incident/);
    const listed = JSON.stringify(m.blocks[1]);
    for (const name of ['PrimaryDown', 'Replica0Down', 'Replica3Down']) expect(listed).toContain(name);
    expect(listed).not.toContain('Replica4Down');
    expect(listed).toContain('…and 2 more (the card lists them).');
    expect(m.blocks).toHaveLength(3);
    expect(limitProblems(m, 'message')).toEqual([]);
    // Each line escaped once: the threshold's > is &gt;, never &amp;gt;.
    expect(listed).toContain('&gt; 90%');
    expect(listed).not.toContain('&amp;gt;');
    expect(listed).not.toContain('&amp;amp;');
    for (const t of mrkdwnTexts(m)) expect(escapingProblems(t.text, []), t.path).toEqual([]);
  });
});

describe('renderWaitingForChannel', () => {
  it('tells on-call what fired and that the page follows; a security alert unnamed; hostile text escaped', () => {
    const msg = renderWaitingForChannel({ title: HOSTILE, severity: 1, source: HOSTILE, nextInMs: 4200 });
    expect(limitProblems(msg, 'message')).toEqual([]);
    for (const t of mrkdwnTexts(msg)) expect(escapingProblems(t.text, []), t.path).toEqual([]);
    const text = mrkdwnTexts(msg)
      .map((t) => t.text)
      .join('\n');
    expect(text).toContain('the next in about 5 seconds');
    expect(text).toContain('follows as soon as its channel is open');
    const secret = renderWaitingForChannel({ title: null, severity: 0, source: 'edge', nextInMs: 1000 });
    expect(secret.text).toBe('On call: a critical alert fired (edge, SEV-0); its incident channel follows shortly');
    expect(json(secret.blocks)).toContain('A security alert');
  });
});

describe('the message of alerts moved out of an incident', () => {
  it('reads as English for one alert and for several, when they moved back to an incident reopened for them', () => {
    const to = { number: 1, channelId: 'C0INC1' };
    const one = json(renderMovedOut([makeAlert()], to, 'U0YOU', 'reopened'));
    expect(one).toContain('(it had fired again after it was resolved)');
    const two = json(renderMovedOut([makeAlert(), makeAlert({ id: 2, name: 'DbDown' })], to, 'U0YOU', 'reopened'));
    expect(one + two).not.toMatch(/is had|are had/);
  });
});
