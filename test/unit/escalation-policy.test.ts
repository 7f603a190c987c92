import { describe, expect, it } from 'vitest';
import {
  climbConditions,
  climbHeld,
  desiredJobs,
  ESCALATION_RULES,
  FILE_RULES,
  keptByHand,
  MOVABLE_RULES,
  nextRoleToPage,
  PAGING_NOBODY_RULES,
  pagingStop,
  pagingStopped,
  REMINDER_RULES,
  RULES,
  revivedRules,
  roleNamed,
  rolesToPage,
  ruleReason,
  ruleUnless,
  stillHolds,
} from '../../src/incidents/escalation-policy.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';

const rb = testRunbook({ unresolvedAfter: '30m', respond: { 0: '5m', 1: '15m', 2: '1h', 3: '4h' } });
const T0 = new Date('2026-11-27T03:00:00Z');
const NOW = new Date('2026-11-27T03:01:00Z');
const keys = (i: ReturnType<typeof makeIncident>) => desiredJobs(i, rb, NOW).map((j) => j.key);

describe('desiredJobs', () => {
  it('paging stops one response time after the tenth round, once per opening; not once acknowledged', () => {
    const i = makeIncident({ severity: 1, createdAt: T0, acknowledgedAt: null, status: 'investigating' });
    const stop = (inc: ReturnType<typeof makeIncident>) =>
      desiredJobs(inc, rb, NOW)
        .filter((j) => j.rule === 'paging_stopped')
        .map((j) => [j.key, j.dueAt.toISOString()]);
    // SEV-1 responds within 15 minutes: ten rounds to 05:30, and paging stops at 05:45.
    expect(stop(i)).toEqual([['paging_stopped', '2026-11-27T05:45:00.000Z']]);
    const reopenedAt = new Date('2026-11-27T06:00:00Z');
    expect(stop({ ...i, reopenedAt })).toEqual([
      [`paging_stopped@${reopenedAt.toISOString()}`, '2026-11-27T08:45:00.000Z'],
    ]);
    expect(stop({ ...i, acknowledgedAt: NOW })).toEqual([]);
    expect(stop({ ...i, status: 'mitigated' })).toEqual([]);
  });
  it("the card, the channel's notice and the timeline say the same rounds' end, counted from the opening", () => {
    const reopenedAt = new Date('2026-11-27T06:00:00Z');
    const severityChangedAt = new Date('2026-11-27T06:30:00Z');
    const i = makeIncident({
      severity: 1,
      createdAt: T0,
      acknowledgedAt: null,
      status: 'investigating',
      reopenedAt,
      severityChangedAt,
    });
    // Rounds from the severity change (15 minutes each, ten and one more: 09:15); said from the reopening (3 h 15 m).
    const stop = pagingStop(i, rb)!;
    expect(stop).toEqual({ at: new Date('2026-11-27T09:15:00Z'), rounds: 10, afterMs: 195 * 60_000 });
    expect(pagingStopped(i, rb, new Date('2026-11-27T09:14:59Z'))).toBeNull();
    expect(pagingStopped(i, rb, stop.at)).toEqual({ rounds: 10, afterMs: stop.afterMs });
    const told = RULES.paging_stopped.remind(i, (id) => id, rb);
    expect(told.notice).toMatchObject({ kind: 'paging_stopped', rounds: 10, afterMs: stop.afterMs });
    expect(told.details).toMatchObject({ rounds: 10, afterMs: stop.afterMs });
    expect(pagingStop({ ...i, acknowledgedAt: NOW }, rb)).toBeNull();
  });
  it('a fresh SEV-1: page on-call now, senior DevOps at 30 minutes, on-call again at 15 minutes if unacknowledged', () => {
    const jobs = desiredJobs(
      makeIncident({ severity: 1, createdAt: T0, acknowledgedAt: null, status: 'investigating' }),
      rb,
      NOW,
    );
    // (The response time's later rounds, one each 15 minutes, follow the first: see the rounds below.)
    expect(jobs.slice(0, 3).map((j) => [j.key, j.role, j.dueAt.toISOString()])).toEqual([
      ['declared', 'on_call', '2026-11-27T03:00:00.000Z'],
      ['unresolved', 'senior_devops', '2026-11-27T03:30:00.000Z'],
      ['unacknowledged', 'on_call', '2026-11-27T03:15:00.000Z'],
    ]);
  });
  it('nobody acknowledging: rounds one response time apart, the last due by now and every later one; none past the tenth', () => {
    const i = makeIncident({ severity: 1, createdAt: T0, acknowledgedAt: null, status: 'investigating' });
    const rounds = (now: string, inc = i) =>
      desiredJobs(inc, rb, new Date(now))
        .filter((j) => j.rule === 'unacknowledged')
        .map((j) => [j.key, j.dueAt.toISOString()]);
    // Before the first is due: all ten (round 1's key the rule's name, as timers set before rounds have it).
    const before = rounds('2026-11-27T03:14:59Z');
    expect(before).toHaveLength(10);
    expect(before.slice(0, 2)).toEqual([
      ['unacknowledged', '2026-11-27T03:15:00.000Z'],
      ['unacknowledged:2', '2026-11-27T03:30:00.000Z'],
    ]);
    expect(before.at(-1)).toEqual(['unacknowledged:10', '2026-11-27T05:30:00.000Z']);
    // As the first fires (a little late, or a little early by the bot's clock): it still holds.
    for (const at of ['2026-11-27T03:14:59.990Z', '2026-11-27T03:15:01Z'])
      expect(stillHolds({ key: 'unacknowledged', rule: 'unacknowledged' }, i, rb, new Date(at))).toBe(true);
    // A round missed by more than a response time (the bot down): stale; the one due last fires instead, once.
    expect(stillHolds({ key: 'unacknowledged', rule: 'unacknowledged' }, i, rb, new Date('2026-11-27T03:47:00Z'))).toBe(
      false,
    );
    expect(rounds('2026-11-27T03:47:00Z')[0]).toEqual(['unacknowledged:3', '2026-11-27T03:45:00.000Z']);
    // The tenth is the last.
    expect(rounds('2026-11-27T05:31:00Z')).toEqual([['unacknowledged:10', '2026-11-27T05:30:00.000Z']]);
    expect(rounds('2026-11-27T05:46:00Z')).toEqual([]);
    // A severity change to a longer response time: the later rounds (those not fired yet keep coming) by the new one.
    const sev2 = rounds('2026-11-27T03:50:00Z', { ...i, severity: 2 });
    expect(sev2[0]).toEqual(['unacknowledged', '2026-11-27T04:00:00.000Z']);
    expect(sev2).toHaveLength(10);
    // Reopened: the rounds (and the unresolved timer) count from the reopening, under keys of their own.
    const reopenedAt = new Date('2026-11-27T06:00:00Z');
    const reopened = { ...i, reopenedAt };
    expect(rounds('2026-11-27T06:00:01Z', reopened)[0]).toEqual([
      'unacknowledged@2026-11-27T06:00:00.000Z',
      '2026-11-27T06:15:00.000Z',
    ]);
    expect(
      desiredJobs(reopened, rb, new Date('2026-11-27T06:00:01Z')).find((j) => j.rule === 'unresolved'),
    ).toMatchObject({ key: 'unresolved@2026-11-27T06:00:00.000Z', dueAt: new Date('2026-11-27T06:30:00Z') });
  });

  it('SEV-0 or data-loss risk adds the CTO now; customer impact adds the engineering manager now', () => {
    expect(keys(makeIncident({ severity: 0, createdAt: T0, status: 'investigating' }))).toContain('critical');
    expect(keys(makeIncident({ severity: 2, dataLossRisk: true, createdAt: T0, status: 'investigating' }))).toContain(
      'critical',
    );
    const withImpact = desiredJobs(
      makeIncident({ severity: 2, customerImpact: true, createdAt: T0, status: 'investigating' }),
      rb,
      NOW,
    );
    expect(withImpact.find((j) => j.key === 'customer_impact')).toMatchObject({
      role: 'engineering_manager',
      dueAt: NOW,
    });
  });
  it('customer impact, a data-loss risk or SEV-0 found while mitigated still pages at once; not once resolved', () => {
    const untilMitigated = testRunbook({ unresolvedAfter: '30m', unresolvedUntil: 'mitigated' });
    const mitigated = (over: Parameters<typeof makeIncident>[0]) =>
      desiredJobs(
        makeIncident({ createdAt: T0, status: 'mitigated', nextUpdateAt: null, ...over }),
        untilMitigated,
        NOW,
      );
    expect(mitigated({ severity: 2, customerImpact: true }).map((j) => [j.key, j.role])).toEqual([
      ['customer_impact', 'engineering_manager'],
    ]);
    expect(mitigated({ severity: 2, dataLossRisk: true }).map((j) => j.key)).toContain('critical');
    expect(mitigated({ severity: 0 }).map((j) => j.key)).toEqual(['critical']);
    expect(
      desiredJobs(makeIncident({ createdAt: T0, status: 'resolved', customerImpact: true, severity: 0 }), rb, NOW),
    ).toEqual([]);
  });
  it('acknowledged: no response-time timer; mitigated (with until: mitigated): no escalation at all; resolved: nothing', () => {
    expect(keys(makeIncident({ createdAt: T0, acknowledgedAt: NOW, status: 'investigating' }))).not.toContain(
      'unacknowledged',
    );
    const untilMitigated = testRunbook({ unresolvedAfter: '30m', unresolvedUntil: 'mitigated' });
    expect(
      desiredJobs(makeIncident({ createdAt: T0, status: 'mitigated', nextUpdateAt: null }), untilMitigated, NOW).map(
        (j) => j.key,
      ),
    ).toEqual([]);
    expect(
      keys(makeIncident({ createdAt: T0, status: 'resolved', nextUpdateAt: new Date(NOW.getTime() + 1000) })),
    ).toEqual([]);
  });
  it('by default only resolving stops the unresolved timer: a mitigated incident keeps it, and the card says so', () => {
    const mitigated = makeIncident({ createdAt: T0, status: 'mitigated', nextUpdateAt: null });
    expect(desiredJobs(mitigated, rb, NOW).map((j) => [j.key, j.role, j.dueAt.toISOString()])).toEqual([
      ['unresolved', 'senior_devops', '2026-11-27T03:30:00.000Z'],
    ]);
    expect(stillHolds({ key: 'unresolved', rule: 'unresolved' }, mitigated, rb, NOW)).toBe(true);
    expect(stillHolds({ key: 'unresolved', rule: 'unresolved' }, { ...mitigated, status: 'resolved' }, rb, NOW)).toBe(
      false,
    );
    expect(ruleUnless('unresolved', rb)).toBe('resolved by then');
    const untilMitigated = testRunbook({ unresolvedUntil: 'mitigated' });
    expect(stillHolds({ key: 'unresolved', rule: 'unresolved' }, mitigated, untilMitigated, NOW)).toBe(false);
    expect(ruleUnless('unresolved', untilMitigated)).toBe('mitigated or resolved by then');
  });
  it('a next update with no newer update gives a reminder keyed by its time', () => {
    const next = new Date('2026-11-27T03:30:00Z');
    const i = makeIncident({ createdAt: T0, status: 'investigating', nextUpdateAt: next, lastUpdateAt: NOW });
    expect(keys(i)).toContain('next_update:2026-11-27T03:30:00.000Z');
    expect(keys({ ...i, lastUpdateAt: new Date('2026-11-27T03:31:00Z') })).not.toContain(
      'next_update:2026-11-27T03:30:00.000Z',
    );
  });
  it('an RTO gives a reminder at its lower bound and one at the RTO, counted from the declaration, while not resolved', () => {
    const H = 3_600_000;
    const dr = { playbook: 'disaster-recovery', minMs: 2 * H, maxMs: 4 * H };
    const i = makeIncident({ createdAt: T0, status: 'investigating', acknowledgedAt: NOW, recovery: dr });
    const rto = (x: typeof i, now = NOW) =>
      desiredJobs(x, rb, now)
        .filter((j) => j.rule.startsWith('rto'))
        .map((j) => [j.key, j.role, j.dueAt.toISOString()]);
    expect(rto(i)).toEqual([
      ['rto_lower_bound', null, '2026-11-27T05:00:00.000Z'],
      ['rto_passed', null, '2026-11-27T07:00:00.000Z'],
    ]);
    // Mitigated is recovered (the service restored), as resolved is; no procedure with an RTO, nothing.
    expect(rto({ ...i, status: 'mitigated', mitigatedAt: NOW })).toEqual([]);
    expect(rto({ ...i, status: 'resolved' })).toEqual([]);
    expect(rto({ ...i, recovery: null })).toEqual([]);
    // A single duration has no lower bound; once the RTO itself is past, its lower bound is not said before it.
    expect(rto({ ...i, recovery: { ...dr, minMs: 4 * H } })).toEqual([
      ['rto_passed', null, '2026-11-27T07:00:00.000Z'],
    ]);
    expect(rto(i, new Date('2026-11-27T07:00:00Z'))).toEqual([['rto_passed', null, '2026-11-27T07:00:00.000Z']]);
    // Firing at its time, the lower bound's reason holds; the incident resolved meanwhile, it does not.
    const at5 = new Date('2026-11-27T05:00:01Z');
    expect(stillHolds({ key: 'rto_lower_bound', rule: 'rto_lower_bound' }, i, rb, at5)).toBe(true);
    expect(stillHolds({ key: 'rto_lower_bound', rule: 'rto_lower_bound' }, { ...i, status: 'resolved' }, rb, at5)).toBe(
      false,
    );
    // What it tells: the commander, the playbook by its title, the bounds; the timeline keeps the rule.
    expect(RULES.rto_passed.remind(i, (id) => `Title of ${id}`)).toEqual({
      notice: {
        kind: 'recovery_time',
        bound: 'rto',
        commanderId: i.commanderId,
        playbookTitle: 'Title of disaster-recovery',
        minMs: 2 * H,
        maxMs: 4 * H,
      },
      details: { rule: 'rto_passed', playbook: 'disaster-recovery', minMs: 2 * H, maxMs: 4 * H },
    });
  });

  it('revives every rule when reopened, and the RTO reminders when a procedure with an RTO is attached anew', () => {
    const dr = { playbook: 'disaster-recovery', minMs: 1000, maxMs: 2000 };
    const i = makeIncident({ createdAt: T0, status: 'investigating', recovery: null });
    expect([...revivedRules({ ...i, status: 'resolved' }, i)]).toEqual([...ESCALATION_RULES]);
    expect([...revivedRules(i, { ...i, recovery: dr })]).toEqual(['rto_lower_bound', 'rto_passed']);
    expect([...revivedRules({ ...i, recovery: dr }, { ...i, recovery: { ...dr, playbook: 'other' } })]).toHaveLength(2);
    // The same RTO kept, or dropped (detached), or any other change: nothing.
    expect([...revivedRules({ ...i, recovery: dr }, { ...i, recovery: { ...dr } })]).toEqual([]);
    expect([...revivedRules({ ...i, recovery: dr }, i)]).toEqual([]);
    // A mitigation undone (back to Investigating): the RTO counts again; mitigating does not.
    const drI = { ...i, recovery: dr };
    expect([...revivedRules({ ...drI, status: 'mitigated' }, drI)]).toEqual(['rto_lower_bound', 'rto_passed']);
    expect([...revivedRules(drI, { ...drI, status: 'mitigated' })]).toEqual([]);
    expect([...revivedRules(i, { ...i, severity: 0 })]).toEqual([]);
  });

  it('stillHolds re-checks the reason against the current state', () => {
    const i = makeIncident({ severity: 1, createdAt: T0, acknowledgedAt: null, status: 'investigating' });
    expect(stillHolds({ key: 'unacknowledged', rule: 'unacknowledged' }, i, rb, NOW)).toBe(true);
    expect(stillHolds({ key: 'unacknowledged', rule: 'unacknowledged' }, { ...i, acknowledgedAt: NOW }, rb, NOW)).toBe(
      false,
    );
    // Paging by hand is the person's call while the incident is open (a mitigated one too); resolved, nobody is paged.
    expect(stillHolds({ key: 'manual:cto', rule: 'manual' }, { ...i, status: 'mitigated' }, rb, NOW)).toBe(true);
    expect(stillHolds({ key: 'manual:cto', rule: 'manual' }, { ...i, status: 'resolved' }, rb, NOW)).toBe(false);
  });
});

describe('who is paged', () => {
  const sev2 = makeIncident({ severity: 2, createdAt: T0, status: 'investigating' });
  const round = { rule: 'unacknowledged', role: 'on_call' };
  const pagedSoFar = (...roles: string[]) => new Set(['on_call', ...roles]);

  it('unacknowledged pages its role again with the next role not yet paged', () => {
    expect(rolesToPage(round, rb, sev2, pagedSoFar())).toEqual(['on_call', 'senior_devops']);
    expect(rolesToPage({ rule: 'unresolved', role: 'senior_devops' }, rb, sev2, new Set())).toEqual(['senior_devops']);
  });

  it('unacknowledged climbs only to a role whose condition in the runbook holds: the engineering manager for customer impact, the CTO for SEV-0 or a data-loss risk', () => {
    // The bundled runbook's rules: critical pages senior DevOps and the CTO, data_loss the database team.
    const atom = testRunbook({ critical: ['senior_devops', 'cto'], dataLoss: 'database_team' });
    for (const book of [rb, atom]) {
      // A SEV-2 nobody acknowledges: senior DevOps (paged by `unresolved` too: no condition), then on-call alone.
      expect(rolesToPage(round, book, sev2, pagedSoFar())).toEqual(['on_call', 'senior_devops']);
      expect(rolesToPage(round, book, sev2, pagedSoFar('senior_devops'))).toEqual(['on_call']);
      // Customer impact: the engineering manager may be climbed to; the CTO still not.
      const impact = { ...sev2, customerImpact: true };
      expect(rolesToPage(round, book, impact, pagedSoFar('senior_devops'))).toEqual(['on_call', 'engineering_manager']);
      expect(rolesToPage(round, book, impact, pagedSoFar('senior_devops', 'engineering_manager'))).toEqual(['on_call']);
      // SEV-0, or a data-loss risk: the CTO; the engineering manager is passed over without customer impact.
      for (const critical of [
        { ...sev2, severity: 0 as const },
        { ...sev2, dataLossRisk: true },
      ]) {
        expect(rolesToPage(round, book, critical, pagedSoFar('senior_devops'))).toEqual(['on_call', 'cto']);
      }
      // Every alert resolved: on-call alone, whatever holds.
      expect(rolesToPage(round, book, { ...sev2, customerImpact: true }, pagedSoFar(), { alone: true })).toEqual([
        'on_call',
      ]);
    }
    expect(climbConditions('senior_devops', atom)).toBeNull();
    expect(climbConditions('on_call', atom)).toBeNull();
    expect(climbConditions('engineering_manager', atom)?.map((c) => c.says)).toEqual(['customer impact']);
    expect(climbConditions('cto', atom)?.map((c) => c.says)).toEqual(['SEV-0 or a data-loss risk']);
    expect(climbConditions('database_team', atom)?.map((c) => c.says)).toEqual(['a data-loss risk']);
  });

  it('a role no rule names, or one a rule without a condition names too, is climbed to as before', () => {
    const data = testRunbookData();
    data.escalation.order.splice(3, 0, 'database_team'); // no rule of this file names it
    (data.escalation.rules as Record<string, unknown>).customer_impact = 'senior_devops';
    const book = parseRunbook(data);
    expect(climbConditions('database_team', book)).toBeNull();
    expect(rolesToPage(round, book, sev2, pagedSoFar('senior_devops'))).toEqual(['on_call', 'engineering_manager']);
    expect(rolesToPage(round, book, sev2, pagedSoFar('senior_devops', 'engineering_manager'))).toEqual([
      'on_call',
      'database_team',
    ]);
  });

  it('climbHeld: the roles a round did not climb to and their conditions, only when it pages its role alone for them', () => {
    const atom = testRunbook({ critical: ['senior_devops', 'cto'], dataLoss: 'database_team' });
    expect(climbHeld(round, atom, sev2, pagedSoFar())).toEqual([]); // it climbs to senior DevOps
    expect(climbHeld(round, atom, sev2, pagedSoFar('senior_devops'))).toEqual([
      { role: 'engineering_manager', when: ['customer impact'] },
      { role: 'cto', when: ['SEV-0 or a data-loss risk'] },
    ]);
    const impact = { ...sev2, customerImpact: true };
    expect(climbHeld(round, atom, impact, pagedSoFar('senior_devops'))).toEqual([]); // it climbs to the manager
    expect(climbHeld(round, atom, impact, pagedSoFar('senior_devops', 'engineering_manager'))).toEqual([
      { role: 'cto', when: ['SEV-0 or a data-loss risk'] },
    ]);
    // Nobody left to climb to, alerts all resolved, another rule: nothing to say.
    expect(climbHeld(round, atom, sev2, pagedSoFar('senior_devops', 'engineering_manager', 'cto'))).toEqual([]);
    expect(climbHeld(round, atom, sev2, pagedSoFar('senior_devops'), true)).toEqual([]);
    expect(climbHeld({ rule: 'unresolved', role: 'senior_devops' }, atom, sev2, pagedSoFar())).toEqual([]);
  });
  it('a rule naming several roles pages them all at once (SEV-0: senior engineering and the CTO)', () => {
    const both = testRunbook({ critical: ['senior_devops', 'cto'] });
    const sev0 = makeIncident({ severity: 0, createdAt: T0, status: 'investigating' });
    const job = desiredJobs(sev0, both, NOW).find((j) => j.rule === 'critical')!;
    expect(job).toMatchObject({ role: 'senior_devops', dueAt: NOW });
    expect(rolesToPage(job, both, sev0, new Set(['on_call']))).toEqual(['senior_devops', 'cto']);
  });
  it('a data-loss risk also pages the database team when the runbook names it; a file without data_loss does not', () => {
    const withDb = testRunbook({ dataLoss: 'database_team' });
    const atRisk = makeIncident({ severity: 2, dataLossRisk: true, createdAt: T0, status: 'investigating' });
    expect(desiredJobs(atRisk, withDb, NOW).find((j) => j.rule === 'data_loss')).toMatchObject({
      key: 'data_loss',
      role: 'database_team',
      dueAt: NOW,
    });
    expect(keys(atRisk)).not.toContain('data_loss');
    const sev0 = makeIncident({ severity: 0, createdAt: T0, status: 'investigating' });
    expect(desiredJobs(sev0, withDb, NOW).map((j) => j.rule)).not.toContain('data_loss');
    expect(ruleReason('data_loss', withDb, atRisk)).toBe('a data-loss risk was flagged');
  });
  it('a flag leaves out a role paged moments ago; a timer pages it again', () => {
    const withDb = testRunbook({ dataLoss: 'database_team', critical: ['senior_devops', 'cto'] });
    const paged = new Set(['on_call', 'database_team', 'senior_devops']);
    const recent = new Set(['database_team']);
    const i = makeIncident({ severity: 2, dataLossRisk: true, createdAt: T0, status: 'investigating' });
    expect(rolesToPage({ rule: 'data_loss', role: 'database_team' }, withDb, i, paged, { recently: recent })).toEqual(
      [],
    );
    expect(rolesToPage({ rule: 'critical', role: 'senior_devops' }, withDb, i, paged, { recently: recent })).toEqual([
      'senior_devops',
      'cto',
    ]);
    expect(
      rolesToPage({ rule: 'unresolved', role: 'senior_devops' }, withDb, i, paged, {
        recently: new Set(['senior_devops']),
      }),
    ).toEqual(['senior_devops']);
  });
  it("SEV-0's page names the reason that holds", () => {
    expect(ruleReason('critical', rb, { severity: 0 })).toBe('the incident is SEV-0');
    expect(ruleReason('critical', rb, { severity: 2, dataLossRisk: true })).toBe('a data-loss risk was flagged');
    expect(ruleReason('critical', rb, { severity: 0, dataLossRisk: true })).toBe(
      'the incident is SEV-0 and at risk of data loss',
    );
  });
  it('escalate now takes the next role in the contact order, or none when all were paged', () => {
    expect(nextRoleToPage(rb, new Set(['on_call']))).toBe('senior_devops');
    expect(nextRoleToPage(rb, new Set(['on_call', 'senior_devops', 'engineering_manager', 'cto']))).toBeNull();
    // A role whose people are all on the incident already (its commander, who acknowledged) is passed over; when every
    // role left is such a one, the first of them.
    expect(nextRoleToPage(rb, new Set(), (r) => r === 'on_call')).toBe('senior_devops');
    expect(nextRoleToPage(rb, new Set(['on_call', 'senior_devops', 'engineering_manager']), () => true)).toBe('cto');
    // A page's DM (its Escalate to …): the roles after the page's own, by the same rule; none for a role not in the order.
    expect(nextRoleToPage(rb, new Set(['on_call']), (r) => r === 'senior_devops', 'on_call')).toBe(
      'engineering_manager',
    );
    expect(nextRoleToPage(rb, new Set(), () => false, 'engineering_manager')).toBe('cto');
    expect(nextRoleToPage(rb, new Set(), () => false, 'cto')).toBeNull();
    expect(nextRoleToPage(rb, new Set(), () => false, 'database_team')).toBeNull();
  });
  it('reasons read as the runbook says them', () => {
    expect(ruleReason('unresolved', rb, { severity: 1 })).toBe(
      'it is still not resolved 30 minutes after it was declared',
    );
    expect(ruleReason('unacknowledged', rb, { severity: 2 })).toBe(
      'nobody acknowledged within the SEV-2 response time (1 hour)',
    );
  });
});

describe('the rule table', () => {
  it('every rule has one row, and the runbook file keys of those it sets are distinct', () => {
    expect(Object.keys(RULES).sort()).toEqual([...ESCALATION_RULES].sort());
    const keysInFile = FILE_RULES.map((r) => r.key);
    expect(new Set(keysInFile).size).toBe(keysInFile.length);
    expect(keysInFile).toEqual([
      'on_declare',
      'unresolved',
      'unacknowledged',
      'customer_impact',
      'critical',
      'data_loss',
    ]);
  });

  it('derives the movable and reminder rules, and what a by-hand escalation is kept for', () => {
    expect([...MOVABLE_RULES].sort()).toEqual([
      'paging_stopped',
      'rto_lower_bound',
      'rto_passed',
      'unacknowledged',
      'unresolved',
    ]);
    expect(REMINDER_RULES).toEqual([
      'next_update',
      'public_next_update',
      'rto_lower_bound',
      'rto_passed',
      'paging_stopped',
    ]);
    // A page DMs' redraw too: written by hand for a page of more roles or an own acknowledgement, and never replaced by
    // a later change's, the resolution's either (each shows every DM behind, as the incident is when it draws). The
    // card's redraw likewise: written when a fired timer's refresh of the card failed. A failed page's notice till told,
    // not once the incident is resolved.
    expect([...keptByHand(makeIncident({ status: 'investigating' }))]).toEqual([
      'manual',
      'redraw_pages',
      'redraw_card',
      'page_failed',
    ]);
    expect([...keptByHand(makeIncident({ status: 'mitigated' }))]).toEqual([
      'manual',
      'redraw_pages',
      'redraw_card',
      'page_failed',
    ]);
    expect([...keptByHand(makeIncident({ status: 'resolved' }))]).toEqual(['redraw_pages', 'redraw_card']);
  });

  it('a severity change has a timer of its own, due at the change, that shows the page DMs again and pages nobody', () => {
    const changed = new Date('2026-11-27T03:00:30Z');
    const i = makeIncident({ severity: 0, createdAt: T0, status: 'investigating', severityChangedAt: changed });
    const redraw = (inc: ReturnType<typeof makeIncident>) =>
      desiredJobs(inc, rb, NOW)
        .filter((j) => j.rule === 'redraw_pages')
        .map((j) => [j.key, j.dueAt.toISOString()]);
    expect(redraw(i)).toEqual([[`redraw_pages@${changed.toISOString()}`, changed.toISOString()]]);
    expect(redraw({ ...i, status: 'mitigated' })).toHaveLength(1);
    // Never changed: none. Resolved: the resolution's, due at it (its DMs say it was resolved), its only timer.
    expect(redraw({ ...i, severityChangedAt: null })).toEqual([]);
    const resolvedAt = new Date('2026-11-27T03:02:00Z');
    expect(redraw({ ...i, status: 'resolved', resolvedAt })).toEqual([
      [`redraw_pages@${resolvedAt.toISOString()}`, resolvedAt.toISOString()],
    ]);
    expect(desiredJobs({ ...i, status: 'resolved', resolvedAt }, rb, NOW).map((j) => j.rule)).toEqual(['redraw_pages']);
    // Changed before the last reopening: the reopening's own (its DMs say it was reopened).
    const reopened = new Date('2026-11-27T03:00:50Z');
    expect(redraw({ ...i, reopenedAt: reopened })).toEqual([
      [`redraw_pages@${reopened.toISOString()}`, reopened.toISOString()],
    ]);
    // Acknowledged since: the acknowledgement's (its DMs lose Acknowledge), the latest change's key.
    const acked = new Date('2026-11-27T03:01:10Z');
    expect(redraw({ ...i, acknowledgedAt: acked })).toEqual([
      [`redraw_pages@${acked.toISOString()}`, acked.toISOString()],
    ]);
    expect(redraw({ ...i, severityChangedAt: null, acknowledgedAt: acked })).toHaveLength(1);
    expect(rolesToPage({ rule: 'redraw_pages', role: null }, rb, i, new Set())).toEqual([]);
    expect(rolesToPage({ rule: 'redraw_card', role: null }, rb, i, new Set())).toEqual([]);
    expect(rolesToPage({ rule: 'page_failed', role: null }, rb, i, new Set())).toEqual([]);
    expect(PAGING_NOBODY_RULES).toEqual([...REMINDER_RULES, 'redraw_pages', 'redraw_card', 'page_failed']);
  });

  it('a stored job of a rule this version does not know no longer holds, and pages nobody', () => {
    const i = makeIncident({ createdAt: T0, status: 'investigating' });
    expect(stillHolds({ key: 'retired', rule: 'retired' }, i, rb, NOW)).toBe(false);
    expect(rolesToPage({ rule: 'retired', role: 'cto' }, rb, i, new Set())).toEqual([]);
  });
});

describe('roleNamed', () => {
  const roles = {
    on_call: { id: 'on_call', name: 'On-Call Engineer' },
    senior_devops: { id: 'senior_devops', name: 'Senior DevOps Engineer' },
    engineering_manager: { id: 'engineering_manager', name: 'Engineering Manager' },
    database_team: { id: 'database_team', name: 'Database Team' },
  };
  it.each([
    ['senior_devops', 'senior_devops'],
    ['Senior DevOps Engineer', 'senior_devops'],
    ['senior-devops', 'senior_devops'],
    ['devops', 'senior_devops'],
    ['on call', 'on_call'],
    ['DATABASE', 'database_team'],
    ['manager', 'engineering_manager'],
    ['@database-team', 'database_team'],
    [' @on-call', 'on_call'],
  ])('%j is %s', (typed, role) => {
    expect(roleNamed(roles, typed)).toEqual({ kind: 'found', role });
  });
  it('a part that fits several roles names them; one that fits none is none', () => {
    expect(roleNamed(roles, 'engineer')).toEqual({
      kind: 'several',
      roles: ['on_call', 'senior_devops', 'engineering_manager'],
    });
    expect(roleNamed(roles, 'janitor')).toEqual({ kind: 'none' });
    expect(roleNamed(roles, '  ')).toEqual({ kind: 'none' });
  });
});
